"""Whole-firmware runs through the real firmware build and the `simulate` command."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from simulator.cli import main
from simulator.code_map import OneCyclePerInstruction
from simulator.elf import load_firmware
from simulator.machine import Machine, RunConfig
from simulator.platform import load_platform

from .conftest import SEMIHOST_EXIT, build_asm


def run(elf, **kw):
    m = Machine(load_firmware(elf), load_platform(), RunConfig(**kw))
    return m, m.run()


def test_hello_prints_over_usart_and_semihosting_at_400mhz(firmware_build):
    m, r = run(firmware_build / "hello.elf", max_cycles=2_000_000_000)
    assert r.exit_reason == "exit" and r.exit_code == 0
    assert b"hello from stm32h743 over usart3" in r.console["USART3"]
    out = r.console["semihosting"].decode()
    assert "pi ~ 3.142" in out                  # newlib printf of a double (DP emulation)
    assert "core clock: 400000000 Hz" in out    # SystemInit's PLL setup, derived by RCC
    assert r.core_hz == 400e6
    assert r.dp_emulated > 0
    # simulated time is the sum of the segments, each at its own clock (HSI 64 MHz, PLL 400 MHz)
    assert sum(s.seconds for s in r.segments) == pytest.approx(r.seconds)
    assert {s.core_hz for s in r.segments} >= {64e6, 400e6}
    assert r.seconds > r.cycles / 400e6         # part of it ran at 64 MHz


def test_same_inputs_same_cycles(firmware_build):
    a = run(firmware_build / "hello.elf")[1]
    b = run(firmware_build / "hello.elf")[1]
    assert (a.cycles, a.instructions, a.console) == (b.cycles, b.instructions, b.console)


def test_itcm_code_at_address_zero_runs(firmware_build):
    fw = load_firmware(firmware_build / "itcm.elf")
    assert any(s.addr == 0 and s.execute for s in fw.sections)
    m, r = run(firmware_build / "itcm.elf")
    assert r.exit_code == 0, r.console
    assert b"PASS" in r.console["semihosting"]


def test_double_precision_firmware_self_check(firmware_build):
    m, r = run(firmware_build / "dp_ops.elf")
    assert r.exit_code == 0, r.console["semihosting"].decode()[-2000:]
    assert b"dp_ops: PASS" in r.console["semihosting"]


def test_idle_firmware_ends_as_idle(firmware_build):
    m, r = run(firmware_build / "idle.elf", max_cycles=10**9)
    assert r.exit_reason == "idle"
    assert r.cycles < 10**9


def test_max_cycles_budget(tmp_path):
    elf = build_asm(tmp_path, """
    .section .vectors, "a"
    .word 0x20020000
    .word reset
    .text
    .thumb_func
reset:
    adds r0, #1
    b reset
""")
    m, r = run(elf, max_cycles=100_000, cost_model=OneCyclePerInstruction(),
               dynamic_timing=False)
    assert r.exit_reason == "max-cycles"
    assert 100_000 <= r.cycles < 100_100
    assert r.instructions == r.cycles               # the model asked for: 1 cycle each
    m, r = run(elf, max_cycles=100_000, dynamic_timing=False)   # static M7: adds+b pair
    assert r.exit_reason == "max-cycles"
    assert r.instructions > r.cycles
    static = r.cycles / (r.instructions / 2)        # cycles per iteration
    m, r = run(elf, max_cycles=100_000)             # + uncached flash fetch every iteration
    assert r.exit_reason == "max-cycles"
    # the loop's flash word is refetched every iteration from the bank's read data buffer
    # (RM0433 4.3.8): 1 buffer access + 1 beat + 2 interconnect AXI cycles, 4 at the reset
    # clock (AXI = CPU), not the 11 of a flash read at the reset LATENCY 7
    assert r.cycles / (r.instructions / 2) - static == pytest.approx(4, abs=0.01)


def test_systick_interrupt_wakes_wfi_and_time_jumps(tmp_path):
    # SysTick every 1000 cycles at HSI (64 MHz); main sleeps in WFI; handler counts to 5.
    elf = build_asm(tmp_path, """
    .section .vectors, "a"
    .word 0x20020000
    .word reset
    .word 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
    .word systick
    .text
    .thumb_func
reset:
    movs r4, #0
    ldr r1, =0xE000E010
    ldr r2, =999
    str r2, [r1, #4]        @ RVR
    movs r2, #0
    str r2, [r1, #8]        @ CVR
    movs r2, #7
    str r2, [r1]            @ CSR: ENABLE | TICKINT | CLKSOURCE
loop:
    wfi
    cmp r4, #5
    blt loop
    movs r0, #0
    b exit_r0
    .thumb_func
systick:
    adds r4, #1
    bx lr
""" + SEMIHOST_EXIT)
    try:
        import peripherals.systick  # noqa: F401
    except ImportError:
        pytest.skip("SysTick model not present")
    m, r = run(elf, max_cycles=10**7)
    assert r.exit_reason == "exit" and r.exit_code == 0, r.diagnostic
    assert r.exceptions_taken[15] == 5
    assert 5000 <= r.cycles < 6500
    assert r.sleep_cycles > 4000                    # the core slept between ticks


# --- the command -------------------------------------------------------------------------

def test_cli_json_report_has_the_summary_keys(firmware_build, tmp_path, capsys):
    out = tmp_path / "r.json"
    code = main([str(firmware_build / "hello.elf"), "--json", str(out), "-q"])
    assert code == 0
    rep = json.loads(out.read_text())
    assert set(rep["summary"]) >= {"exit_reason", "exit_code", "cycles", "instructions",
                                   "core_hz", "simulated_s", "peak_ram_bytes", "energy_j"}
    e = rep["summary"]["energy_j"]
    assert e > 0
    # energy = V * I * t summed over the time segments
    assert e == pytest.approx(sum(p["energy_j"] for p in rep["energy"]["by_state"].values()))
    assert rep["summary"]["peak_ram_bytes"] > 0
    assert capsys.readouterr().out == ""          # -q prints nothing


def test_cli_firmware_failure_exit_code(firmware_build):
    assert main([str(firmware_build / "exit_code.elf"), "-q"]) == 1


@pytest.mark.parametrize("content,needle", [
    (b"", "not an ELF"),
    (b"hello world, not an elf", "not an ELF"),
    (b"\x7fELF\x01\x01\x01" + b"\0" * 9 + b"\x02\x00\x28\x00", "readable ELF"),
])
def test_cli_bad_firmware_is_one_line_exit_2(tmp_path, capsys, content, needle):
    bad = tmp_path / "bad.elf"
    bad.write_bytes(content)
    assert main([str(bad)]) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_cli_non_arm_elf_and_missing_file(tmp_path, capsys):
    assert main([sys.executable]) == 2
    assert "not 32-bit ARM" in capsys.readouterr().err
    assert main([str(tmp_path / "nope.elf")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_cli_truncated_elf(firmware_build, tmp_path, capsys):
    data = (firmware_build / "hello.elf").read_bytes()
    bad = tmp_path / "trunc.elf"
    bad.write_bytes(data[: len(data) // 3])
    assert main([str(bad)]) == 2
    err = capsys.readouterr().err
    assert "truncated" in err or "readable" in err


def test_cli_segment_outside_memory_map(tmp_path, capsys):
    linker = """
MEMORY { BAD (rx) : ORIGIN = 0x90000000, LENGTH = 1M }
SECTIONS { .text : { *(.vectors) *(.text*) } > BAD }
"""
    elf = build_asm(tmp_path, """
    .section .vectors, "a"
    .word 0x20020000
    .word reset
    .text
    .thumb_func
reset: b reset
""", linker=linker)
    assert main([str(elf)]) == 2
    assert "outside the STM32H743 memory map" in capsys.readouterr().err


def test_cli_bad_audio_and_text(firmware_build, tmp_path, capsys):
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"RIFF not really")
    assert main([str(firmware_build / "hello.elf"), "--audio", str(junk)]) == 2
    latin = tmp_path / "t.txt"
    latin.write_bytes(b"caf\xe9")
    assert main([str(firmware_build / "hello.elf"), "--text-file", str(latin)]) == 2
    err = capsys.readouterr().err
    assert "not a readable audio file" in err and "not UTF-8" in err


def test_cli_help_documents_exit_codes():
    proc = subprocess.run([sys.executable, "-m", "simulator.cli", "--help"],
                          capture_output=True, text=True)
    assert proc.returncode == 0
    for line in ("0    the firmware finished", "3    a budget gate", "4    the firmware faulted",
                 "5    an internal error", "130  interrupted by Ctrl-C"):
        assert line in proc.stdout


def test_cli_transcript_goes_to_the_firmware_and_missing_answers_are_reported(
        firmware_build, tmp_path):
    pytest.importorskip("simulator.apps.aligner")
    from simulator.apps.aligner import g2p_available
    if not g2p_available():
        pytest.skip("espeak-ng not installed")
    out = tmp_path / "r.json"
    code = main([str(firmware_build / "hello.elf"), "--text", "hello world 42", "-q",
                 "--json", str(out)])
    assert code == 0
    al = json.loads(out.read_text())["alignment"]
    assert [w["text"] for w in al["words"]] == ["hello", "world", "42"]
    assert al["answered"] is False and al["not_found"] == 3     # hello does not align


def test_cli_alignment_out_needs_text_and_a_known_suffix(firmware_build, tmp_path, capsys):
    fw = str(firmware_build / "hello.elf")
    assert main([fw, "--alignment-out", str(tmp_path / "a.srt")]) == 2
    assert main([fw, "--text", "hi", "--alignment-out", str(tmp_path / "a.docx")]) == 2
    err = capsys.readouterr().err
    assert "needs a transcript" in err and "a.docx" in err


def test_cpu_freq_override_reruns_with_the_operating_point(firmware_build, tmp_path):
    out = tmp_path / "r.json"
    assert main([str(firmware_build / "hello.elf"), "-q", "--cpu-freq", "200",
                 "--json", str(out)]) == 0
    rep = json.loads(out.read_text())
    assert rep["summary"]["core_hz"] == 200e6
    assert rep["clock_override"]["vos"] == 3 and rep["clock_override"]["flash_wait_states"] == 2
    assert main([str(firmware_build / "hello.elf"), "-q", "--cpu-freq", "480",
                 "--revision", "Y"]) == 2           # rev Y stops at 400 MHz


def test_max_energy_gate(firmware_build, capsys):
    assert main([str(firmware_build / "hello.elf"), "-q", "--max-energy", "1e-9"]) == 3
    assert "energy" in capsys.readouterr().err
    assert main([str(firmware_build / "hello.elf"), "-q", "--max-energy", "1"]) == 0


def test_sweep_prints_one_row_per_clock(firmware_build, tmp_path, capsys):
    out = tmp_path / "s.json"
    assert main(["sweep", str(firmware_build / "systick.elf"), "--freqs", "200,400",
                 "--json", str(out)]) == 0
    rows = json.loads(out.read_text())["sweep"]
    assert [r["mhz"] for r in rows] == [200, 400]
    assert rows[0]["vos"] == 3 and rows[1]["vos"] == 1
    # the faster clock finishes the busy part sooner and draws more power
    assert rows[1]["average_power_w"] > rows[0]["average_power_w"]
    assert "lowest energy per run" in capsys.readouterr().err


def test_progress_reports_simulated_seconds(firmware_build):
    """RunConfig.progress is called with the simulated time as the run advances (the CLI's
    progress bar), at least at the start, and never backwards."""
    from simulator.elf import load_firmware
    from simulator.machine import Machine, RunConfig
    from simulator.platform import load_platform
    seen = []
    r = Machine(load_firmware(firmware_build / "hello.elf"), load_platform(),
                RunConfig(progress=seen.append)).run()
    assert r.exit_reason == "exit" and seen and seen[0] == 0.0
    assert seen == sorted(seen) and seen[-1] <= r.seconds
