"""WFE: the event register, and sleep until an interrupt.

Oracle: ARMv7-M Architecture Reference Manual (DDI 0403E) B1.5.18 "Wait For Event and Send
Event": "any WFE wakeup event, or the execution of an exception return instruction, sets the
Event Register"; WFE with the register set clears it and goes on, otherwise the core sleeps
until a wakeup event (an interrupt that would preempt is one). Unicorn reports QEMU's WFE
(EXCP_YIELD) as an invalid instruction; the simulator took that for UNDEFINSTR, so every WFE
HardFaulted (found while building the interrupt-transparency fuzz target). SEV sets the event
register too; Unicorn runs it as a NOP, so the simulator hooks each SEV of the code.
"""

from __future__ import annotations

from unicorn.arm_const import UC_ARM_REG_R4

from simulator.elf import load_firmware
from simulator.machine import Machine, RunConfig
from simulator.platform import load_platform

from .conftest import SEMIHOST_EXIT, build_asm, vector_table

VECTORS = vector_table({11: "svc", 15: "systick"}) + """
    .thumb_func
svc:
    bx lr
"""


def _run(tmp_path, body: str, systick: str = "    bx lr") -> Machine:
    src = (VECTORS + "    .thumb_func\nsystick:\n" + systick + "\n    .thumb_func\nreset:\n"
           + body + "\n    movs r4, #1\n    movs r0, #0\n    b exit_r0\n" + SEMIHOST_EXIT)
    m = Machine(load_firmware(build_asm(tmp_path, src)), load_platform(),
                RunConfig(max_cycles=1_000_000))
    r = m.run()
    assert (r.exit_reason, r.exit_code) == ("exit", 0), r.diagnostic
    assert m.uc.reg_read(UC_ARM_REG_R4) == 1
    return m


def test_wfe_after_an_exception_return_goes_on(tmp_path):
    """No interrupt is enabled: without the event the SVC's return set, this WFE would
    never wake."""
    for wfe in ("wfe", "wfe.w"):
        m = _run(tmp_path, f"    svc #0\n    {wfe}")
        assert m.counter.sleep_cycles == 0


def test_wfe_sleeps_until_an_interrupt(tmp_path):
    """SysTick (reload 9999: 10,000 core cycles) wakes the core from WFE; until then it sleeps."""
    m = _run(tmp_path, """
    ldr r0, =0xE000E010      @ SYST_CSR
    ldr r1, =9999
    str r1, [r0, #4]
    movs r1, #7              @ ENABLE | TICKINT | core clock
    str r1, [r0]
    wfe
    movs r1, #0
    str r1, [r0]
""")
    assert m.engine.stats.taken.get(15) == 1
    assert m.counter.sleep_cycles > 5_000


def test_sev_sets_the_event_register(tmp_path):
    """SEV sets the event register (B1.5.18): the WFE after it clears it and goes on."""
    for sev in ("sev", "sev.w"):
        m = _run(tmp_path, f"    {sev}\n    wfe")
        assert m.counter.sleep_cycles == 0


def test_hal_sleep_entry_sev_wfe_wfe_sleeps_once(tmp_path):
    """HAL_PWR_EnterSLEEPMode(..., PWR_SLEEPENTRY_WFE) does SEV; WFE; WFE: the first WFE
    clears the event register SEV set, the second sleeps until the interrupt (whose return
    sets it again; the core sleeps once either way, so this pins the sequence's outcome, and
    test_sev_sets_the_event_register the SEV)."""
    m = _run(tmp_path, """
    ldr r0, =0xE000E010      @ SYST_CSR
    ldr r1, =9999
    str r1, [r0, #4]
    movs r1, #7
    str r1, [r0]
    sev
    wfe
    wfe
    movs r1, #0
    str r1, [r0]
""")
    assert m.engine.stats.taken.get(15) == 1
    assert 5_000 < m.counter.sleep_cycles < 10_000
