"""The Cortex-M7's architectural blocks: declared once (simulator/platforms/cortex_m7.toml) for
every platform whose [chip] core is cortex-m7, and reached by the machine through typed core
ports, never by name. Addresses: the ARMv7-M Architecture Reference Manual (DDI 0403E)."""

from __future__ import annotations

import pathlib
import re
from importlib import resources

import pytest

from peripherals.base import FakeContext
from peripherals.dwt import MODEL as Dwt
from simulator.core_blocks import CoreBlocks
from simulator.platform import PlatformError, load_platform

ROOT = pathlib.Path(__file__).resolve().parents[1]

# ARMv7-M ARM: B3.2.2 System control block (SCB at 0xE000ED00, SCR 0xE000ED10, CCR 0xE000ED14),
# B3.3.2 SysTick (0xE000E010), B3.4.3 NVIC (ISER0 0xE000E100; STIR 0xE000EF00), B3.5.4 MPU
# (MPU_TYPE 0xE000ED90), C1.6.1 debug (DHCSR 0xE000EDF0), C1.7.7 ITM (0xE0000000), C1.8.3 DWT
# (0xE0001000), C1.11 FPB (0xE0002000); Cortex-M7 TRM 4.2: FPCCR 0xE000EF34 (in FPU_CACHE).
ARCHITECTURAL = {"SCB": 0xE000ED00, "SYSTICK": 0xE000E010, "NVIC": 0xE000E100,
                 "STIR": 0xE000EF00, "MPU": 0xE000ED90, "DCB": 0xE000EDF0, "ITM": 0xE0000000,
                 "DWT": 0xE0001000, "FPB": 0xE0002000}


@pytest.mark.parametrize("chip", ["stm32h743", "stm32f746"])
def test_every_cortex_m7_platform_has_the_architectural_blocks(chip: str) -> None:
    p = load_platform(chip)
    at = {w.name: w.base for w in p.peripherals}
    for name, base in ARCHITECTURAL.items():
        assert at[name] == base, name
    fpu = next(w for w in p.peripherals if w.name == "FPU_CACHE")
    assert fpu.base <= 0xE000EF34 < fpu.end
    assert p.core_ports == {"nvic": "NVIC", "stir": "STIR", "scb": "SCB", "mpu": "MPU",
                            "fpu_cache": "FPU_CACHE", "itm": "ITM"}


def _chip_copy(tmp_path: pathlib.Path, extra: str) -> str:
    text = resources.files("simulator.platforms").joinpath("stm32f746.toml").read_text()
    for name in ("stm32f746_registers.toml",):
        (tmp_path / name).write_text(
            resources.files("simulator.platforms").joinpath(name).read_text())
    path = tmp_path / "p.toml"
    path.write_text(text + extra)
    return str(path)


def test_a_chip_file_may_not_declare_a_core_block_again(tmp_path) -> None:
    path = _chip_copy(tmp_path, '\n[[peripheral]]\nname = "SCB"\nbase = 0xE000ED00\n'
                                'size = 0x90\nmodel = "scb"\n')
    with pytest.raises(PlatformError) as err:
        load_platform(path)
    assert "SCB" in str(err.value) and "cortex_m7.toml" in str(err.value)
    assert "\n" not in str(err.value)


def test_a_core_port_on_the_wrong_model_is_a_platform_error() -> None:
    ctx = FakeContext()
    dwt = Dwt("DWT", 0xE0001000, 0x1000, ctx)
    with pytest.raises(PlatformError) as err:
        CoreBlocks.resolve({"scb": "DWT"}, {"DWT": dwt}, "p.toml")
    assert "scb" in str(err.value) and "Scb" in str(err.value)
    with pytest.raises(PlatformError):
        CoreBlocks.resolve({"scb": "NOPE"}, {}, "p.toml")
    with pytest.raises(PlatformError):
        CoreBlocks.resolve({"gic": "DWT"}, {"DWT": dwt}, "p.toml")


def test_the_machine_reaches_core_blocks_through_ports_only() -> None:
    """No look-up of a core block by its platform name in the machine and its parts."""
    core_names = "|".join(ARCHITECTURAL) + "|FPU_CACHE"
    pattern = re.compile(rf"peripherals(\.get\(|\[)\s*\"({core_names})\"")
    for path in ("machine.py", "faults.py", "lowpower.py", "api.py", "timebase.py"):
        text = (ROOT / "simulator" / path).read_text()
        assert not pattern.search(text), path
