"""GPIO through the bus API: per-port reset values (H743 and F746 platform files), BSRR, IDR,
LCKR."""

from __future__ import annotations

import pathlib
import tomllib

import pytest

from peripherals.base import FakeContext
from peripherals.gpio import GPIO

MODER, OTYPER, OSPEEDR, PUPDR, IDR, ODR, BSRR, LCKR, AFRL, AFRH = range(0, 0x28, 4)
PLATFORMS = pathlib.Path(__file__).resolve().parents[1] / "simulator" / "platforms"


def port(letter: str, chip: str = "stm32h743") -> tuple[FakeContext, GPIO]:
    """GPIO port ``letter`` built as the chip's platform file declares it."""
    table = tomllib.loads((PLATFORMS / f"{chip}.toml").read_text())
    decl = next(p for p in table["peripheral"] if p["name"] == f"GPIO{letter}")
    params = {k: v for k, v in decl.items() if k not in ("name", "base", "size", "model")}
    ctx = FakeContext()
    return ctx, GPIO(decl["name"], decl["base"], decl["size"], ctx, **params)


@pytest.mark.parametrize("chip,letter,moder,ospeedr,pupdr", [
    ("stm32h743", "A", 0xABFFFFFF, 0x0C000000, 0x64000000),   # RM0433 11.4.1/11.4.3/11.4.4
    ("stm32h743", "B", 0xFFFFFEBF, 0x000000C0, 0x00000100),
    ("stm32h743", "C", 0xFFFFFFFF, 0, 0), ("stm32h743", "K", 0xFFFFFFFF, 0, 0),
    ("stm32f746", "A", 0xA8000000, 0x0C000000, 0x64000000),   # RM0385 6.4.1/6.4.3/6.4.4
    ("stm32f746", "B", 0x00000280, 0x000000C0, 0x00000100),
    ("stm32f746", "C", 0, 0, 0), ("stm32f746", "K", 0, 0, 0),
])
def test_reset_values(chip: str, letter: str, moder: int, ospeedr: int, pupdr: int) -> None:
    _, g = port(letter, chip)
    assert g.read(MODER, 4) == moder
    assert g.read(OSPEEDR, 4) == ospeedr
    assert g.read(PUPDR, 4) == pupdr
    for offset in (OTYPER, ODR, BSRR, LCKR, AFRL, AFRH):
        assert g.read(offset, 4) == 0


def test_bsrr_sets_and_resets_odr_set_wins() -> None:
    _, g = port("B")
    changes: list[int] = []
    g.output_listeners.append(lambda name, odr: changes.append(odr))
    g.write(BSRR, 4, 1 << 0 | 1 << 7 | 1 << 14)
    assert g.read(ODR, 4) == 0x4081
    g.write(BSRR, 4, 1 << (16 + 7))
    assert g.read(ODR, 4) == 0x4001
    g.write(BSRR, 4, 1 << 3 | 1 << (16 + 3))         # both: set has priority
    assert g.read(ODR, 4) & 1 << 3
    assert g.read(BSRR, 4) == 0                      # write-only
    g.write(BSRR + 2, 2, 1 << 0)                     # halfword write to BR0..15
    assert not g.read(ODR, 4) & 1
    assert changes[:2] == [0x4081, 0x4001]


def test_idr_reflects_outputs_pulls_and_host_inputs() -> None:
    _, g = port("C")
    g.write(MODER, 4, 0xFFFFFFFF & ~(3 << 0) & ~(3 << 2) & ~(3 << 4) & ~(3 << 6) | 1 << 0)
    # pin0 output, pin1 input pull-up, pin2 input pull-down, pin3 input floating
    g.write(PUPDR, 4, 1 << 2 | 2 << 4)
    g.write(ODR, 4, 1)
    assert g.read(IDR, 4) & 0xF == 0b0011
    g.set_input(3, True)
    g.set_input(1, False)
    assert g.read(IDR, 4) & 0xF == 0b1001
    g.write(OTYPER, 4, 1)                            # pin0 open-drain high: floats
    assert g.read(IDR, 4) & 1 == 0
    assert g.read(IDR, 4) >> 4 == 0                  # analog pins read 0


def test_lock_sequence_freezes_configuration() -> None:
    _, g = port("D")
    key = 1 << 16
    g.write(LCKR, 4, key | 0x0003)
    g.write(LCKR, 4, 0x0003)
    g.write(LCKR, 4, key | 0x0003)
    g.read(LCKR, 4)
    assert g.read(LCKR, 4) == key | 0x0003           # LCKK reads 1: locked
    g.write(MODER, 4, 0)
    assert g.read(MODER, 4) == 0x0000000F            # pins 0-1 kept analog, others written
    g.write(LCKR, 4, 0)
    assert g.read(LCKR, 4) == key | 0x0003
    g.reset()
    g.write(MODER, 4, 0)
    assert g.read(MODER, 4) == 0
