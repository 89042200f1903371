"""What every RCC model shares (peripherals/rcc.py for the H743, rcc_f7.py for the F746):
the ClockTree's change signal, delays timed at the tree's own core clock, and warnings given
once per distinct message."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from .base import Peripheral
from .operating import OperatingLimits


#: how long a clock configuration must hold before it is judged against the voltage scale's
#: limits (a simulator policy, not a chip fact: transient states of a set-up are not warned)
SETTLE_S = 10e-6


class ClockTreeModel(Peripheral):
    """Base of the RCC models. A subclass sets ``CLOCKS``, ``SW_SOURCES`` and ``hsi_hz`` (before
    ``Peripheral.__init__``), and defines ``clock_hz``, ``_clock_signature`` (every derived
    clock and clock gate) and ``check_operating_point``. Every register write tells the
    listeners when a clock changed; a reset takes the reset clocks as the ones they know."""

    CLOCKS: ClassVar[tuple[str, ...]] = ()
    #: CFGR.SW value -> the CR ready flag of the clock it selects (the chip's RCC chapter)
    SW_SOURCES: ClassVar[dict[int, str]] = {}
    #: bus -> {bit: block} of the RCC_<bus>ENR clock-enable registers (the chip's RCC chapter)
    ENABLE_BITS: ClassVar[dict[str, dict[int, str]]] = {}
    _enable_index: ClassVar[dict[str, tuple[str, int]]] = {}
    outputs = ("clock_changed",)
    hsi_hz: float
    operating: OperatingLimits | None     # the chip's limits (peripherals/operating.py)
    _signature: tuple[float, ...] = ()     # the clocks the listeners last heard of
    _confirming = False                  # re-checking an out-of-spec configuration

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        cls._enable_index = {blk: (bus, bit) for bus, bits in cls.ENABLE_BITS.items()
                             for bit, blk in bits.items()}

    def clock_hz(self, name: str) -> float:
        raise NotImplementedError

    def enabled_peripherals(self) -> list[str]:
        """Names of the blocks whose RCC_<bus>ENR clock-enable bit is set (the power model's
        input), bus by bus in ``ENABLE_BITS`` order, bit by bit."""
        names: list[str] = []
        for bus, bits in self.ENABLE_BITS.items():
            value = self.reg(f"{bus}ENR")
            names += [blk for bit, blk in sorted(bits.items()) if value >> bit & 1]
        return names

    def block_enabled(self, block: str) -> bool:
        """True if ``block``'s clock-enable bit is set (blocks without one are always on)."""
        where = self._enable_index.get(block)
        if where is None:
            return True
        bus, bit = where
        return bool(self.reg(f"{bus}ENR") >> bit & 1)

    def rtcclk_hz(self) -> float:
        """RTCCLK per RCC_BDCR.RTCEN / RTCSEL, 0 when stopped: 1 = LSE, 2 = LSI, 3 = HSE /
        CFGR.RTCPRE (RTCPRE 0 or 1 = no clock). The same on both chips: RM0433 8.7.25 and
        8.7.6, RM0385 5.3.20 and 5.3.3."""
        if not self.get_field("BDCR", "RTCEN"):
            return 0.0
        sel = self.get_field("BDCR", "RTCSEL")
        if sel == 1:
            return float(self.clock_hz("lse"))
        if sel == 2:
            return float(self.clock_hz("lsi"))
        if sel == 3:
            pre = self.get_field("CFGR", "RTCPRE")
            return float(self.clock_hz("hse")) / pre if pre >= 2 else 0.0
        return 0.0

    def reset(self) -> None:
        self.cancel_pending()
        super().reset()
        self._signature = self._clock_signature()

    def write(self, offset: int, size: int, value: int) -> None:
        super().write(offset, size, value)     # every write may change a clock: listeners hear
        self._clock_changed()

    def operating_scale(self) -> tuple[int, bool] | None:
        """The voltage scale now, and whether over-drive is on; None when no power block is
        wired (nothing to judge against)."""
        raise NotImplementedError

    def check_operating_point(self) -> None:
        """Warn when a clock exceeds the current voltage scale's limit or the flash runs with
        fewer wait states than the chip's table requires (the [operating] table of its power
        data: DS12110 Table 23 and RM0433 Table 17 on the H743)."""
        scale = self.operating_scale()
        if scale is None or self.operating is None:
            return
        vos, overdrive = scale
        # the reset state is how the silicon starts: an APB clock no faster than the reset HSI
        # is not flagged
        for message in self.operating.clock_problems(self.clock_hz, vos, overdrive,
                                                     reset_hz=self.hsi_hz):
            self._out_of_spec(message)
        if self.flash is not None:
            msg = self.flash.check_latency(self.clock_hz("hclk"), vos)
            if msg:
                self.warn_once(msg)

    def _timer_clock(self, apb_div: int, pclk: float, timpre: int) -> float:
        """A timer kernel clock from its APB prescaler, APB clock and RCC TIMPRE bit, the same
        rule on both chips (RM0433 Table 56, RM0385 5.2 / 5.3.25): TIMPRE = 0: pclk if the
        prescaler is 1, else 2 x pclk; TIMPRE = 1: hclk if the prescaler is 1, 2 or 4, else
        4 x pclk."""
        if timpre:
            return self.clock_hz("hclk") if apb_div <= 4 else 4 * pclk
        return pclk if apb_div == 1 else 2 * pclk

    def _clock_signature(self) -> tuple[float, ...]:
        raise NotImplementedError

    def _after(self, seconds: float, key: str, action: Callable[[], None]) -> None:
        """Run ``action`` ``seconds`` from now (Peripheral.after), timed at this tree's own
        core clock (not a --cpu-freq override), then tell the listeners."""
        def act() -> None:
            action()
            self._clock_changed()

        self.after(seconds, key, act, hz=self.clock_hz("cpu") or self.hsi_hz)

    def _clock_changed(self) -> None:
        sig = self._clock_signature()
        if sig == self._signature:
            return
        self._signature = sig
        self.check_operating_point()
        self.clock_changed.emit()

    def _out_of_spec(self, message: str) -> None:
        """A clock above what the voltage scale allows: a run summary warning (--strict fails)
        once the configuration has held for SETTLE_S. ST's own clock set-up passes through such
        states for a few instructions: CubeMX's LL SystemClock_Config switches SYSCLK to PLL1
        and only then divides the APB clocks (240 MHz APB at VOS0 for a moment)."""
        if self._confirming:
            if message not in self._warned:
                self._warned.add(message)
                self.ctx.warn(message)
            return
        if "settle" not in self.__dict__.setdefault("_pending", {}):
            self.after(SETTLE_S, "settle", self._confirm)

    def _confirm(self) -> None:
        """SETTLE_S after an out-of-spec clock configuration: judge the one in force now."""
        self._confirming = True
        try:
            self.check_operating_point()
        finally:
            self._confirming = False

    def _try_switch(self) -> None:
        """CFGR.SWS follows CFGR.SW once the selected oscillator or PLL is ready."""
        sw, sws = self.get_field("CFGR", "SW"), self.get_field("CFGR", "SWS")
        if sw == sws:
            return
        rdy = self.SW_SOURCES.get(sw)
        if rdy is None:
            self.warn_once(f"RCC: CFGR.SW={sw} is reserved; system clock unchanged")
            return
        if self.get_field("CR", rdy):
            self.set_field("CFGR", "SWS", sw)

