"""The run loop's attachment interface (simulator/attachments) and the timebase."""

from __future__ import annotations

import pytest
from unicorn import UC_HOOK_CODE
from unicorn.arm_const import UC_ARM_REG_R4

from simulator.attachments import Attachment
from simulator.elf import load_firmware
from simulator.machine import Machine, RunConfig
from simulator.platform import load_platform
from simulator.timebase import Timebase

from .conftest import SEMIHOST_EXIT, build_asm

LOOP = """
    .section .vectors, "a"
    .word 0x20010000
    .word reset
    .text
    .thumb_func
    .global reset
reset:
    movs r4, #0
loop:
    adds r4, r4, #1
    .global mark
mark:
    adds r5, r4, #0
    cmp r4, #3
    bne loop
    movs r0, #0
    b exit_r0
""" + SEMIHOST_EXIT


class Breakpoint(Attachment):
    """What a debugger does: a code hook that stops the CPU at an address inside a block,
    and steps over it when execution resumes there."""

    def __init__(self, symbol: str, claim: bool = True) -> None:
        self.symbol, self.claim = symbol, claim
        self.hits, self.halts, self.resuming, self.pending = 0, 0, False, False

    def attach(self, machine) -> None:
        a = machine.fw.symbol(self.symbol).addr & ~1
        machine.uc.hook_add(UC_HOOK_CODE, self._hook, begin=a, end=a)

    def _hook(self, uc, address, size, _ud) -> None:
        if self.resuming:
            self.resuming = False
            return
        self.hits += 1
        self.pending = True
        uc.emu_stop()

    def before_execute(self, machine) -> None:
        self.halts += 1

    def cpu_stopped(self, machine) -> bool:
        if not (self.pending and self.claim):
            return False
        self.pending, self.resuming = False, True
        return True


def _run(elf, *attachments):
    m = Machine(load_firmware(elf), load_platform(), RunConfig(), attachments)
    return m, m.run()


def test_a_breakpoint_stop_resumes_in_place(tmp_path):
    elf = build_asm(tmp_path, LOOP)
    bp = Breakpoint("mark")
    m, r = _run(elf, bp)
    assert (r.exit_reason, r.exit_code) == ("exit", 0)
    assert bp.hits == 3                      # once per loop iteration, each resumed
    assert m.uc.reg_read(UC_ARM_REG_R4) == 3
    assert bp.halts >= 1                     # the hook point ran before execution


def test_an_unclaimed_stop_is_a_lockup(tmp_path):
    # the same stop that nobody claims: the machine does not know why the CPU stopped
    _, r = _run(build_asm(tmp_path, LOOP), Breakpoint("mark", claim=False))
    assert r.exit_reason == "lockup" and "stopped unexpectedly" in r.diagnostic


def test_finish_sees_the_result_and_attachments_change_no_figure(firmware_build):
    seen = []

    class Recorder(Attachment):
        def finish(self, machine, result) -> None:
            seen.append(result)

    _, plain = _run(firmware_build / "hello.elf")
    _, watched = _run(firmware_build / "hello.elf", Recorder())
    assert seen == [watched]
    assert (watched.cycles, watched.instructions, watched.seconds) == \
        (plain.cycles, plain.instructions, plain.seconds)


class _Counter:
    cycles = 0

    def lower_deadline(self, cycle):
        pass

    def stop_soon(self):
        pass

    def add_sleep(self, n):
        self.cycles += n


def test_seconds_sum_each_clock_setting():
    t = Timebase(_Counter())
    t.core_hz = 64e6
    t.counter.cycles = 64_000                        # 1 ms at 64 MHz (HSI)
    t.set_core_hz(400e6)
    t.counter.cycles += 400_000                      # 1 ms at 400 MHz
    assert t.seconds() == pytest.approx(2e-3, rel=1e-12)
    t.jump_to(5e-3)                                  # Stop: 3 ms pass, no cycle
    assert t.counter.cycles == 464_000 and t.seconds() == pytest.approx(5e-3, rel=1e-12)
    t.sleep_until(464_000 + 400)                     # WFI: cycles pass
    assert t.sleep_cycles == 400 and t.seconds() == pytest.approx(5e-3 + 1e-6, rel=1e-12)
    assert t.cycle_at(6e-3) == 464_400 + 399_600    # an RTC event 0.999 ms ahead, 400 MHz


def test_before_execute_runs_once_per_execution(tmp_path):
    class Count(Attachment):
        calls = 0

        def before_execute(self, machine) -> None:
            self.calls += 1

    c = Count()
    m = Machine(load_firmware(build_asm(tmp_path, LOOP)), load_platform(), RunConfig(), [c])
    executions = []
    execute = m._execute
    m._execute = lambda deadline: (executions.append(deadline), execute(deadline))[1]
    m.run()
    assert len(executions) >= 1 and c.calls == len(executions)
