"""The firmware/tests programs: each checks itself on the simulated chip and exits with a
code that says what it saw (see the header comment of each source file)."""

from __future__ import annotations

import pytest

from simulator.elf import load_firmware
from simulator.machine import Machine, RunConfig
from simulator.platform import load_platform

FAULTS = {"udf": 1, "invstate": 2, "precise_bus": 3, "flash_write": 4, "xn": 5, "div0": 6,
          "unaligned": 7}


def run(elf, **kw):
    m = Machine(load_firmware(elf), load_platform(), RunConfig(max_cycles=2 * 10**9, **kw))
    return m, m.run()


def _fault_case(name: str, forced: bool):
    return pytest.param(name, forced, id=f"{name}{'_forced' if forced else ''}")


@pytest.mark.parametrize("name,forced", [_fault_case(n, f) for n in FAULTS for f in (False, True)])
def test_fault_program_sees_the_right_fault(firmware_build, name, forced):
    elf = firmware_build / f"fault_{name}{'_forced' if forced else ''}.elf"
    m, r = run(elf)
    out = r.console["semihosting"].decode()
    # 10*n+1: its own handler saw it; 10*n+2: escalated to HardFault with HFSR.FORCED
    assert r.exit_code == 10 * FAULTS[name] + (2 if forced else 1), out[-600:]
    assert "as expected" in out


def test_fault_without_handler_names_function_and_line(firmware_build):
    m, r = run(firmware_build / "fault_nohandler.elf")
    assert r.exit_reason == "fault" and r.exit_code == 4
    assert "read_sensor_register" in r.diagnostic
    assert "fault_nohandler.c:26" in r.diagnostic
    assert "0x60000000" in r.diagnostic


@pytest.mark.parametrize("name", ["svc", "fpu_irq", "systick"])
def test_exception_programs_pass(firmware_build, name):
    m, r = run(firmware_build / f"{name}.elf")
    out = r.console["semihosting"].decode()
    assert r.exit_reason == "exit" and r.exit_code == 0, out[-800:]
    assert f"{name}: PASS" in out


def test_svc_priorities_and_tail_chaining_order(firmware_build):
    m, r = run(firmware_build / "svc.elf")
    assert "trace VSsPLHhlbHhLlHhMmLl" in r.console["semihosting"].decode()
    assert m.engine.stats.tail_chains >= 1          # SysTick -> PendSV


def test_systick_sleeps_between_ticks(firmware_build):
    m, r = run(firmware_build / "systick.elf")
    assert r.exceptions_taken[15] == 10
    assert r.sleep_cycles > 0.9 * r.cycles          # WFI: time jumps to each tick
    assert r.seconds == pytest.approx(0.010, rel=0.05)   # ten 1 ms ticks at 400 MHz
