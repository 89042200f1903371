"""PWR voltage scaling and supply lock, FLASH lock/unlock and wait-state table."""

from __future__ import annotations

from peripherals.base import FakeContext
from peripherals.flash import FLASH, KEY1, KEY2, OPTKEY1, OPTKEY2
from peripherals.pwr import PWR, SUPPLY_SETTLE_S, VOS_SETTLE_S
from peripherals.syscfg import SYSCFG

CPU_HZ = 64e6


def pwr_ctx(revision: str = "V") -> tuple[FakeContext, PWR, SYSCFG]:
    ctx = FakeContext(clocks={"cpu": CPU_HZ})
    pwr = PWR("PWR", 0x58024800, 0x400, ctx, irqs={"PVD_AVD": 1}, revision=revision)
    syscfg = SYSCFG("SYSCFG", 0x58000400, 0x400, ctx)
    ctx.peripherals.update(PWR=pwr, SYSCFG=syscfg)
    ctx.wire()               # SYSCFG.oden -> PWR.oden
    return ctx, pwr, syscfg


def test_supply_configuration_ready_delay_and_lock() -> None:
    ctx, pwr, _ = pwr_ctx()
    pwr.write(0x0C, 4, 0x2)                          # LDOEN, SCUEN cleared
    settle = round(SUPPLY_SETTLE_S * CPU_HZ)
    ctx.advance(settle - 1)
    assert pwr.read(0x04, 4) & 1 << 13 == 0          # ACTVOSRDY
    ctx.advance(1)
    assert pwr.read(0x04, 4) & 1 << 13
    assert pwr.read(0x18, 4) & 1 << 13               # VOSRDY
    pwr.write(0x0C, 4, 0x1)                          # try BYPASS: locked now
    assert pwr.read(0x0C, 4) & 0x7 == 0x2
    assert any("locked" in m for m in ctx.messages)


def test_vos_transition_and_effective_scale() -> None:
    ctx, pwr, syscfg = pwr_ctx()
    seen: list[int] = []
    pwr.vos_changed.connect(lambda: seen.append(pwr.vos))
    assert pwr.vos == 3
    pwr.write(0x18, 4, 3 << 14)                      # VOS1
    assert pwr.read(0x18, 4) & 1 << 13 == 0 and pwr.vos == 3
    ctx.advance(round(VOS_SETTLE_S * CPU_HZ))
    assert pwr.read(0x18, 4) & 1 << 13
    assert pwr.read(0x04, 4) >> 14 & 3 == 3          # ACTVOS follows
    assert pwr.vos == 1
    syscfg.write(0x2C, 4, 1)                         # ODEN -> VOS0 (rev V)
    assert pwr.read(0x18, 4) & 1 << 13 == 0 and pwr.vos == 1
    ctx.advance(round(VOS_SETTLE_S * CPU_HZ))
    assert pwr.vos == 0 and seen == [1, 0]
    syscfg.write(0x2C, 4, 0)
    ctx.advance(round(VOS_SETTLE_S * CPU_HZ))
    assert pwr.vos == 1


def test_revision_y_has_no_vos0() -> None:
    ctx, pwr, syscfg = pwr_ctx("Y")
    pwr.write(0x18, 4, 3 << 14)
    syscfg.write(0x2C, 4, 1)
    ctx.advance(round(2 * VOS_SETTLE_S * CPU_HZ))
    assert pwr.vos == 1


def test_cpucr_cssf_clears_flags() -> None:
    ctx, pwr, _ = pwr_ctx()
    pwr.set_reg("CPUCR", 1 << 5 | 1 << 6)            # STOPF, SBF as after a low-power exit
    pwr.write(0x10, 4, 1 << 9)
    assert pwr.read(0x10, 4) == 0


def flash_ctx() -> tuple[FakeContext, FLASH]:
    ctx = FakeContext()
    return ctx, FLASH("FLASH_REGS", 0x52002000, 0x1000, ctx, irqs={"FLASH": 4})


def test_flash_unlock_sequence_and_relock() -> None:
    ctx, flash = flash_ctx()
    assert flash.locked(1)
    flash.write(0x0C, 4, 0x0)                        # ignored while locked
    assert flash.read(0x0C, 4) == 0x31
    flash.write(0x04, 4, KEY1)
    flash.write(0x04, 4, KEY2)
    assert not flash.locked(1) and flash.read(0x0C, 4) == 0x30
    assert flash.read(0x04, 4) == 0                  # KEYR is write-only
    flash.write(0x0C, 4, 0x2 | 0x30)                 # PG now writable
    assert flash.read(0x0C, 4) == 0x32
    flash.write(0x0C, 4, 0x1 | 0x30)                 # LOCK1
    assert flash.locked(1)
    assert flash.locked(2)                           # bank 2 independent
    flash.write(0x104, 4, KEY1)
    flash.write(0x104, 4, KEY2)
    assert not flash.locked(2) and flash.read(0x10C, 4) == 0x30


def test_flash_wrong_key_locks_until_reset() -> None:
    ctx, flash = flash_ctx()
    flash.write(0x04, 4, KEY2)                       # wrong order
    flash.write(0x04, 4, KEY1)
    flash.write(0x04, 4, KEY2)
    assert flash.locked(1)
    assert any("wrong key" in m for m in ctx.messages)
    flash.reset()
    flash.write(0x04, 4, KEY1)
    flash.write(0x04, 4, KEY2)
    assert not flash.locked(1)


def test_option_lock() -> None:
    ctx, flash = flash_ctx()
    assert flash.options_locked
    flash.write(0x108, 4, OPTKEY1)                   # bank-2 view of OPTKEYR
    flash.write(0x008, 4, OPTKEY2)
    assert not flash.options_locked and flash.read(0x118, 4) == 0


def test_acr_fields_and_latency_table() -> None:
    ctx, flash = flash_ctx()
    assert (flash.latency, flash.wrhighfreq) == (7, 3)
    flash.write(0x100, 4, 0x24)                      # bank-2 alias of ACR
    assert flash.read(0x000, 4) == 0x24 and (flash.latency, flash.wrhighfreq) == (4, 2)

    def required_latency(hz: float, vos: int) -> int | None:
        need = flash.operating.required_wait_states(hz, vos)
        return None if need is None else need[0]

    # RM0433 Table 17
    assert required_latency(200e6, 1) == 2
    assert required_latency(240e6, 0) == 4
    assert required_latency(64e6, 3) == 1            # VOS3: 0 WS only up to 45 MHz
    assert required_latency(40e6, 3) == 0
    assert required_latency(240e6, 1) is None
    assert flash.check_latency(240e6, 0) is None
    flash.write(0x000, 4, 0x23)
    assert "needs 4" in (flash.check_latency(240e6, 0) or "")
