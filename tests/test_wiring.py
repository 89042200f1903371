"""Peripheral wiring (peripherals/ports.py, peripherals/wiring.py): models reach each other only
through ports and signals the platform file wires, and every wire is checked when the machine
is built, not when the firmware first happens to use it."""

from __future__ import annotations

import pathlib
import re

import pytest

from peripherals.base import FakeContext, Peripheral
from peripherals.exti import EXTI
from peripherals.pwr import PWR
from peripherals.rcc import RCC
from peripherals.rtc import RTC
from peripherals.usart import USART
from peripherals.wiring import Wire, Wiring, WiringError, wire
from simulator.platform import load_platform

ROOT = pathlib.Path(__file__).resolve().parents[1]


def blocks() -> tuple[FakeContext, dict[str, Peripheral]]:
    ctx = FakeContext()
    b: dict[str, Peripheral] = {
        "RCC": RCC("RCC", 0x58024400, 0x400, ctx),
        "PWR": PWR("PWR", 0x58024800, 0x400, ctx),
        "EXTI": EXTI("EXTI", 0x58000000, 0x400, ctx, irqs={"RTC_WKUP": 3},
                     lines={"RTC_WKUP": 19}),
        "RTC": RTC("RTC", 0x58004000, 0x400, ctx),
    }
    return ctx, b


def test_wire_text_round_trips() -> None:
    w = Wire.parse("RTC.wakeup -> EXTI.line@19")
    assert (w.source, w.output, w.target, w.input, w.index) == ("RTC", "wakeup", "EXTI", "line", 19)
    assert str(w) == "RTC.wakeup -> EXTI.line@19"
    with pytest.raises(WiringError, match="expected"):
        Wire.parse("RTC.wakeup EXTI.line")


def test_bundled_platform_wires_the_rtc_wakeup_to_exti_line_19() -> None:
    # RM0433 Table 90: EXTI event input 19 is the RTC wakeup timer
    wiring = load_platform("stm32h743").wiring
    assert Wire("RTC", "wakeup", "EXTI", "line", 19) in wiring.signals
    assert wiring.ports["clocks"] == "RCC" and wiring.ports["power"] == "PWR"
    ctx, b = blocks()
    wire(b, wiring, partial_set=True)
    assert b["RTC"].clocks is b["RCC"] and b["RTC"].power is b["PWR"]
    exti = b["EXTI"]
    exti.write(0x00, 4, 1 << 19)                     # RTSR1.TR19: rising edge
    exti.write(0x80, 4, exti.read(0x80, 4) | 1 << 19)   # CPUIMR1.MR19: unmasked
    b["RTC"].wakeup.emit(True)                       # the RTC's output drives the EXTI input
    assert exti.read(0x88, 4) == 1 << 19             # CPUPR1.PR19 pending
    assert ctx.irqs.get(3) is True


def test_misspelt_output_or_input_is_refused_with_the_wire() -> None:
    _, b = blocks()
    with pytest.raises(WiringError, match=r"RTC.wakup -> EXTI.line@19: RTC has no output 'wakup'"):
        wire(b, Wiring(signals=(Wire.parse("RTC.wakup -> EXTI.line@19"),)))
    with pytest.raises(WiringError, match="EXTI has no input 'lines'"):
        wire(b, Wiring(signals=(Wire.parse("RTC.wakeup -> EXTI.lines@19"),)))
    with pytest.raises(WiringError, match="no peripheral 'EXTI2'"):
        wire(b, Wiring(signals=(Wire.parse("RTC.wakeup -> EXTI2.line@19"),)))


def test_a_port_wired_to_the_wrong_kind_of_block_is_refused() -> None:
    _, b = blocks()
    with pytest.raises(WiringError, match=r"clocks = 'PWR': its model \(PWR\) is not a ClockTree"):
        wire(b, Wiring(ports={"clocks": "PWR"}))
    with pytest.raises(WiringError, match="not a chip-wide port"):
        Wiring.from_table({"clock": "RCC"})


def test_a_kernel_clock_the_clock_tree_does_not_publish_is_refused() -> None:
    ctx, b = blocks()
    b["USART3"] = USART("USART3", 0x40004800, 0x400, ctx, kernel_clock="pclk9")
    with pytest.raises(WiringError, match="USART3.kernel_clock = 'pclk9'"):
        wire(b, Wiring(ports={"clocks": "RCC"}))


def test_an_input_without_its_method_is_refused_at_class_definition() -> None:
    with pytest.raises(TypeError, match="input 'irq'"):
        class Bad(Peripheral):
            inputs = ("irq",)


def test_a_platform_signal_naming_no_block_is_a_platform_error(tmp_path) -> None:
    from simulator.platform import PlatformError

    text = (ROOT / "simulator/platforms/stm32h743.toml").read_text()
    text = text.replace('"RTC.wakeup -> EXTI.line@19"', '"RTC.wakeup -> EXTl.line@19"')
    for name in ("stm32h743_registers.toml",):
        (tmp_path / name).write_text((ROOT / "simulator/platforms" / name).read_text())
    (tmp_path / "p.toml").write_text(text)
    with pytest.raises(PlatformError, match="no peripheral 'EXTl'"):
        load_platform(str(tmp_path / "p.toml"))


def test_no_model_finds_another_by_name_or_probes_it() -> None:
    """The target shape of issue 17 item 4: no ctx.peripheral("RCC") look-ups, no hasattr
    probes between models; the machine reads no RCC/PWR register field by name."""
    for path in sorted((ROOT / "peripherals").glob("*.py")):
        src = path.read_text()
        assert "ctx.peripheral(" not in src, path.name
        # (a model may ask about its own attributes while it is being built)
        probes = [m for m in re.findall(r"hasattr\((\w+)", src) if m not in ("type", "self")]
        assert not probes, (path.name, probes)
    machine = (ROOT / "simulator/machine.py").read_text()
    for needle in ('get_field("CFGR"', 'get_field("CR1"', '"PLL', 'reg("CPUCR")',
                   'get_field("CR2"', 'peripherals.get("RCC")', 'peripherals.get("PWR")',
                   "hasattr("):
        assert needle not in machine, needle
