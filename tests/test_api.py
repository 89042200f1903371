"""The public API (simulator.api): what the CLI, the tests and the benchmarks run through."""

from __future__ import annotations

import pytest

from simulator.api import EXIT_BUDGET, EXIT_OK, InputError, Options, load_inputs, simulate


def test_simulate_hello_reports_the_run(firmware_build):
    run = simulate(load_inputs(firmware_build / "hello.elf"), Options(max_cycles=2_000_000_000))
    assert run.exit_code == EXIT_OK
    assert b"hello from stm32h743 over usart3" in run.result.console["USART3"]
    s = run.report["summary"]
    assert s["cycles"] == run.result.cycles and s["instructions"] == run.result.instructions
    assert run.words is None                       # no transcript, no alignment


def test_ram_budget_failure_is_exit_3(firmware_build):
    # 64 bytes of DTCM cannot hold hello's stack: the gate fails and the code says so
    run = simulate(load_inputs(firmware_build / "hello.elf", max_ram=["DTCM=64"]))
    assert run.exit_code == EXIT_BUDGET
    assert any("DTCM" in f for f in run.report["budget_failures"])


def test_bad_inputs_are_one_line_input_errors(tmp_path, firmware_build):
    with pytest.raises(InputError, match="cannot read firmware"):
        load_inputs(tmp_path / "missing.elf")
    with pytest.raises(InputError, match="bad budget"):
        load_inputs(firmware_build / "hello.elf", max_ram=["DTCM=lots"])
    with pytest.raises(InputError):
        load_inputs(firmware_build / "hello.elf", platform="no_such_chip")
