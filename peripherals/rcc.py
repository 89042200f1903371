"""RCC: reset and clock control of the STM32H743 (RM0433 Rev 8, section 8).

The clock tree is a pure function of the register values (and the oscillator frequencies of the
platform [chip] table): :meth:`RCC.clock_hz` recomputes any clock on demand, so there is no
cached state to go stale. Oscillators and PLLs become ready a start-up delay after they are
enabled (events scheduled with ``ctx.schedule``), the system clock switch (CFGR.SWS) follows
CFGR.SW once the selected source is ready, and the ``clock_changed`` signal is emitted whenever
a write or an event changes a derived clock (the core uses it to track its frequency). The
model is the platform's clock tree (peripherals/ports.py ClockTree): other blocks reach it
through their ``clocks`` port, never by name.

Configurations that silicon would accept but that are out of specification (PLL input or VCO
out of range, core clock above the VOS limit, too few flash wait states) are logged as warnings
naming the rule; they are not refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import operating
from .base import RO, RW, WO, Field, Register, chip_param
from .clock_tree import ClockTreeModel

# Names understood by RCC.clock_hz (PeripheralContext.clock_hz forwards here).
CLOCKS: tuple[str, ...] = (
    "hsi", "csi", "hse", "hsi48", "lse", "lsi",
    "pll1_p", "pll1_q", "pll1_r", "pll2_p", "pll2_q", "pll2_r", "pll3_p", "pll3_q", "pll3_r",
    "sys_ck", "cpu", "hclk", "pclk1", "pclk2", "pclk3", "pclk4", "per_ck",
    "timx_ker", "timy_ker",        # timer kernel clocks: APB1 (TIM2-7, 12-14), APB2 (TIM1/8, 15-17)
)


@dataclass(frozen=True)
class StartupTimes:
    """Delays from enable to ready, in seconds of simulated time. Converted to core cycles with
    the core clock at the moment of the enable (a later clock change does not stretch them)."""

    hsi: float = 4e-6          # DS12110 Table 56 tsu(HSI) (few us); HSIDIV change uses the same
    csi: float = 2e-6          # DS12110 Table 58 tsu(CSI) ~ 1-2 us
    hsi48: float = 6e-6        # DS12110 Table 55 tsu(HSI48) ~ 2-6 us (upper value chosen)
    hse_crystal: float = 2e-3  # DS12110 Table 50 tsu(HSE) 2 ms typical for a crystal
    hse_bypass: float = 1e-6   # external clock: assumed a few HSE cycles, rounded up to 1 us
    lsi: float = 80e-6         # DS12110 Table 59 tsu(LSI) 80 us max (assumed)
    lse: float = 2.0           # DS12110 Table 53 tsu(LSE) 2 s typical (crystal)
    pll_lock: float = 50e-6    # DS12110 Table 63 tLOCK ~ 50 us (integer mode, assumed)


# --- register declarations --------------------------------------------------------------------

def _flags(name: str, offset: int, bits: dict[int, str], suffix: str, reset_all: bool = False,
           access: str = RW) -> Register:
    """A register made of one-bit flags named ``<block><suffix>``."""
    return Register(name, offset, tuple(
        Field(f"{blk}{suffix}", bit, 1, access, 1 if reset_all else 0)
        for bit, blk in sorted(bits.items())))


# Clock-enable bits per bus: bit -> block name (RM0433 8.7.38 .. 8.7.46, RCC_xxxENR).
ENABLE_BITS: dict[str, dict[int, str]] = {
    "AHB3": {0: "MDMA", 4: "DMA2D", 5: "JPGDEC", 12: "FMC", 14: "QSPI", 16: "SDMMC1"},
    "AHB1": {0: "DMA1", 1: "DMA2", 5: "ADC12", 15: "ETH1MAC", 16: "ETH1TX", 17: "ETH1RX",
             25: "USB1OTGHS", 26: "USB1OTGHSULPI", 27: "USB2OTGFS", 28: "USB2OTGFSULPI"},
    "AHB2": {0: "DCMI", 4: "CRYPT", 5: "HASH", 6: "RNG", 9: "SDMMC2",
             29: "SRAM1", 30: "SRAM2", 31: "SRAM3"},
    "AHB4": {**{i: f"GPIO{chr(ord('A') + i)}" for i in range(11)},
             19: "CRC", 21: "BDMA", 24: "ADC3", 25: "HSEM", 28: "BKPRAM"},
    "APB3": {3: "LTDC", 6: "WWDG1"},
    "APB1L": {0: "TIM2", 1: "TIM3", 2: "TIM4", 3: "TIM5", 4: "TIM6", 5: "TIM7", 6: "TIM12",
              7: "TIM13", 8: "TIM14", 9: "LPTIM1", 14: "SPI2", 15: "SPI3", 16: "SPDIFRX",
              17: "USART2", 18: "USART3", 19: "UART4", 20: "UART5", 21: "I2C1", 22: "I2C2",
              23: "I2C3", 27: "CEC", 29: "DAC12", 30: "UART7", 31: "UART8"},
    "APB1H": {1: "CRS", 2: "SWP", 4: "OPAMP", 5: "MDIOS", 8: "FDCAN"},
    "APB2": {0: "TIM1", 1: "TIM8", 4: "USART1", 5: "USART6", 12: "SPI1", 13: "SPI4",
             16: "TIM15", 17: "TIM16", 18: "TIM17", 20: "SPI5", 22: "SAI1", 23: "SAI2",
             24: "SAI3", 28: "DFSDM1", 29: "HRTIM"},
    "APB4": {1: "SYSCFG", 3: "LPUART1", 5: "SPI6", 7: "I2C4", 9: "LPTIM2", 10: "LPTIM3",
             11: "LPTIM4", 12: "LPTIM5", 14: "COMP12", 15: "VREF", 16: "RTCAPB", 21: "SAI4"},
}
# Extra bits present only in the low-power enable registers (RM0433 8.7.47 .. 8.7.55).
_LP_EXTRA: dict[str, dict[int, str]] = {
    "AHB3": {8: "FLITF", 28: "D1DTCM1", 29: "DTCM2", 30: "ITCM", 31: "AXISRAM"},
    "AHB4": {29: "SRAM4"},
}
# Reset bits (RM0433 8.7.27 .. 8.7.35, RCC_xxxRSTR); names differ from the enable bits in places.
_RESET_BITS: dict[str, dict[int, str]] = {
    "AHB3": {0: "MDMA", 4: "DMA2D", 5: "JPGDEC", 12: "FMC", 14: "QSPI", 16: "SDMMC1", 31: "CPU"},
    "AHB1": {0: "DMA1", 1: "DMA2", 5: "ADC12", 15: "ETH1MAC", 25: "USB1OTG", 27: "USB2OTG"},
    "AHB2": {0: "CAMITF", 4: "CRYPT", 5: "HASH", 6: "RNG", 9: "SDMMC2"},
    "AHB4": {**{i: f"GPIO{chr(ord('A') + i)}" for i in range(11)},
             19: "CRC", 21: "BDMA", 24: "ADC3", 25: "HSEM"},
    "APB3": {3: "LTDC"},
    "APB1L": ENABLE_BITS["APB1L"],
    "APB1H": ENABLE_BITS["APB1H"],
    "APB2": ENABLE_BITS["APB2"],
    "APB4": {k: v for k, v in ENABLE_BITS["APB4"].items() if v != "RTCAPB"},
}
_BUSES = ("AHB3", "AHB1", "AHB2", "AHB4", "APB3", "APB1L", "APB1H", "APB2", "APB4")
_RSTR_OFFSETS = dict(zip(_BUSES, range(0x7C, 0xA0, 4)))     # RCC_AHB3RSTR at 0x7C .. APB4 0x9C
_ENR_OFFSETS = dict(zip(_BUSES, range(0xD4, 0xF8, 4)))      # RCC_AHB3ENR at 0xD4 .. APB4 0xF4
_LPENR_OFFSETS = dict(zip(_BUSES, range(0xFC, 0x120, 4)))   # RCC_AHB3LPENR at 0xFC .. 0x11C
# RCC_C1_RSR / RCC_C1_xxxENR / RCC_C1_xxxLPENR (0x130..0x17C) alias RSR..APB4LPENR (0xD0..0x11C)
# on the single-core H743 (RM0433 8.7.37 note: "C1_" registers are the CPU1 view).
_C1_ALIAS_BASE, _C1_ALIAS_END, _C1_ALIAS_DELTA = 0x130, 0x180, 0x60


_REGISTERS: list[Register] = [
    # 8.7.2 RCC_CR, reset 0x0000 0025 (HSION, HSIRDY, HSIDIVF). D1CKRDY/D2CKRDY are status bits
    # set by hardware while D1/D2 are clocked, which is always the case in this model, so they
    # are declared set: the value read after reset is 0x0000 C025.
    Register("CR", 0x00, (
        Field("HSION", 0, reset=1), Field("HSIKERON", 1), Field("HSIRDY", 2, access=RO, reset=1),
        Field("HSIDIV", 3, 2), Field("HSIDIVF", 5, access=RO, reset=1),
        Field("CSION", 7), Field("CSIRDY", 8, access=RO), Field("CSIKERON", 9),
        Field("HSI48ON", 12), Field("HSI48RDY", 13, access=RO),
        Field("D1CKRDY", 14, access=RO, reset=1), Field("D2CKRDY", 15, access=RO, reset=1),
        Field("HSEON", 16), Field("HSERDY", 17, access=RO), Field("HSEBYP", 18),
        Field("HSECSSON", 19, modelled=False),     # clock security system: not modelled
        Field("PLL1ON", 24), Field("PLL1RDY", 25, access=RO),
        Field("PLL2ON", 26), Field("PLL2RDY", 27, access=RO),
        Field("PLL3ON", 28), Field("PLL3RDY", 29, access=RO),
    )),
    # 8.7.3 RCC_HSICFGR (rev V layout), reset 0x4000 0XXX: HSITRIM=0x40, HSICAL factory value
    # (modelled as 0).
    Register("HSICFGR", 0x04, (Field("HSICAL", 0, 12, RO), Field("HSITRIM", 24, 7, reset=0x40))),
    # 8.7.4 RCC_CRRCR: HSI48CAL factory value (modelled as 0).
    Register("CRRCR", 0x08, (Field("HSI48CAL", 0, 10, RO),)),
    # 8.7.5 RCC_CSICFGR (rev V layout), reset 0x2000 00XX: CSITRIM=0x20.
    Register("CSICFGR", 0x0C, (Field("CSICAL", 0, 8, RO), Field("CSITRIM", 24, 6, reset=0x20))),
    # 8.7.6 RCC_CFGR, reset 0.
    Register("CFGR", 0x10, (
        Field("SW", 0, 3), Field("SWS", 3, 3, RO), Field("STOPWUCK", 6), Field("STOPKERWUCK", 7),
        Field("RTCPRE", 8, 6), Field("HRTIMSEL", 14, modelled=False), Field("TIMPRE", 15),
        # the MCO1/MCO2 clock outputs on pins are not modelled
        Field("MCO1PRE", 18, 4, modelled=False), Field("MCO1SEL", 22, 3, modelled=False),
        Field("MCO2PRE", 25, 4, modelled=False), Field("MCO2SEL", 29, 3, modelled=False),
    )),
    # 8.7.7 RCC_D1CFGR, reset 0.
    Register("D1CFGR", 0x18, (Field("HPRE", 0, 4), Field("D1PPRE", 4, 3), Field("D1CPRE", 8, 4))),
    # 8.7.8 RCC_D2CFGR, reset 0.
    Register("D2CFGR", 0x1C, (Field("D2PPRE1", 4, 3), Field("D2PPRE2", 8, 3))),
    # 8.7.9 RCC_D3CFGR, reset 0.
    Register("D3CFGR", 0x20, (Field("D3PPRE", 4, 3),)),
    # 8.7.10 RCC_PLLCKSELR, reset 0x0202 0200 (DIVM1..3 = 32, PLLSRC = HSI).
    Register("PLLCKSELR", 0x28, (
        Field("PLLSRC", 0, 2), Field("DIVM1", 4, 6, reset=32), Field("DIVM2", 12, 6, reset=32),
        Field("DIVM3", 20, 6, reset=32),
    )),
    # 8.7.11 RCC_PLLCFGR, reset 0x01FF 0000 (all DIVxyEN set).
    Register("PLLCFGR", 0x2C, (
        Field("PLL1FRACEN", 0), Field("PLL1VCOSEL", 1), Field("PLL1RGE", 2, 2),
        Field("PLL2FRACEN", 4), Field("PLL2VCOSEL", 5), Field("PLL2RGE", 6, 2),
        Field("PLL3FRACEN", 8), Field("PLL3VCOSEL", 9), Field("PLL3RGE", 10, 2),
        Field("DIVP1EN", 16, reset=1), Field("DIVQ1EN", 17, reset=1), Field("DIVR1EN", 18, reset=1),
        Field("DIVP2EN", 19, reset=1), Field("DIVQ2EN", 20, reset=1), Field("DIVR2EN", 21, reset=1),
        Field("DIVP3EN", 22, reset=1), Field("DIVQ3EN", 23, reset=1), Field("DIVR3EN", 24, reset=1),
    )),
]
for _n, (_div, _frac) in enumerate(((0x30, 0x34), (0x38, 0x3C), (0x40, 0x44)), start=1):
    _REGISTERS += [
        # 8.7.12/14/16 RCC_PLLxDIVR, reset 0x0101 0280: DIVN=129 (0x80), DIVP=DIVQ=DIVR=2;
        # every field holds the factor minus one.
        Register(f"PLL{_n}DIVR", _div, (
            Field(f"DIVN{_n}", 0, 9, reset=0x80), Field(f"DIVP{_n}", 9, 7, reset=1),
            Field(f"DIVQ{_n}", 16, 7, reset=1), Field(f"DIVR{_n}", 24, 7, reset=1),
        )),
        # 8.7.13/15/17 RCC_PLLxFRACR, reset 0.
        Register(f"PLL{_n}FRACR", _frac, (Field(f"FRACN{_n}", 3, 13),)),
    ]
_CIR_BITS = {0: "LSIRDY", 1: "LSERDY", 2: "HSIRDY", 3: "HSERDY", 4: "CSIRDY", 5: "HSI48RDY",
             6: "PLL1RDY", 7: "PLL2RDY", 8: "PLL3RDY", 9: "LSECSS"}
_REGISTERS += [
    # 8.7.18 RCC_D1CCIPR, reset 0.
    Register("D1CCIPR", 0x4C, (Field("FMCSEL", 0, 2), Field("QSPISEL", 4, 2),
                               Field("SDMMCSEL", 16), Field("CKPERSEL", 28, 2))),
    # 8.7.19 RCC_D2CCIP1R, reset 0.
    Register("D2CCIP1R", 0x50, (
        Field("SAI1SEL", 0, 3), Field("SAI23SEL", 6, 3), Field("SPI123SEL", 12, 3),
        Field("SPI45SEL", 16, 3), Field("SPDIFSEL", 20, 2), Field("DFSDM1SEL", 24),
        Field("FDCANSEL", 28, 2), Field("SWPSEL", 31),
    )),
    # 8.7.20 RCC_D2CCIP2R, reset 0.
    Register("D2CCIP2R", 0x54, (
        Field("USART234578SEL", 0, 3), Field("USART16SEL", 3, 3), Field("RNGSEL", 8, 2),
        Field("I2C123SEL", 12, 2), Field("USBSEL", 20, 2), Field("CECSEL", 22, 2),
        Field("LPTIM1SEL", 28, 3),
    )),
    # 8.7.21 RCC_D3CCIPR, reset 0.
    Register("D3CCIPR", 0x58, (
        Field("LPUART1SEL", 0, 3), Field("I2C4SEL", 8, 2), Field("LPTIM2SEL", 10, 3),
        Field("LPTIM345SEL", 13, 3), Field("ADCSEL", 16, 2), Field("SAI4ASEL", 21, 3),
        Field("SAI4BSEL", 24, 3), Field("SPI6SEL", 28, 3),
    )),
    # 8.7.22 RCC_CIER, reset 0.
    Register("CIER", 0x60, tuple(Field(f"{n}IE", b) for b, n in _CIR_BITS.items())),
    # 8.7.23 RCC_CIFR, reset 0, read-only flags.
    Register("CIFR", 0x64, tuple(Field(f"{n}F", b, access=RO) for b, n in _CIR_BITS.items())
             + (Field("HSECSSF", 10, access=RO),)),
    # 8.7.24 RCC_CICR: write 1 to clear the matching CIFR flag; reads 0.
    Register("CICR", 0x68, tuple(Field(f"{n}C", b, access=WO) for b, n in _CIR_BITS.items())
             + (Field("HSECSSC", 10, access=WO),)),
    # 8.7.25 RCC_BDCR, reset 0 (backup-domain reset only).
    Register("BDCR", 0x70, (
        Field("LSEON", 0), Field("LSERDY", 1, access=RO), Field("LSEBYP", 2), Field("LSEDRV", 3, 2),
        Field("LSECSSON", 5), Field("LSECSSD", 6, access=RO), Field("RTCSEL", 8, 2),
        Field("RTCEN", 15), Field("BDRST", 16),
    )),
    # 8.7.26 RCC_CSR, reset 0.
    Register("CSR", 0x74, (Field("LSION", 0), Field("LSIRDY", 1, access=RO))),
]
_REGISTERS += [_flags(f"{bus}RSTR", _RSTR_OFFSETS[bus], _RESET_BITS[bus], "RST")
               for bus in _BUSES]                                   # 8.7.27..35, reset 0
_REGISTERS += [
    # 8.7.36 RCC_GCR, reset 0.
    Register("GCR", 0xA0, (Field("WW1RSC", 0, access="rs"),)),
    # 8.7.37 RCC_D3AMR, reset 0.
    _flags("D3AMR", 0xA8, {0: "BDMA", 3: "LPUART1", 5: "SPI6", 7: "I2C4", 9: "LPTIM2",
                           10: "LPTIM3", 11: "LPTIM4", 12: "LPTIM5", 14: "COMP12", 15: "VREF",
                           16: "RTC", 19: "CRC", 21: "SAI4", 24: "ADC3", 28: "BKPSRAM",
                           29: "SRAM4"}, "AMEN"),
    # 8.7.38 RCC_RSR. Value after a power-on reset: CPURSTF, D1RSTF, D2RSTF, BORRSTF, PINRSTF
    # and PORRSTF set = 0x00FA 0000 (RM0433 Table 56 "reset source identification"; the table
    # value of the register description is not certain here).
    Register("RSR", 0xD0, (
        Field("RMVF", 16), Field("CPURSTF", 17, access=RO, reset=1),
        Field("D1RSTF", 19, access=RO, reset=1), Field("D2RSTF", 20, access=RO, reset=1),
        Field("BORRSTF", 21, access=RO, reset=1), Field("PINRSTF", 22, access=RO, reset=1),
        Field("PORRSTF", 23, access=RO, reset=1), Field("SFTRSTF", 24, access=RO),
        Field("IWDG1RSTF", 26, access=RO), Field("WWDG1RSTF", 28, access=RO),
        Field("LPWRRSTF", 30, access=RO),
    )),
]
_REGISTERS += [_flags(f"{bus}ENR", _ENR_OFFSETS[bus], ENABLE_BITS[bus], "EN")
               for bus in _BUSES]                                   # 8.7.39..47, reset 0
# 8.7.48..56 RCC_xxxLPENR: every bit set at reset (e.g. AHB3LPENR 0xF001 5131,
# AHB1LPENR 0x1E03 8023, AHB2LPENR 0xE000 0271, AHB4LPENR 0x3128 07FF).
# HSEM has no low-power enable bit (it is not clocked separately in Sleep).
_REGISTERS += [_flags(f"{bus}LPENR", _LPENR_OFFSETS[bus],
                      {**{b: n for b, n in ENABLE_BITS[bus].items() if n != "HSEM"},
                       **_LP_EXTRA.get(bus, {})}, "LPEN", reset_all=True)
               for bus in _BUSES]

# Prescaler encodings (RM0433 8.7.7): HPRE / D1CPRE: 0xxx = /1, 1000 = /2 ... 1111 = /512.
_AHB_DIV = (1, 1, 1, 1, 1, 1, 1, 1, 2, 4, 8, 16, 64, 128, 256, 512)
# D1PPRE / D2PPRE1 / D2PPRE2 / D3PPRE: 0xx = /1, 100 = /2, 101 = /4, 110 = /8, 111 = /16.
_APB_DIV = (1, 1, 1, 1, 2, 4, 8, 16)
# PLLxRGE input ranges in Hz (RM0433 8.7.11).
_PLL_RANGES = ((1e6, 2e6), (2e6, 4e6), (4e6, 8e6), (8e6, 16e6))
# VCO ranges (RM0433 8.5.5; DS12110 Tables 62/63). Wide VCO: 192-836 MHz on rev Y, extended to
# 960 MHz on rev V (needed for 480 MHz = 960/2); medium VCO: 150-420 MHz.
_VCO_WIDE = {"V": (192e6, 960e6), "Y": (192e6, 836e6)}
_VCO_MEDIUM = (150e6, 420e6)
# Kernel clock muxes (RM0433 8.7.20/8.7.19/8.7.21): selection value -> clock name.
_USART_MUX = {0: None, 1: "pll2_q", 2: "pll3_q", 3: "hsi", 4: "csi", 5: "lse"}  # 0 = its APB
_SAI_MUX = {0: "pll1_q", 1: "pll2_p", 2: "pll3_p", 3: "i2s_ckin", 4: "per_ck"}
# RM0433 8.7.21 LPTIM1SEL / 8.7.22 LPTIM2SEL, LPTIM345SEL: 0 = the block's APB clock
_LPTIM_MUX = {0: None, 1: "pll2_p", 2: "pll3_r", 3: "lse", 4: "lsi", 5: "per_ck"}
_KERNEL_MUX: dict[str, tuple[str, str, dict[int, str | None], str]] = {
    # name: (register, field, mux, clock used for selection 0)
    **{u: ("D2CCIP2R", "USART16SEL", _USART_MUX, "pclk2") for u in ("USART1", "USART6")},
    **{u: ("D2CCIP2R", "USART234578SEL", _USART_MUX, "pclk1")
       for u in ("USART2", "USART3", "UART4", "UART5", "UART7", "UART8")},
    "LPUART1": ("D3CCIPR", "LPUART1SEL", _USART_MUX, "pclk4"),
    "SAI1": ("D2CCIP1R", "SAI1SEL", _SAI_MUX, ""),
    "SAI2": ("D2CCIP1R", "SAI23SEL", _SAI_MUX, ""),
    "SAI3": ("D2CCIP1R", "SAI23SEL", _SAI_MUX, ""),
    "SAI4A": ("D3CCIPR", "SAI4ASEL", _SAI_MUX, ""),
    "LPTIM1": ("D2CCIP2R", "LPTIM1SEL", _LPTIM_MUX, "pclk1"),
    "LPTIM2": ("D3CCIPR", "LPTIM2SEL", _LPTIM_MUX, "pclk4"),
    **{t: ("D3CCIPR", "LPTIM345SEL", _LPTIM_MUX, "pclk4") for t in ("LPTIM3", "LPTIM4", "LPTIM5")},
    "SAI4B": ("D3CCIPR", "SAI4BSEL", _SAI_MUX, ""),
}
_SAI4 = "SAI4"

# Oscillators: CR/CSR/BDCR on bit, ready bit, CIFR flag, StartupTimes attribute.
_OSCILLATORS = (
    ("CR", "HSION", "HSIRDY", "HSIRDYF"),
    ("CR", "CSION", "CSIRDY", "CSIRDYF"),
    ("CR", "HSI48ON", "HSI48RDY", "HSI48RDYF"),
    ("CR", "HSEON", "HSERDY", "HSERDYF"),
    ("CSR", "LSION", "LSIRDY", "LSIRDYF"),
    ("BDCR", "LSEON", "LSERDY", "LSERDYF"),
)
_SW_SOURCES = {0: "HSIRDY", 1: "CSIRDY", 2: "HSERDY", 3: "PLL1RDY"}    # CFGR.SW encoding
_PLLSRC_READY = {0: "HSIRDY", 1: "CSIRDY", 2: "HSERDY"}                # PLLCKSELR.PLLSRC


class RCC(ClockTreeModel):
    """RCC with a register-derived clock tree, start-up delays and configuration checks."""

    registers = tuple(_REGISTERS)
    bus_clock = "hclk"   # AHB4
    CLOCKS = CLOCKS
    SW_SOURCES = _SW_SOURCES
    ENABLE_BITS = ENABLE_BITS

    def __init__(self, name: str, base: int, size: int, ctx, **params: object) -> None:
        # Oscillator frequencies: a key of its own, else the platform [chip] table (passed by the
        # machine as ``chip``; the bundled STM32H743's for a model built without one).
        def param(key: str, default: object = None) -> object:
            return chip_param(params, "stm32h743", key, default)

        self.hsi_hz = float(param("hsi_hz"))                # RM0433 8.5.2
        self.csi_hz = float(param("csi_hz"))
        self.hse_hz = float(param("hse_hz"))
        self.lse_hz = float(param("lse_hz"))
        self.lsi_hz = float(param("lsi_hz"))
        self.hsi48_hz = 48e6
        self.i2s_ckin_hz = float(param("i2s_ckin_hz", 0.0))
        self.revision = str(param("revision", "V"))
        self.startup = StartupTimes()
        self.operating = operating.from_params(params, "stm32h743")
        super().__init__(name, base, size, ctx, **params)

    def note_reset(self, flag: str) -> None:
        """After a system reset: set the RCC_RSR flag of its source (IWDG1RSTF, WWDG1RSTF,
        SFTRSTF; RM0433 8.4.4 Table 56). Flags stay set until RMVF clears them."""
        try:
            self.set_field("RSR", flag, 1)
        except KeyError:
            self.ctx.log(f"RCC: no RSR flag {flag}")

    def system_reset(self) -> None:
        """RCC_BDCR is in the backup domain: a system reset (and the exit from Standby) keeps
        it and a running LSE start-up (RM0433 8.4.3 / 8.7.25)."""
        bdcr = self.reg("BDCR")
        lse = self.__dict__.setdefault("_pending", {}).pop("LSERDY", None)
        before = self._signature
        self.reset()
        self.set_reg("BDCR", bdcr)
        if lse is not None:
            self.ctx.cancel(lse)
            self._oscillator("LSEON", "LSERDY", "LSERDYF", reg="BDCR")
        self._signature = before
        self._clock_changed()        # listeners (core clock, RTC on LSI) see the reset clocks

    def enter_stop(self) -> None:
        """The system enters Stop (RM0433 8.7.2 RCC_CR: HSEON and PLL1ON..PLL3ON are
        cleared by hardware when entering Stop or Standby). The system clock on exit is HSI
        (CFGR.STOPWUCK = 0) or CSI (STOPWUCK = 1), with HSION / CSION set by hardware (RM0433
        8.7.2 HSION/CSION, 8.7.6 STOPWUCK); the prescalers keep their values. Done at entry:
        no core clock runs in between, so firmware cannot tell the difference."""
        csi = bool(self.get_field("CFGR", "STOPWUCK"))
        for key in ("HSERDY", "PLL1RDY", "PLL2RDY", "PLL3RDY"):
            self._cancel(key)
        for name in ("HSEON", "HSERDY", "PLL1ON", "PLL1RDY", "PLL2ON", "PLL2RDY",
                     "PLL3ON", "PLL3RDY"):
            self.set_field("CR", name, 0)
        on, rdy = ("CSION", "CSIRDY") if csi else ("HSION", "HSIRDY")
        self._cancel(rdy)
        self.set_field("CR", on, 1)
        self.set_field("CR", rdy, 1)          # awake and stable by the end of the wake-up time
        self.set_field("CFGR", "SW", 1 if csi else 0)
        self.set_field("CFGR", "SWS", 1 if csi else 0)
        self._clock_changed()

    # --- bus side: C1_ aliases and change notification ---------------------------------------
    def alias_of(self, offset: int) -> int:
        if _C1_ALIAS_BASE <= offset < _C1_ALIAS_END:
            return offset - _C1_ALIAS_DELTA
        return offset

    # --- clock tree ----------------------------------------------------------------------------
    def clock_hz(self, name: str) -> float:
        """Frequency of clock ``name`` (one of CLOCKS) in Hz, 0 when it is stopped.
        Memoised until a register changes: every RCC write reaches Python (write() is
        overridden), so ``values.version`` sees every change."""
        memo = self.__dict__.setdefault("_hz_memo", {})
        if memo.get(None) != self.values.version:
            memo.clear()
            memo[None] = self.values.version
        hz = memo.get(name)
        if hz is None:
            hz = memo[name] = self._clock_hz(name)
        return hz

    def _clock_hz(self, name: str) -> float:
        f = self.get_field
        if name == "hsi":
            return self.hsi_hz / (1 << f("CR", "HSIDIV")) if f("CR", "HSIRDY") else 0.0
        if name == "csi":
            return self.csi_hz if f("CR", "CSIRDY") else 0.0
        if name == "hse":
            return self.hse_hz if f("CR", "HSERDY") else 0.0
        if name == "hsi48":
            return self.hsi48_hz if f("CR", "HSI48RDY") else 0.0
        if name == "lse":
            return self.lse_hz if f("BDCR", "LSERDY") else 0.0
        if name == "lsi":
            return self.lsi_hz if f("CSR", "LSIRDY") else 0.0
        if name == "i2s_ckin":
            return self.i2s_ckin_hz
        if name.startswith("pll") and len(name) == 6 and name[4] == "_":
            return self._pll_out(int(name[3]), name[5].upper())
        if name == "sys_ck":
            src = {0: "hsi", 1: "csi", 2: "hse", 3: "pll1_p"}.get(f("CFGR", "SWS"))
            return self.clock_hz(src) if src else 0.0
        if name == "cpu":
            return self.clock_hz("sys_ck") / _AHB_DIV[f("D1CFGR", "D1CPRE")]
        if name == "hclk":
            return self.clock_hz("cpu") / _AHB_DIV[f("D1CFGR", "HPRE")]
        if name == "pclk3":
            return self.clock_hz("hclk") / _APB_DIV[f("D1CFGR", "D1PPRE")]
        if name == "pclk1":
            return self.clock_hz("hclk") / _APB_DIV[f("D2CFGR", "D2PPRE1")]
        if name == "pclk2":
            return self.clock_hz("hclk") / _APB_DIV[f("D2CFGR", "D2PPRE2")]
        if name == "pclk4":
            return self.clock_hz("hclk") / _APB_DIV[f("D3CFGR", "D3PPRE")]
        if name == "per_ck":
            src = {0: "hsi", 1: "csi", 2: "hse"}.get(f("D1CCIPR", "CKPERSEL"))
            return self.clock_hz(src) if src else 0.0
        if name in ("timx_ker", "timy_ker"):            # RM0433 Table 56
            div = _APB_DIV[f("D2CFGR", "D2PPRE1" if name == "timx_ker" else "D2PPRE2")]
            pclk = self.clock_hz("pclk1" if name == "timx_ker" else "pclk2")
            return self._timer_clock(div, pclk, f("CFGR", "TIMPRE"))
        raise KeyError(f"RCC: unknown clock {name!r} (known: {', '.join(CLOCKS)})")

    def kernel_clock_source(self, peripheral: str) -> str:
        """Name of the clock (CLOCKS) a USART/UART/LPUART/SAI/LPTIM block's kernel clock mux
        selects ("" for a reserved selection)."""
        if peripheral == _SAI4:
            peripheral = "SAI4A"
        if peripheral not in _KERNEL_MUX:
            raise KeyError(f"RCC: no kernel clock mux modelled for {peripheral}")
        reg, fld, mux, default = _KERNEL_MUX[peripheral]
        sel = self.get_field(reg, fld)
        src = mux.get(sel, "")
        if src is None:
            src = default
        if not src:
            self.warn_once(f"RCC: {reg}.{fld}={sel} is a reserved selection for {peripheral}")
        return src

    def kernel_clock_hz(self, peripheral: str) -> float:
        """Kernel clock of a USART/UART/LPUART/SAI/LPTIM block, per its CCIPR selection."""
        src = self.kernel_clock_source(peripheral)
        return self.clock_hz(src) if src else 0.0

    def pll_vco_hz(self, n: int) -> float:
        """VCO output of PLL ``n`` from the register values (0 if its prescaler is off)."""
        src = {0: self.hsi_hz / (1 << self.get_field("CR", "HSIDIV")), 1: self.csi_hz,
               2: self.hse_hz}.get(self.get_field("PLLCKSELR", "PLLSRC"), 0.0)
        divm = self.get_field("PLLCKSELR", f"DIVM{n}")
        if divm == 0:
            return 0.0
        mult = self.get_field(f"PLL{n}DIVR", f"DIVN{n}") + 1
        if self.get_field("PLLCFGR", f"PLL{n}FRACEN"):
            mult += self.get_field(f"PLL{n}FRACR", f"FRACN{n}") / 8192
        return src / divm * mult

    def _pll_out(self, n: int, out: str) -> float:
        if out not in "PQR" or not 1 <= n <= 3:
            raise KeyError(f"RCC: unknown clock pll{n}_{out.lower()}")
        if not (self.get_field("CR", f"PLL{n}RDY")
                and self.get_field("PLLCFGR", f"DIV{out}{n}EN")):
            return 0.0
        return self.pll_vco_hz(n) / (self.get_field(f"PLL{n}DIVR", f"DIV{out}{n}") + 1)

    # --- what the rest of the chip reads (peripherals/ports.py ClockTree; enabled_peripherals,
    # block_enabled and rtcclk_hz are ClockTreeModel's) ----------------------------------------
    def system_clock_from_pll(self) -> bool:
        """CFGR.SWS = 3: the system clock runs from PLL1 (RM0433 8.7.6)."""
        return self.get_field("CFGR", "SWS") == 3

    def power_state(self) -> dict[str, object]:
        """Clocked blocks, the four APB clocks and the locked PLLs (the power model's input)."""
        return {"peripherals_on": tuple(self.enabled_peripherals()),
                "clocks": {c: self.clock_hz(c) for c in ("pclk1", "pclk2", "pclk3", "pclk4")},
                "plls_on": tuple(n for n in (1, 2, 3) if self.get_field("CR", f"PLL{n}RDY"))}

    # --- register behaviour --------------------------------------------------------------------
    def on_write_CR(self, old: int, new: int) -> None:
        new = self._protect_running_sources(old, new)
        self.values[0x00] = new
        changed = old ^ new
        hsidiv = self._by_name["CR"].field("HSIDIV").mask
        if changed & hsidiv:
            if self._hsi_feeds_running_pll():
                self.warn_once("RCC: HSIDIV cannot change while HSI feeds an enabled PLL "
                               "(RM0433 8.7.2); write ignored")
                self.values[0x00] = (new & ~hsidiv) | (old & hsidiv)
            else:
                self.set_field("CR", "HSIDIVF", 0)
                self._after(self.startup.hsi, "HSIDIVF", lambda: self.set_field("CR", "HSIDIVF", 1))
        for reg, on, rdy, flag in _OSCILLATORS:
            if reg == "CR":
                self._oscillator(on, rdy, flag)
        for n in (1, 2, 3):
            self._pll(n)

    def on_write_CSR(self, old: int, new: int) -> None:
        self._oscillator("LSION", "LSIRDY", "LSIRDYF", reg="CSR")

    def on_write_BDCR(self, old: int, new: int) -> None:
        self._oscillator("LSEON", "LSERDY", "LSERDYF", reg="BDCR")

    def on_write_CFGR(self, old: int, new: int) -> None:
        self._try_switch()

    def on_write_PLLCKSELR(self, old: int, new: int) -> None:
        keep = 0
        if any(self.get_field("CR", f"PLL{n}ON") for n in (1, 2, 3)):
            keep |= self._by_name["PLLCKSELR"].field("PLLSRC").mask
        for n in (1, 2, 3):
            if self._pll_running(n):
                keep |= self._by_name["PLLCKSELR"].field(f"DIVM{n}").mask
        self._keep_fields("PLLCKSELR", old, new, keep, "PLLSRC/DIVMx (RM0433 8.7.10)")

    def on_write_PLLCFGR(self, old: int, new: int) -> None:
        keep = 0
        for n in (1, 2, 3):
            if self._pll_running(n):
                r = self._by_name["PLLCFGR"]
                keep |= r.field(f"PLL{n}RGE").mask | r.field(f"PLL{n}VCOSEL").mask
        self._keep_fields("PLLCFGR", old, new, keep, "PLLxRGE/PLLxVCOSEL (RM0433 8.7.11)")

    def on_write_PLL1DIVR(self, old: int, new: int) -> None:
        self._protect_divn(1, old, new)

    def on_write_PLL2DIVR(self, old: int, new: int) -> None:
        self._protect_divn(2, old, new)

    def on_write_PLL3DIVR(self, old: int, new: int) -> None:
        self._protect_divn(3, old, new)

    def on_write_CICR(self, old: int, new: int) -> None:
        self.set_reg("CIFR", self.reg("CIFR") & ~new)
        self.set_reg("CICR", 0)
        self._update_irq()

    def on_write_CIER(self, old: int, new: int) -> None:
        self._update_irq()

    def on_write_RSR(self, old: int, new: int) -> None:
        if self.get_field("RSR", "RMVF"):
            self.set_reg("RSR", self.reg("RSR") & self._by_name["RSR"].field("RMVF").mask)

    # --- helpers: oscillators, PLLs, switch ----------------------------------------------------
    def _cancel(self, key: str) -> None:
        self.cancel_pending(key)

    def _oscillator(self, on: str, rdy: str, flag: str, reg: str = "CR") -> None:
        enabled, ready = self.get_field(reg, on), self.get_field(reg, rdy)
        if enabled and not ready and rdy not in self._pending:
            delay = {"HSIRDY": self.startup.hsi, "CSIRDY": self.startup.csi,
                     "HSI48RDY": self.startup.hsi48, "LSIRDY": self.startup.lsi,
                     "LSERDY": self.startup.lse,
                     "HSERDY": self.startup.hse_bypass if self.get_field("CR", "HSEBYP")
                     else self.startup.hse_crystal}[rdy]
            self._after(delay, rdy, lambda: self._became_ready(reg, rdy, flag))
        elif not enabled:
            self._cancel(rdy)
            self.set_field(reg, rdy, 0)

    def _became_ready(self, reg: str, rdy: str, flag: str) -> None:
        self.set_field(reg, rdy, 1)
        self.set_field("CIFR", flag, 1)
        self._update_irq()
        self._try_switch()
        for n in (1, 2, 3):
            self._pll(n)

    def _pll_running(self, n: int) -> bool:
        return bool(self.get_field("CR", f"PLL{n}ON") or self.get_field("CR", f"PLL{n}RDY"))

    def _pll(self, n: int) -> None:
        on, rdy, key = f"PLL{n}ON", f"PLL{n}RDY", f"PLL{n}RDY"
        if not self.get_field("CR", on):
            self._cancel(key)
            self.set_field("CR", rdy, 0)
            return
        if self.get_field("CR", rdy) or key in self._pending:
            return
        src_rdy = _PLLSRC_READY.get(self.get_field("PLLCKSELR", "PLLSRC"))
        if src_rdy is None:
            self.warn_once(f"RCC: PLL{n} enabled with PLLSRC=3 (no clock): it will not lock")
            return
        if not self.get_field("CR", src_rdy):
            return   # locks once its source is ready (re-checked from _became_ready)
        self._check_pll(n)
        self._after(self.startup.pll_lock, key, lambda: self._became_ready("CR", rdy, f"{rdy}F"))

    def _check_pll(self, n: int) -> None:
        """RM0433 8.5.5 / 8.7.11 / 8.7.12 rules on the PLL input, multiplier and VCO."""
        src = {0: self.hsi_hz / (1 << self.get_field("CR", "HSIDIV")), 1: self.csi_hz,
               2: self.hse_hz}[self.get_field("PLLCKSELR", "PLLSRC")]
        divm = self.get_field("PLLCKSELR", f"DIVM{n}")
        if divm == 0:
            self.warn_once(f"RCC: PLL{n} enabled with DIVM{n}=0 (prescaler disabled): no output")
            return
        ref = src / divm
        rge = self.get_field("PLLCFGR", f"PLL{n}RGE")
        lo, hi = _PLL_RANGES[rge]
        if not lo <= ref <= hi:
            self.warn_once(f"RCC: PLL{n} input {ref / 1e6:g} MHz outside PLL{n}RGE={rge} range "
                           f"{lo / 1e6:g}-{hi / 1e6:g} MHz (RM0433 8.7.11; ref must be 1-16 MHz)")
        divn = self.get_field(f"PLL{n}DIVR", f"DIVN{n}") + 1
        if not 4 <= divn <= 512:
            self.warn_once(f"RCC: PLL{n} DIVN={divn} outside 4..512 (RM0433 8.7.12)")
        vco = self.pll_vco_hz(n)
        medium = self.get_field("PLLCFGR", f"PLL{n}VCOSEL")
        lo, hi = _VCO_MEDIUM if medium else _VCO_WIDE.get(self.revision, _VCO_WIDE["V"])
        if not lo <= vco <= hi:
            self.warn_once(f"RCC: PLL{n} VCO {vco / 1e6:g} MHz outside the "
                           f"{'medium' if medium else 'wide'} VCO range "
                           f"{lo / 1e6:g}-{hi / 1e6:g} MHz (RM0433 8.5.5)")
        if not medium and rge == 0:
            self.warn_once(f"RCC: PLL{n} wide VCO (VCOSEL=0) needs an input of 2-16 MHz, "
                           f"PLL{n}RGE=0 selects 1-2 MHz (RM0433 8.7.11)")
        if n == 1 and self.get_field("PLLCFGR", "DIVP1EN"):
            divp = self.get_field("PLL1DIVR", "DIVP1") + 1
            if divp % 2:
                self.warn_once(f"RCC: PLL1 DIVP={divp}: odd factors are not allowed for PLL1 "
                               f"(RM0433 8.7.12)")

    def _protect_divn(self, n: int, old: int, new: int) -> None:
        if self._pll_running(n):
            mask = self._by_name[f"PLL{n}DIVR"].field(f"DIVN{n}").mask
            self._keep_fields(f"PLL{n}DIVR", old, new, mask, f"DIVN{n} (RM0433 8.7.12)")

    def _keep_fields(self, reg: str, old: int, new: int, keep: int, what: str) -> None:
        if (old ^ new) & keep:
            self.warn_once(f"RCC: {reg} write to {what} ignored while the PLL is enabled")
            self.set_reg(reg, (new & ~keep) | (old & keep))

    def _hsi_feeds_running_pll(self) -> bool:
        return self.get_field("PLLCKSELR", "PLLSRC") == 0 and any(
            self.get_field("CR", f"PLL{n}ON") for n in (1, 2, 3))

    def _protect_running_sources(self, old: int, new: int) -> int:
        """Silicon refuses to stop the oscillator or PLL that clocks the system or PLL1
        (RM0433 8.7.2 HSION/CSION/HSEON/PLL1ON descriptions)."""
        cr = self._by_name["CR"]
        sws = self.get_field("CFGR", "SWS")
        pllsrc = self.get_field("PLLCKSELR", "PLLSRC")
        pll_on = bool(old & cr.field("PLL1ON").mask)
        guarded = {0: "HSION", 1: "CSION", 2: "HSEON", 3: "PLL1ON"}
        for code, bit in guarded.items():
            mask = cr.field(bit).mask
            in_use = sws == code or (pll_on and code < 3 and pllsrc == code and sws == 3)
            if in_use and old & mask and not new & mask:
                self.warn_once(f"RCC: CR.{bit} cannot be cleared while it clocks the system")
                new |= mask
        return new

    def _update_irq(self) -> None:
        irqs = self.params.get("irqs") or {}
        if isinstance(irqs, dict) and irqs:
            level = bool(self.reg("CIFR") & self.reg("CIER"))
            self.ctx.set_irq(int(next(iter(irqs.values()))), level)

    # --- change notification and operating-point checks ---------------------------------------
    def _clock_signature(self) -> tuple[float, ...]:
        # the ENR values are included so that enabling a block closes the machine's power
        # segment (peripherals_on is sampled per segment)
        return tuple(self.clock_hz(c) for c in CLOCKS) + tuple(self.reg(f"{b}ENR") for b in _BUSES)

    def operating_scale(self) -> tuple[int, bool] | None:
        return (self.power.vos, False) if self.power is not None else None


MODEL = RCC
