"""DWT cycle counter, its CoreSight lock and the DCB TRCENA gate."""

from __future__ import annotations

from peripherals.base import FakeContext
from peripherals.dcb import DCB
from peripherals.dwt import DWT, UNLOCK_KEY

CTRL, CYCCNT, LAR, LSR = 0x000, 0x004, 0xFB0, 0xFB4
DHCSR, DCRSR, DCRDR, DEMCR = 0x0, 0x4, 0x8, 0xC
TRCENA = 1 << 24


def make() -> tuple[FakeContext, DWT, DCB]:
    ctx = FakeContext()
    dcb = DCB("DCB", 0xE000EDF0, 0x10, ctx)
    dwt = DWT("DWT", 0xE0001000, 0x1000, ctx)
    ctx.peripherals.update(DCB=dcb, DWT=dwt)
    ctx.wire()
    return ctx, dwt, dcb


def test_reset_and_id_values() -> None:
    _, dwt, dcb = make()
    assert dwt.read(CTRL, 4) == 0x40000000           # NUMCOMP = 4
    assert dwt.read(LSR, 4) == 0x3                   # lock implemented, locked
    cid = sum(dwt.read(0xFF0 + 4 * i, 4) << 8 * i for i in range(4))
    assert cid == 0xB105E00D
    assert dwt.read(0xFE0, 4) == 0x02 and dwt.read(0xFE4, 4) == 0xB0
    assert dwt.read(0xFD0, 4) == 0x04
    assert dwt.read(0x01C, 4) == 0xFFFFFFFF          # PCSR: no sample
    assert dcb.read(DEMCR, 4) == 0
    assert dcb.read(DHCSR, 4) == 1 << 25             # S_RESET_ST, cleared by the read
    assert dcb.read(DHCSR, 4) == 0


def test_lar_lock_ignores_writes() -> None:
    ctx, dwt, dcb = make()
    dwt.write(CTRL, 4, 1)
    assert dwt.read(CTRL, 4) & 1 == 0
    dwt.write(LAR, 4, UNLOCK_KEY)
    assert dwt.read(LSR, 4) == 0x1
    dwt.write(CTRL, 4, 1)
    assert dwt.read(CTRL, 4) & 1
    dwt.write(LAR, 4, 0)                             # any other value locks again
    assert dwt.read(LSR, 4) == 0x3


def test_cyccnt_counts_only_with_cyccntena_and_trcena() -> None:
    ctx, dwt, dcb = make()
    dwt.write(LAR, 4, UNLOCK_KEY)
    dwt.write(CTRL, 4, 1)                            # CYCCNTENA, TRCENA still 0
    ctx.advance(1000)
    assert dwt.read(CYCCNT, 4) == 0
    dcb.write(DEMCR, 4, TRCENA)
    ctx.advance(1234)
    assert dwt.read(CYCCNT, 4) == 1234
    dwt.write(CTRL, 4, 0)
    ctx.advance(500)
    assert dwt.read(CYCCNT, 4) == 1234
    dwt.write(CYCCNT, 4, 0xFFFFFFF0)
    dwt.write(CTRL, 4, 1)
    ctx.advance(0x20)
    assert dwt.read(CYCCNT, 4) == 0x10               # wraps modulo 2^32
    dcb.write(DEMCR, 4, 0)
    ctx.advance(100)
    assert dwt.read(CYCCNT, 4) == 0x10


def test_dhcsr_needs_key_and_c_debugen_is_debugger_only() -> None:
    ctx, _, dcb = make()
    dcb.read(DHCSR, 4)
    dcb.write(DHCSR, 4, 0x0000_0003)
    assert dcb.read(DHCSR, 4) == 0
    dcb.write(DHCSR, 4, 0xA05F_0001)                 # C_DEBUGEN: not settable by software
    assert dcb.read(DHCSR, 4) == 0
    dcb.write(DCRDR, 4, 0x1234)
    assert dcb.read(DCRDR, 4) == 0x1234
    assert dcb.read(DCRSR, 4) == 0
