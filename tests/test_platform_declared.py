"""Every block of the H743 memory map is declared (generated from ST's SVD): an access to a block
without a model is logged with its register's name and reads the reset value RM0433 gives."""

from __future__ import annotations

import pytest

from peripherals import model_class
from peripherals.base import FakeContext
from simulator.platform import load_platform

# RM0433 Rev 8, Table 8 (register boundary addresses) and the Cortex-M7 ROM table (TPIU).
RM0433_BASES = {
    "TIM12": 0x40001800, "TIM13": 0x40001C00, "TIM14": 0x40002000, "CEC": 0x40006C00,
    "CRS": 0x40008400, "FDCAN2": 0x4000A400, "HRTIM_Master": 0x40017400,
    "DCMI": 0x48020000, "CRYP": 0x48021000, "HASH": 0x48021400,
    "RAMECC2": 0x48023000, "AXI": 0x51000000, "RAMECC1": 0x52009000,
    "LPTIM3": 0x58002800, "LPTIM4": 0x58002C00, "LPTIM5": 0x58003000, "COMP1": 0x58003800,
    "VREFBUF": 0x58003C00, "GPIOI": 0x58022000, "GPIOJ": 0x58022400, "GPIOK": 0x58022800,
    "RAMECC3": 0x58027000, "TPIU": 0xE0040000,
}


@pytest.fixture(scope="module")
def platform():
    return load_platform()


@pytest.mark.parametrize("name,base", sorted(RM0433_BASES.items()))
def test_block_is_declared_at_its_rm0433_address(platform, name: str, base: int) -> None:
    w = platform.peripheral_at(base)
    assert w is not None and w.name == name and w.base == base


def test_rev_y_systeminit_gpv_address_is_mapped(platform) -> None:
    # ST's SystemInit (rev Y errata workaround) writes AXI_TARG7_FN_MOD at 0x51008108.
    w = platform.peripheral_at(0x51008108)
    assert w is not None and w.name == "AXI"
    names = {r.offset: r.name for r in w.registers}
    assert names[0x8108] == "AXI_TARG7_FN_MOD"


def _unmodelled(platform, name: str):
    w = next(p for p in platform.peripherals if p.name == name)
    assert w.model is None
    ctx = FakeContext()
    return ctx, model_class(None)(w.name, w.base, w.size, ctx, **w.params)


@pytest.mark.parametrize("block,offset,reset,reg", [
    ("CRS", 0x04, 0x2022BB7F, "CFGR"),       # RM0433 7.7.2 CRS_CFGR reset 0x2022 BB7F
    ("VREFBUF", 0x00, 0x00000002, "CSR"),    # RM0433 31.4.1 VREFBUF_CSR reset 0x0000 0002
    ("HRTIM_TIMA", 0x14, 0x0000FFFF, "PERAR"),  # RM0433 37.5.20 HRTIM_PERxR reset 0x0000 FFFF
])
def test_unmodelled_read_gives_reset_value_and_names_register(platform, block, offset, reset,
                                                               reg) -> None:
    ctx, p = _unmodelled(platform, block)
    assert p.read(offset, 4) == reset
    assert p.read(offset + 2, 2) == reset >> 16          # a halfword lane of the same register
    assert any(f"{block}.{reg}" in m for m in ctx.messages)
    assert p.accesses[0].register == f"{block}.{reg}"


def test_unmodelled_write_is_dropped_and_logged(platform) -> None:
    ctx, p = _unmodelled(platform, "CEC")
    p.write(0x00, 4, 1)                                   # CEC_CR.CECEN
    assert p.read(0x00, 4) == 0                           # RM0433 CEC_CR reset 0
    assert "unmodelled CEC.CR: write32 0x1 dropped" in ctx.messages


def test_gpv_register_file_keeps_what_systeminit_writes(platform) -> None:
    w = next(p for p in platform.peripherals if p.name == "AXI")
    ctx = FakeContext()
    p = model_class(w.model)(w.name, w.base, w.size, ctx, **w.params)
    p.write(0x8108, 4, 0x1)
    assert p.read(0x8108, 4) == 0x1
    assert not ctx.messages


def test_windows_do_not_overlap_and_cover_every_svd_block(platform) -> None:
    # load_platform rejects overlaps; every generated block lies inside some window
    import tomllib
    from importlib import resources
    blocks = tomllib.loads(resources.files("simulator.platforms")
                           .joinpath("stm32h743_registers.toml").read_text())["block"]
    assert len(blocks) > 100
    for b in blocks:
        assert platform.peripheral_at(b["base"]) is not None, b["name"]
