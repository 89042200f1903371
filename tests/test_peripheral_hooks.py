"""Register hooks are bound by name: a hook named after no declared register is refused when
its class is defined (or, for registers built per instance, when it is built)."""

from __future__ import annotations

import pytest

from peripherals.base import FakeContext, Peripheral, Register


def test_a_misspelt_hook_fails_at_class_definition():
    with pytest.raises(TypeError, match="CRR"):
        class Bad(Peripheral):
            registers = (Register("CR", 0x00),)

            def on_write_CRR(self, old: int, new: int) -> None:  # noqa: N802
                pass


def test_a_declared_hook_runs():
    seen = []

    class Good(Peripheral):
        registers = (Register("CR", 0x00),)

        def on_write_CR(self, old: int, new: int) -> None:  # noqa: N802
            seen.append((old, new))

    p = Good("G", 0x40000000, 0x400, FakeContext())
    p.write(0x00, 4, 5)
    assert seen == [(0, 5)]


def test_registers_built_per_instance_are_checked_when_built():
    class PerInstance(Peripheral):
        def __init__(self, *a, **k) -> None:
            self.registers = (Register("ODR", 0x14),)   # type: ignore[misc]
            super().__init__(*a, **k)

        def on_read_IDR(self, value: int) -> int:  # noqa: N802
            return value

    with pytest.raises(TypeError, match="IDR"):
        PerInstance("P", 0x40000000, 0x400, FakeContext())


def test_a_misspelt_register_or_field_name_fails_at_class_definition() -> None:
    """get_field/set_field/reg/set_reg with literal names are checked against the declared
    registers when the class is defined (issue 17 item 5), not when the line first runs."""
    import pytest

    from peripherals.base import Field, Peripheral, Register

    with pytest.raises(TypeError, match=r"get_field\('CR', 'ENABEL'\): CR has no such field"):
        class Misspelt(Peripheral):
            registers = (Register("CR", 0x0, (Field("ENABLE", 0),)),)

            def on_write_CR(self, old: int, new: int) -> None:
                if self.get_field("CR", "ENABEL"):
                    pass

    with pytest.raises(TypeError, match=r"reg\('SR', \.\.\.\) names no declared register"):
        class NoRegister(Peripheral):
            registers = (Register("CR", 0x0, (Field("ENABLE", 0),)),)

            def status(self) -> int:
                return self.reg("SR")


def test_a_write_to_a_declared_but_unmodelled_field_is_logged_once_and_counted() -> None:
    """RM0433 8.7.6: RCC_CFGR.MCO1SEL selects the MCO1 pin's clock; the model declares the
    field but has no MCO output, so changing it is reported (issue 17 item 5)."""
    from peripherals.base import FakeContext
    from peripherals.rcc import RCC

    ctx = FakeContext()
    rcc = RCC("RCC", 0x58024400, 0x400, ctx)
    rcc.write(0x10, 4, 3 << 22)                      # CFGR.MCO1SEL = 3 (PLL1_Q)
    rcc.write(0x10, 4, 2 << 22)
    rcc.write(0x10, 4, 2 << 22)                      # unchanged: not counted
    assert rcc.unmodelled_fields == {"RCC.CFGR.MCO1SEL": 2}
    assert sum("RCC.CFGR.MCO1SEL" in m for m in ctx.messages) == 1
    rcc.write(0x10, 4, 2 << 22 | 3)                  # SW = PLL1: a modelled field
    assert rcc.unmodelled_fields == {"RCC.CFGR.MCO1SEL": 2}
