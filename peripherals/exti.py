"""EXTI: extended interrupt and event controller of the STM32H743, CPU side (RM0433 Rev 8,
section 20).

Modelled: the configurable event inputs 0..21 of register set 1 (RTSR1/FTSR1 edge selection,
SWIER1 software trigger, CPUIMR1 interrupt mask, CPUEMR1 event mask, CPUPR1 pending, cleared by
writing 1) and the NVIC lines they drive. Other blocks drive inputs with :meth:`EXTI.set_line`
(the RTC wakeup timer drives input 19, RM0433 Table 90 "EXTI Event input mapping"). Each NVIC
line of the platform window is the OR of ``CPUPR1 & CPUIMR1`` over the inputs mapped onto it
(platform ``lines`` table: IRQ name -> input numbers).

An input with an event mask bit (CPUEMR1) set also sets the core's event register, so WFE wakes
on it (RM0433 20.3.3).

Direct event inputs (RM0433 20.3.1: no edge detection, no pending bit, the source's own flag
is the pending state) are driven with :meth:`EXTI.set_direct` (LPTIM1 drives input 47, LPTIM2
48, LPTIM3 50, LPTIM4 52, LPTIM5 53: platform ``exti_line`` of each LPTIM, RM0433 Table 90).
Leaving Stop needs an EXTI wake-up (RM0433 6.x / 20.3: the D1 domain clocks are off, only the
EXTI's c_wakeup restarts them): :meth:`EXTI.cpu_wakeup` is true when a configurable input is
pending and unmasked (CPUPR1 & CPUIMR1) or a direct input is high and unmasked in CPUIMRx or
CPUEMRx. Not modelled: the D3 domain pending/clear logic (D3PMR, D3PCR: register
storage only), register sets 2 and 3 (storage only), GPIO inputs 0..15 through SYSCFG_EXTICR
(no GPIO drives them yet), and direct event inputs 22..87 (their masks are storage only).

The F746's EXTI (one register set, lines 0..23) is exti_f7.py, on the same edge logic.
"""

from __future__ import annotations

from .base import RW, W1C, Field, Peripheral, Register

N_CONFIGURABLE = 22      # RM0433 Table 90: event inputs 0..21 are configurable


def _lines(name: str, offset: int, access: str = RW, reset: int = 0) -> Register:
    """A register with one bit per event input (all 32 bits declared)."""
    return Register(name, offset, (), access, reset)


class _ExtiCore(Peripheral):
    """Edge detection, masks and pending bits of the configurable inputs; a subclass names its
    registers (``RTSR`` ... ``PR``: register names) and declares them."""

    inputs = ("line",)    # event inputs driven by other blocks (index: the EXTI line)
    N_CONFIGURABLE = N_CONFIGURABLE
    RTSR, FTSR, SWIER, IMR, EMR, PR = "RTSR1", "FTSR1", "SWIER1", "CPUIMR1", "CPUEMR1", "CPUPR1"

    def __init__(self, name: str, base: int, size: int, ctx, **params: object) -> None:
        irqs = params.get("irqs") or {}
        lines = params.get("lines") or {}
        assert isinstance(irqs, dict) and isinstance(lines, dict)
        # NVIC line -> mask of the EXTI inputs that drive it (platform data)
        self.irq_inputs: dict[int, int] = {}
        for irq_name, inputs in lines.items():
            if irq_name not in irqs:
                raise ValueError(f"EXTI: lines names {irq_name}, which has no IRQ number")
            mask = 0
            for i in (inputs if isinstance(inputs, list) else [inputs]):
                mask |= 1 << int(i)
            self.irq_inputs[int(irqs[irq_name])] = mask
        self.on_event: list = []          # called when an input with its event mask set fires (WFE)
        self._levels = 0
        self._direct = 0                  # levels of the direct inputs (bit n = input n)
        self._raised: set[int] = set()    # NVIC lines this block holds high
        super().__init__(name, base, size, ctx, **params)

    def reset(self) -> None:
        self._levels = 0
        self._direct = 0
        super().reset()
        self._update_irqs()      # drops the lines that were raised (none at construction)

    # --- inputs from other blocks ------------------------------------------------------------
    def input_line(self, line: int, level: bool) -> None:
        """The ``line`` input (``"RTC.wakeup -> EXTI.line@19"`` in the platform file)."""
        self.set_line(line, level)

    def set_line(self, line: int, level: bool) -> None:
        """Drive event input ``line`` to ``level``; an edge selected in the rising/falling
        trigger register sets the pending bit (RM0433 20.3.2, RM0385 10.3.1)."""
        bit = 1 << line
        before = bool(self._levels & bit)
        self._levels = (self._levels | bit) if level else (self._levels & ~bit)
        if before == level or line >= self.N_CONFIGURABLE:
            return
        edge = self.reg(self.RTSR) if level else self.reg(self.FTSR)
        if edge & bit:
            self._trigger(bit)

    def cpu_wakeup(self) -> bool:
        """An EXTI wake-up for the CPU: what may end Stop."""
        return bool(self.reg(self.PR) & self.reg(self.IMR))

    def _trigger(self, bits: int) -> None:
        self.set_reg(self.PR, self.reg(self.PR) | bits)
        if self.reg(self.EMR) & bits:
            for listener in list(self.on_event):
                listener()
        self._update_irqs()

    # --- register behaviour (bound by the subclasses to their register names) ----------------
    def _pr_written(self, old: int, new: int) -> None:
        self.set_reg(self.SWIER, self.reg(self.SWIER) & new)   # clearing PR clears SWIER too
        self._update_irqs()

    def _imr_written(self, old: int, new: int) -> None:
        self._update_irqs()

    def _update_irqs(self) -> None:
        active = self.reg(self.PR) & self.reg(self.IMR)
        for irq, mask in self.irq_inputs.items():
            level = bool(active & mask)
            if level != (irq in self._raised):
                (self._raised.add if level else self._raised.discard)(irq)
                self.ctx.set_irq(irq, level)


class EXTI(_ExtiCore):
    """The H743's EXTI: configurable inputs 0..21 of register set 1, direct inputs."""

    registers = (
        # RM0433 20.6.1..20.6.6: register set 1 (inputs 0..31), reset 0.
        Register("RTSR1", 0x00, (Field("TR", 0, N_CONFIGURABLE),)),
        Register("FTSR1", 0x04, (Field("TR", 0, N_CONFIGURABLE),)),
        Register("SWIER1", 0x08, (Field("SWIER", 0, N_CONFIGURABLE),)),
        _lines("D3PMR1", 0x0C), _lines("D3PCR1L", 0x10), _lines("D3PCR1H", 0x14),
        # 20.6.7..20.6.18: register sets 2 and 3 (storage only).
        _lines("RTSR2", 0x20), _lines("FTSR2", 0x24), _lines("SWIER2", 0x28),
        _lines("D3PMR2", 0x2C), _lines("D3PCR2L", 0x30), _lines("D3PCR2H", 0x34),
        _lines("RTSR3", 0x40), _lines("FTSR3", 0x44), _lines("SWIER3", 0x48),
        _lines("D3PMR3", 0x4C), _lines("D3PCR3L", 0x50), _lines("D3PCR3H", 0x54),
        # 20.6.19 EXTI_CPUIMR1, reset 0xFFC0 0000 (direct inputs 22..31 unmasked).
        _lines("CPUIMR1", 0x80, reset=0xFFC00000),
        # 20.6.20 EXTI_CPUEMR1, reset 0.
        _lines("CPUEMR1", 0x84),
        # 20.6.21 EXTI_CPUPR1: configurable inputs only, rc_w1.
        Register("CPUPR1", 0x88, (Field("PR", 0, N_CONFIGURABLE, W1C),)),
        # 20.6.22..27: sets 2 and 3 masks (storage only; reset values not modelled: 0).
        _lines("CPUIMR2", 0x90), _lines("CPUEMR2", 0x94), _lines("CPUPR2", 0x98),
        _lines("CPUIMR3", 0xA0), _lines("CPUEMR3", 0xA4), _lines("CPUPR3", 0xA8),
    )
    bus_clock = "pclk4"   # APB4 (D3)

    def set_direct(self, line: int, level: bool) -> None:
        """Direct event input ``line`` (22..87) follows its source's level (RM0433 20.3.1);
        an unmasked rising level with the event mask set is a WFE event."""
        bit = 1 << line
        before = bool(self._direct & bit)
        self._direct = (self._direct | bit) if level else (self._direct & ~bit)
        if level and not before and self._masks(0x84, 0x94, 0xA4) & bit:
            for listener in list(self.on_event):
                listener()

    def _masks(self, *offsets: int) -> int:
        """Registers of the three sets (inputs 0-31, 32-63, 64-87) as one integer."""
        return sum(self.values[o] << (32 * i) for i, o in enumerate(offsets))

    def cpu_wakeup(self) -> bool:
        """An EXTI wake-up for the CPU: what may end Stop (RM0433 20.3)."""
        if self.reg("CPUPR1") & self.reg("CPUIMR1"):
            return True
        unmasked = self._masks(0x80, 0x90, 0xA0) | self._masks(0x84, 0x94, 0xA4)
        return bool(self._direct & unmasked)

    # --- register behaviour ------------------------------------------------------------------
    def on_write_SWIER1(self, old: int, new: int) -> None:
        # RM0433 20.6.3: writing 1 sets the pending bit (with the rising edge enabled or not on
        # the H7: "a software interrupt/event is generated"); the bit reads back until cleared
        # through CPUPR1.
        fired = new & ~old
        if fired:
            self._trigger(fired)

    def on_write_CPUPR1(self, old: int, new: int) -> None:
        self._pr_written(old, new)

    def on_write_CPUIMR1(self, old: int, new: int) -> None:
        self._imr_written(old, new)


MODEL = EXTI
