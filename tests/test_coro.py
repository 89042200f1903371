"""The aligner's coroutine (firmware/aligner/al_coro.c, the search's own stack for the block
budget) from every context the library may be called in: firmware/tests/coro/coro.c runs one
coroutine per phase - bare-metal thread mode on MSP, an RTOS task (thread mode on PSP,
CONTROL.SPSEL = 1), an SVC handler, an unprivileged thread on MSP and an unprivileged RTOS task
(CONTROL.nPRIV = 1) - resumes it
six times while SysTick interrupts it, and prints what it computed and what survived.

Oracles: the values are a fixed LCG from each phase's seed (computed here); AAPCS: the caller's
r4-r11 / s16-s31, its stack pointer and a canary in its frame come back from every resume, the
coroutine's from every yield; the architecture's stacking rules (ARMv7-M B1.5.6): in thread mode
the coroutine runs on PSP, so SysTick stacks its frame on the coroutine's stack and runs on MSP,
off that stack; in handler mode (and unprivileged on MSP) the stack in use is MSP, so the
handler runs on it too."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from simulator.elf import load_firmware
from simulator.machine import Machine, RunConfig
from simulator.platform import load_platform

ROOT = Path(__file__).resolve().parent.parent
SEEDS = {"msp": 1, "psp": 0x12345678, "handler": 0xCAFEF00D, "msp_unpriv": 0x0BADCAFE,
         "psp_unpriv": 0xDEADBEEF}
STEPS = 6


def lcg(seed: int, n: int) -> list[int]:
    out, x = [], seed
    for _ in range(n):
        x = (x * 1664525 + 1013904223) & 0xFFFFFFFF
        out.append(x)
    return out


@pytest.fixture(scope="module")
def coro_run(firmware_build):
    m = Machine(load_firmware(firmware_build / "coro.elf"), load_platform(),
                RunConfig(max_cycles=10**8))
    r = m.run()
    return r, r.console["semihosting"].decode()


def phases(out: str) -> dict[str, dict[str, object]]:
    pat = re.compile(r"coro: (\w+) can_yield=(\d) values ((?:\d+ ?)+) regs=(\d+) canary=(\w+) "
                     r"ticks_on_co=(\d+) handler_on_co=(\d+)")
    return {m[1]: {"can_yield": int(m[2]), "values": [int(v) for v in m[3].split()],
                   "regs": int(m[4]), "canary": m[5], "ticks_on_co": int(m[6]),
                   "handler_on_co": int(m[7])} for m in pat.finditer(out)}


def test_coroutine_runs_from_msp_psp_handler_and_unprivileged_task(coro_run):
    r, out = coro_run
    # main's al_coro.c (SPSEL toggled whatever the caller): the RTOS-task phase faults in
    # co_leave, popping the caller's frame from MSP
    assert r.exit_reason == "exit" and r.exit_code == 0, (r.diagnostic, out[-800:])
    got = phases(out)
    assert set(got) == set(SEEDS)
    for name, seed in SEEDS.items():
        p = got[name]
        assert p["values"] == lcg(seed, STEPS), name
        assert p["regs"] == 0 and p["canary"] == "ok", name      # caller: AAPCS kept
        assert p["ticks_on_co"] >= STEPS, name                   # SysTick taken inside each slice
    assert "coro: co_errors=0" in out                            # coroutine: AAPCS kept
    assert "coro: PASS" in out


def test_only_thread_mode_lets_the_search_stop(coro_run):
    _, out = coro_run
    got = phases(out)
    for name in ("msp", "psp", "psp_unpriv"):
        assert got[name]["can_yield"] == 1, name
        assert got[name]["handler_on_co"] == 0, name             # handlers ran on MSP
    # handler mode / unprivileged on MSP: the coroutine's stack is MSP, preempting handlers run
    # on it; the library does not stop the search there (al_coro_can_yield() = 0)
    for name in ("handler", "msp_unpriv"):
        assert got[name]["can_yield"] == 0, name
        assert got[name]["handler_on_co"] >= STEPS, name


RTOS_SEED = 0x600D5EED


def test_coroutine_in_an_rtos_task_while_the_rtos_switches_tasks(firmware_build):
    """firmware/tests/coro/coro_rtos.c on tests/cubemx_rtos's kernel (FreeRTOS's PendSV port,
    a task switch at every tick): the coroutine waits inside each slice until the other task has
    run, so every slice is switched away from and back to with PSP on the coroutine's stack."""
    fw = load_firmware(firmware_build / "coro_rtos.elf")
    m = Machine(fw, load_platform(), RunConfig(max_cycles=64_000_000))
    r = m.run()
    w = struct.unpack("<16I", bytes(m.uc.mem_read(fw.symbol("results").addr, 64)))
    assert w[15] == 0x600DC0DE, r.diagnostic
    assert r.exit_reason == "idle"
    assert list(w[:STEPS]) == lcg(RTOS_SEED, STEPS)
    assert w[8] == 0 and w[9] == 0 and w[11] == 0      # AAPCS: caller, coroutine, other task
    assert w[12] == 1                                   # the caller's canary
    assert w[13] == 1                                   # a task may let the search stop
    assert w[10] == STEPS                               # a task switch inside every slice


@pytest.mark.parametrize("abi", [["-mcpu=cortex-m4", "-mfloat-abi=soft"],
                                 ["-mcpu=cortex-m4", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"],
                                 ["-mcpu=cortex-m7", "-mfloat-abi=softfp", "-mfpu=fpv5-d16"]])
def test_library_builds_for_other_cortex_m_float_abis(tmp_path, abi):
    """The switch saves s16-s31 (vpush), which a soft-float build has not: there AL_CORO is 0
    (the search runs at once, no block budget) instead of an assembler error."""
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("arm-none-eabi-gcc not installed")
    lib = ROOT / "firmware" / "aligner"
    for src in ("al_coro.c", "viterbi.c"):
        subprocess.run(["arm-none-eabi-gcc", "-mthumb", *abi, "-O2", "-std=c99", "-Wall",
                        "-Wextra", "-Werror", f"-I{lib}", f"-I{lib / 'testdata'}", "-c",
                        str(lib / src), "-o", str(tmp_path / f"{src}.o")], check=True)
