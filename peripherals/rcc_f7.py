"""RCC of the STM32F74x/75x (RM0385 Rev 8, section 5): the clock tree of the F7 platform.

The F7 has one main PLL (input HSI 16 MHz or HSE / PLLM, VCO x PLLN, outputs /P for the
system clock and /Q for USB/SDMMC), a system clock switch (CFGR.SW -> SWS: HSI, HSE or PLL),
AHB/APB1/APB2 prescalers and no separate CPU prescaler: the core runs at HCLK (RM0385
Figure 13). Like the H7 model (peripherals/rcc.py) it is a ClockTree (peripherals/ports.py):
clocks are a pure function of the register values, oscillators and the PLL become ready a
start-up delay after they are enabled, and ``clock_changed`` is emitted on every change.

Register layout and reset values: RM0385 5.3 (checked against ST's SVD, whose DCKCFGR1/2
reset values are copies of PLLI2SCFGR's; RM0385 5.3.25/26 give 0). Start-up delays are assumed
(the F746 datasheet DS10916 was not available offline): the H7 model's figures are used.
Not modelled: PLLI2S, PLLSAI (their ready bits follow their enables after the PLL delay),
clock security system, MCO outputs.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from . import operating
from .base import RO, WO, Field, Register, chip_param
from .clock_tree import ClockTreeModel
from .rcc import _AHB_DIV, _APB_DIV, StartupTimes

CLOCKS: tuple[str, ...] = (
    "hsi", "hse", "lse", "lsi", "pll_p", "pll_q",
    "sys_ck", "cpu", "hclk", "pclk1", "pclk2",
    "timx_ker", "timy_ker",        # timer clocks of APB1 (TIM2-7, 12-14) and APB2 (TIM1/8-11)
)

# Clock-enable bits (RM0385 5.3.10 - 5.3.14): bus -> {bit: block}.
ENABLE_BITS: dict[str, dict[int, str]] = {
    "AHB1": {**{i: f"GPIO{chr(ord('A') + i)}" for i in range(11)}, 12: "CRC", 18: "BKPSRAM",
             20: "DTCMRAM", 21: "DMA1", 22: "DMA2", 23: "DMA2D", 25: "ETHMAC", 29: "OTGHS"},
    "AHB2": {0: "DCMI", 6: "RNG", 7: "OTGFS"},
    "AHB3": {0: "FMC", 1: "QSPI"},
    "APB1": {0: "TIM2", 1: "TIM3", 2: "TIM4", 3: "TIM5", 4: "TIM6", 5: "TIM7", 6: "TIM12",
             7: "TIM13", 8: "TIM14", 9: "LPTIM1", 11: "WWDG", 14: "SPI2", 15: "SPI3",
             16: "SPDIFRX", 17: "USART2", 18: "USART3", 19: "UART4", 20: "UART5", 21: "I2C1",
             22: "I2C2", 23: "I2C3", 24: "I2C4", 25: "CAN1", 26: "CAN2", 27: "CEC", 28: "PWR",
             29: "DAC", 30: "UART7", 31: "UART8"},
    "APB2": {0: "TIM1", 1: "TIM8", 4: "USART1", 5: "USART6", 8: "ADC1", 9: "ADC2", 10: "ADC3",
             11: "SDMMC1", 12: "SPI1", 13: "SPI4", 14: "SYSCFG", 16: "TIM9", 17: "TIM10",
             18: "TIM11", 20: "SPI5", 21: "SPI6", 22: "SAI1", 23: "SAI2", 26: "LTDC"},
}
_ENR = {"AHB1": "AHB1ENR", "AHB2": "AHB2ENR", "AHB3": "AHB3ENR", "APB1": "APB1ENR",
        "APB2": "APB2ENR"}
# RCC_DCKCFGR2 UARTxSEL fields (RM0385 5.3.26): 00 APB clock, 01 SYSCLK, 10 HSI, 11 LSE.
_UART_SEL = {"USART1": (0, "pclk2"), "USART2": (2, "pclk1"), "USART3": (4, "pclk1"),
             "UART4": (6, "pclk1"), "UART5": (8, "pclk1"), "USART6": (10, "pclk2"),
             "UART7": (12, "pclk1"), "UART8": (14, "pclk1")}
_SW_READY = {0: "HSIRDY", 1: "HSERDY", 2: "PLLRDY"}        # CFGR.SW (RM0385 5.3.3); 3: none
# RM0385 5.3.2 RCC_PLLCFGR: PLLP 00 /2, 01 /4, 10 /6, 11 /8.
_PLLP = {0: 2, 1: 4, 2: 6, 3: 8}

@runtime_checkable
class Regulator(Protocol):
    """What the F7 clock tree checks its clocks against: the voltage scale and over-drive
    (the F7 PWR model, wired by the platform's ``links = ["RCC.regulator = PWR"]``)."""

    @property
    def vos(self) -> int: ...

    @property
    def overdrive(self) -> bool: ...


def _enr(bus: str, bits: dict[int, str], reset: int = 0) -> Register:
    return Register(_ENR[bus], 0, tuple(Field(f"{blk}EN", bit, 1, reset=reset >> bit & 1)
                                        for bit, blk in sorted(bits.items())))


class RCC_F7(ClockTreeModel):
    """The F7 clock tree: HSI/HSE/LSI/LSE, the main PLL, the switch and the prescalers."""

    registers = (
        # 5.3.1 RCC_CR, reset 0x0000 XX83: HSION, HSIRDY, HSITRIM = 16.
        Register("CR", 0x00, (
            Field("HSION", 0, reset=1), Field("HSIRDY", 1, access=RO, reset=1),
            Field("HSITRIM", 3, 5, reset=16), Field("HSICAL", 8, 8, RO),
            Field("HSEON", 16), Field("HSERDY", 17, access=RO), Field("HSEBYP", 18),
            Field("CSSON", 19, modelled=False), Field("PLLON", 24), Field("PLLRDY", 25, access=RO),
            Field("PLLI2SON", 26), Field("PLLI2SRDY", 27, access=RO),
            Field("PLLSAION", 28), Field("PLLSAIRDY", 29, access=RO),
        )),
        # 5.3.2 RCC_PLLCFGR, reset 0x2400 3010: PLLM 16, PLLN 192, PLLP /2, PLLQ 4; bit 29
        # reserved, reads 1.
        Register("PLLCFGR", 0x04, (
            Field("PLLM", 0, 6, reset=16), Field("PLLN", 6, 9, reset=192), Field("PLLP", 16, 2),
            Field("PLLSRC", 22), Field("PLLQ", 24, 4, reset=4), Field("RES29", 29, access=RO,
                                                                       reset=1),
        )),
        # 5.3.3 RCC_CFGR, reset 0.
        Register("CFGR", 0x08, (
            Field("SW", 0, 2), Field("SWS", 2, 2, RO), Field("HPRE", 4, 4), Field("PPRE1", 10, 3),
            Field("PPRE2", 13, 3), Field("RTCPRE", 16, 5),
            # MCO1/MCO2 pin outputs and the I2S clock source: declared, not modelled
            Field("MCO1", 21, 2, modelled=False), Field("I2SSRC", 23, modelled=False),
            Field("MCO1PRE", 24, 3, modelled=False), Field("MCO2PRE", 27, 3, modelled=False),
            Field("MCO2", 30, 2, modelled=False),
        )),
        # 5.3.4 RCC_CIR: ready flags (read-only), enables, clear bits (write-only).
        Register("CIR", 0x0C, (
            *(Field(f"{n}RDYF", i, access=RO) for i, n in enumerate(
                ("LSI", "LSE", "HSI", "HSE", "PLL", "PLLI2S", "PLLSAI"))),
            Field("CSSF", 7, access=RO),
            *(Field(f"{n}RDYIE", 8 + i) for i, n in enumerate(
                ("LSI", "LSE", "HSI", "HSE", "PLL", "PLLI2S", "PLLSAI"))),
            *(Field(f"{n}RDYC", 16 + i, access=WO) for i, n in enumerate(
                ("LSI", "LSE", "HSI", "HSE", "PLL", "PLLI2S", "PLLSAI"))),
            Field("CSSC", 23, access=WO),
        )),
        # 5.3.5 - 5.3.9 reset registers (stored).
        Register("AHB1RSTR", 0x10), Register("AHB2RSTR", 0x14), Register("AHB3RSTR", 0x18),
        Register("APB1RSTR", 0x20), Register("APB2RSTR", 0x24),
        # 5.3.10 - 5.3.14 clock enables; AHB1ENR resets with DTCMRAMEN set (0x0010 0000).
        Register("AHB1ENR", 0x30, _enr("AHB1", ENABLE_BITS["AHB1"], 0x00100000).fields),
        Register("AHB2ENR", 0x34, _enr("AHB2", ENABLE_BITS["AHB2"]).fields),
        Register("AHB3ENR", 0x38, _enr("AHB3", ENABLE_BITS["AHB3"]).fields),
        Register("APB1ENR", 0x40, _enr("APB1", ENABLE_BITS["APB1"]).fields),
        Register("APB2ENR", 0x44, _enr("APB2", ENABLE_BITS["APB2"]).fields),
        # 5.3.15 - 5.3.19 low-power enables (stored, reset values per RM0385).
        Register("AHB1LPENR", 0x50, reset=0x7E6791FF), Register("AHB2LPENR", 0x54, reset=0xF1),
        Register("AHB3LPENR", 0x58, reset=0x1), Register("APB1LPENR", 0x60, reset=0x36FEC9FF),
        Register("APB2LPENR", 0x64, reset=0x00075F33),
        # 5.3.20 RCC_BDCR (backup domain), reset 0.
        Register("BDCR", 0x70, (
            Field("LSEON", 0), Field("LSERDY", 1, access=RO), Field("LSEBYP", 2),
            Field("LSEDRV", 3, 2), Field("RTCSEL", 8, 2), Field("RTCEN", 15), Field("BDRST", 16),
        )),
        # 5.3.21 RCC_CSR, reset 0x0E00 0000 (PINRSTF, BORRSTF, PORRSTF after power-on).
        Register("CSR", 0x74, (
            Field("LSION", 0), Field("LSIRDY", 1, access=RO), Field("RMVF", 24),
            Field("BORRSTF", 25, access=RO, reset=1), Field("PINRSTF", 26, access=RO, reset=1),
            Field("PORRSTF", 27, access=RO, reset=1), Field("SFTRSTF", 28, access=RO),
            Field("IWDGRSTF", 29, access=RO), Field("WWDGRSTF", 30, access=RO),
            Field("LPWRRSTF", 31, access=RO),
        )),
        # 5.3.22 - 5.3.24 spread spectrum, PLLI2S, PLLSAI configuration (stored).
        Register("SSCGR", 0x80), Register("PLLI2SCFGR", 0x84, reset=0x24003000),
        Register("PLLSAICFGR", 0x88, reset=0x24003000),
        # 5.3.25 RCC_DCKCFGR1 (TIMPRE), 5.3.26 RCC_DCKCFGR2 (kernel clock selections), reset 0.
        Register("DCKCFGR1", 0x8C, (Field("PLLI2SDIVQ", 0, 5), Field("PLLSAIDIVQ", 8, 5),
                                    Field("PLLSAIDIVR", 16, 2), Field("SAI1SEL", 20, 2),
                                    Field("SAI2SEL", 22, 2), Field("TIMPRE", 24))),
        Register("DCKCFGR2", 0x90, (
            *(Field(f"{blk}SEL", pos, 2) for blk, (pos, _) in _UART_SEL.items()),
            Field("I2C1SEL", 16, 2), Field("I2C2SEL", 18, 2), Field("I2C3SEL", 20, 2),
            Field("I2C4SEL", 22, 2), Field("LPTIM1SEL", 24, 2), Field("CECSEL", 26),
            Field("CK48MSEL", 27), Field("SDMMC1SEL", 28),
        )),
    )
    bus_clock = "hclk"   # AHB1
    CLOCKS = CLOCKS
    SW_SOURCES = _SW_READY
    ENABLE_BITS = ENABLE_BITS
    ports = {"regulator": Regulator}
    regulator: Regulator | None = None

    def __init__(self, name: str, base: int, size: int, ctx, **params: object) -> None:
        def param(key: str) -> float:        # own key, else the platform [chip] table
            return float(chip_param(params, "stm32f746", key))  # type: ignore[arg-type]

        self.hsi_hz = param("hsi_hz")        # RM0385 5.2.2: HSI 16 MHz
        self.hse_hz = param("hse_hz")
        self.lse_hz = param("lse_hz")
        self.lsi_hz = param("lsi_hz")
        self.startup = StartupTimes()
        self.operating = operating.from_params(params, "stm32f746")
        super().__init__(name, base, size, ctx, **params)

    def system_reset(self) -> None:
        """RCC_BDCR is in the backup domain: kept through a system reset (RM0385 5.1.3)."""
        bdcr = self.reg("BDCR")
        before = self._signature
        self.reset()
        self.set_reg("BDCR", bdcr)
        self._signature = before
        self._clock_changed()

    # --- ClockTree --------------------------------------------------------------------------
    def clock_hz(self, name: str) -> float:
        f = self.get_field
        if name == "hsi":
            return self.hsi_hz if f("CR", "HSIRDY") else 0.0
        if name == "hse":
            return self.hse_hz if f("CR", "HSERDY") else 0.0
        if name == "lse":
            return self.lse_hz if f("BDCR", "LSERDY") else 0.0
        if name == "lsi":
            return self.lsi_hz if f("CSR", "LSIRDY") else 0.0
        if name in ("pll_p", "pll_q"):
            if not f("CR", "PLLRDY"):
                return 0.0
            vco = self.pll_vco_hz()
            if name == "pll_p":
                return vco / _PLLP[f("PLLCFGR", "PLLP")]
            q = f("PLLCFGR", "PLLQ")
            return vco / q if q >= 2 else 0.0
        if name == "sys_ck":
            src = {0: "hsi", 1: "hse", 2: "pll_p"}.get(f("CFGR", "SWS"))
            return self.clock_hz(src) if src else 0.0
        if name in ("hclk", "cpu"):          # the core runs at HCLK (RM0385 Figure 13)
            return self.clock_hz("sys_ck") / _AHB_DIV[f("CFGR", "HPRE")]
        if name == "pclk1":
            return self.clock_hz("hclk") / _APB_DIV[f("CFGR", "PPRE1")]
        if name == "pclk2":
            return self.clock_hz("hclk") / _APB_DIV[f("CFGR", "PPRE2")]
        if name in ("timx_ker", "timy_ker"):            # RM0385 5.2 / 5.3.25
            div = _APB_DIV[f("CFGR", "PPRE1" if name == "timx_ker" else "PPRE2")]
            pclk = self.clock_hz("pclk1" if name == "timx_ker" else "pclk2")
            return self._timer_clock(div, pclk, f("DCKCFGR1", "TIMPRE"))
        raise KeyError(f"RCC: unknown clock {name!r} (known: {', '.join(CLOCKS)})")

    def pll_vco_hz(self) -> float:
        """VCO = (HSI or HSE) / PLLM x PLLN (RM0385 5.3.2), 0 with PLLM < 2."""
        src = self.hse_hz if self.get_field("PLLCFGR", "PLLSRC") else self.hsi_hz
        m = self.get_field("PLLCFGR", "PLLM")
        return src / m * self.get_field("PLLCFGR", "PLLN") if m >= 2 else 0.0

    def kernel_clock_source(self, block: str) -> str:
        if block not in _UART_SEL:
            raise KeyError(f"RCC: no kernel clock mux modelled for {block}")
        pos, apb = _UART_SEL[block]
        sel = (self.reg("DCKCFGR2") >> pos) & 3
        return {0: apb, 1: "sys_ck", 2: "hsi", 3: "lse"}[sel]

    def kernel_clock_hz(self, block: str) -> float:
        return self.clock_hz(self.kernel_clock_source(block))

    def system_clock_from_pll(self) -> bool:
        """CFGR.SWS = 2: the system clock runs from the PLL (RM0385 5.3.3)."""
        return self.get_field("CFGR", "SWS") == 2

    def power_state(self) -> dict[str, object]:
        return {"peripherals_on": tuple(self.enabled_peripherals()),
                "clocks": {c: self.clock_hz(c) for c in ("pclk1", "pclk2")},
                "plls_on": (1,) if self.get_field("CR", "PLLRDY") else ()}

    def enter_stop(self) -> None:
        """Stop: the PLL and HSE stop; on exit HSI is the system clock (RM0385 4.3.5)."""
        for key in ("HSERDY", "PLLRDY"):
            self.cancel_pending(key)
        for name in ("HSEON", "HSERDY", "PLLON", "PLLRDY"):
            self.set_field("CR", name, 0)
        self.set_field("CR", "HSION", 1)
        self.set_field("CR", "HSIRDY", 1)
        self.set_field("CFGR", "SW", 0)
        self.set_field("CFGR", "SWS", 0)
        self._clock_changed()

    def note_reset(self, flag: str) -> None:
        """The reset-cause flag in RCC_CSR (RM0385 5.3.21): SFTRSTF, IWDGRSTF, WWDGRSTF."""
        name = flag.replace("IWDG1", "IWDG").replace("WWDG1", "WWDG")
        try:
            self.set_field("CSR", name, 1)
        except KeyError:
            self.ctx.log(f"RCC: no CSR flag {flag}")

    def operating_scale(self) -> tuple[int, bool] | None:
        if self.regulator is None:
            return None
        return self.regulator.vos, self.regulator.overdrive

    # --- register behaviour ---------------------------------------------------------------
    def on_write_CR(self, old: int, new: int) -> None:
        self._oscillator("CR", "HSION", "HSIRDY", self.startup.hsi)
        hse = self.startup.hse_bypass if self.get_field("CR", "HSEBYP") else \
            self.startup.hse_crystal
        self._oscillator("CR", "HSEON", "HSERDY", hse)
        self._oscillator("CR", "PLLON", "PLLRDY", self.startup.pll_lock)
        self._oscillator("CR", "PLLI2SON", "PLLI2SRDY", self.startup.pll_lock)
        self._oscillator("CR", "PLLSAION", "PLLSAIRDY", self.startup.pll_lock)

    def on_write_CSR(self, old: int, new: int) -> None:
        self._oscillator("CSR", "LSION", "LSIRDY", self.startup.lsi)
        if self.get_field("CSR", "RMVF"):
            self.set_reg("CSR", self.reg("CSR") & 0x00FFFFFF)

    def on_write_BDCR(self, old: int, new: int) -> None:
        self._oscillator("BDCR", "LSEON", "LSERDY", self.startup.lse)

    def on_write_CFGR(self, old: int, new: int) -> None:
        self._try_switch()

    def on_write_CIR(self, old: int, new: int) -> None:
        clear = (new >> 16) & 0xFF
        self.set_reg("CIR", self.reg("CIR") & ~clear & ~(0xFF << 16))

    # --- helpers ------------------------------------------------------------------------------
    def _oscillator(self, reg: str, on: str, rdy: str, delay: float) -> None:
        enabled, ready = self.get_field(reg, on), self.get_field(reg, rdy)
        if enabled and not ready and rdy not in self.__dict__.get("_pending", {}):
            if rdy == "PLLRDY":
                self._check_pll()
            self._after(delay, rdy, lambda: self._became_ready(reg, rdy))
        elif not enabled:
            self.cancel_pending(rdy)
            self.set_field(reg, rdy, 0)

    def _became_ready(self, reg: str, rdy: str) -> None:
        self.set_field(reg, rdy, 1)
        flag = {"HSIRDY": 2, "HSERDY": 3, "PLLRDY": 4, "PLLI2SRDY": 5, "PLLSAIRDY": 6,
                "LSIRDY": 0, "LSERDY": 1}[rdy]
        self.set_reg("CIR", self.reg("CIR") | 1 << flag)
        self._try_switch()

    def _check_pll(self) -> None:
        """RM0385 5.3.2: PLL input 1-2 MHz (2 MHz advised), VCO 100-432 MHz, PLLN 50-432,
        PLLP output at most 216 MHz."""
        src = self.hse_hz if self.get_field("PLLCFGR", "PLLSRC") else self.hsi_hz
        m = self.get_field("PLLCFGR", "PLLM")
        if m < 2:
            self.warn_once(f"RCC: PLLM={m} is not allowed (2..63, RM0385 5.3.2)")
            return
        if not 1e6 <= src / m <= 2e6:
            self.warn_once(f"RCC: PLL input {src / m / 1e6:g} MHz outside 1-2 MHz (RM0385 5.3.2)")
        n = self.get_field("PLLCFGR", "PLLN")
        if not 50 <= n <= 432:
            self.warn_once(f"RCC: PLLN={n} outside 50..432 (RM0385 5.3.2)")
        vco = self.pll_vco_hz()
        if not 100e6 <= vco <= 432e6:
            self.warn_once(f"RCC: PLL VCO {vco / 1e6:g} MHz outside 100-432 MHz (RM0385 5.3.2)")

    def _clock_signature(self) -> tuple[float, ...]:
        return tuple(self.clock_hz(c) for c in CLOCKS) + tuple(self.reg(r) for r in _ENR.values())


MODEL = RCC_F7
