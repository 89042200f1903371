"""SIGINT / SIGTERM during a run: noted by the handler, acted on between blocks, the run ends
'interrupted' with where the firmware was and exit code 128 + signal (130 / 143).

The hard case of the audit: the signal lands while Python is inside a Unicorn callback (an MMIO
read); raising there is swallowed by ctypes and the run went on to the end."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from simulator import interrupt
from simulator.elf import load_firmware
from simulator.machine import Machine, RunConfig
from simulator.platform import load_platform

from .conftest import build_asm

POLL_GPIO = """
    .section .vectors, "a"
    .word 0x20010000
    .word reset
    .text
    .thumb_func
reset:
    ldr r1, =0x58020010     @ GPIOA_IDR (RM0433 11.4.5: offset 0x10)
poll_loop:
    ldr r0, [r1]
    b poll_loop
"""

SPIN = """
    .section .vectors, "a"
    .word 0x20010000
    .word reset
    .text
    .thumb_func
reset:
    adds r0, r0, #1
spin_loop:
    adds r0, r0, #1
    b spin_loop
"""


def _machine(elf):
    return Machine(load_firmware(elf), load_platform(), RunConfig(max_cycles=10**12))


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_inside_an_mmio_callback_ends_the_run_interrupted(tmp_path, signum):
    m = _machine(build_asm(tmp_path, POLL_GPIO))
    gpio = m.peripherals["GPIOA"]
    reads = {"n": 0}
    original = gpio.on_read_IDR

    def read_and_signal(value):            # the signal arrives inside the MMIO callback
        reads["n"] += 1
        if reads["n"] == 1000:
            os.kill(os.getpid(), signum)
        return original(value)

    gpio._read_hooks[0x10] = read_and_signal
    with interrupt.handling():
        r = m.run()
    assert r.exit_reason == "interrupted"
    assert r.exit_code == 128 + signum                   # 130 / 143
    assert r.interrupted["signal"] == signal.Signals(signum).name
    assert "poll_loop" in r.interrupted["where"]         # the polling loop, with its line
    assert reads["n"] < 2000                             # stopped within a few blocks
    assert "interrupted by" in r.diagnostic and "\n" not in r.diagnostic


def test_signal_during_a_loop_without_callbacks_is_noticed(tmp_path):
    m = _machine(build_asm(tmp_path, SPIN))
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    # start the timer from inside the run (an event at cycle 1000), so the signal cannot
    # arrive before the run is listening; then the CPU spins without ever calling Python
    m.schedule(1000, lambda _cycle: timer.start())
    with interrupt.handling():
        try:
            r = m.run()
        finally:
            timer.cancel()
    assert r.exit_reason == "interrupted" and r.exit_code == 130
    assert "spin_loop" in r.interrupted["where"] or "reset" in r.interrupted["where"]


def test_signal_outside_a_run_raises_interrupted():
    with interrupt.handling(), pytest.raises(interrupt.Interrupted) as exc:
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(1000):               # the handler runs at the next bytecode
            pass
    assert exc.value.exit_code == 143
