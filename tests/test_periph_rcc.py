"""RCC, PWR, SYSCFG and FLASH together through the bus API (no CPU): reset values, ready
delays, the SystemInit sequences for 400 MHz (VOS1) and 480 MHz (VOS0), clock tree and checks."""

from __future__ import annotations

import pathlib
import tomllib

import pytest

from peripherals import model_class
from peripherals.base import FakeContext, Peripheral

ROOT = pathlib.Path(__file__).resolve().parents[1]
PLATFORM = tomllib.loads((ROOT / "simulator/platforms/stm32h743.toml").read_text())


def build(*names: str, revision: str | None = None, **clocks: float) -> FakeContext:
    """A FakeContext holding the named platform peripherals, built as the bus builds them."""
    ctx = FakeContext(clocks=dict(clocks))
    chip = dict(PLATFORM["chip"])
    if revision:
        chip["revision"] = revision
    for p in PLATFORM["peripheral"]:
        if p["name"] in names:
            params = {k: v for k, v in p.items() if k not in ("name", "base", "size", "model")}
            params["chip"] = chip                    # as simulator/machine.py passes it
            cls = model_class(p.get("model"))
            ctx.peripherals[p["name"]] = cls(p["name"], p["base"], p["size"], ctx, **params)
    ctx.wire()
    return ctx


def off(p: Peripheral, reg: str) -> int:
    return next(r.offset for r in p.registers if r.name == reg)


def rd(p: Peripheral, reg: str) -> int:
    return p.read(off(p, reg), 4)


def wr(p: Peripheral, reg: str, value: int) -> None:
    p.write(off(p, reg), 4, value)


def us(ctx: FakeContext, micro: float) -> int:
    """Core cycles in ``micro`` microseconds at the current core clock."""
    return round(micro * 1e-6 * ctx.clock_hz("cpu"))


def warnings(ctx: FakeContext) -> list[str]:
    return [m for m in ctx.messages if "warning" in m]


# --- reset values ---------------------------------------------------------------------------
# RM0433 Rev 8 section 8.7 (RCC_CR as read: 0x25 plus the D1/D2 clock-ready status bits).
RCC_RESET = {
    0x00: 0x0000C025, 0x04: 0x40000000, 0x08: 0, 0x0C: 0x20000000, 0x10: 0, 0x18: 0, 0x1C: 0,
    0x20: 0, 0x28: 0x02020200, 0x2C: 0x01FF0000, 0x30: 0x01010280, 0x34: 0, 0x38: 0x01010280,
    0x3C: 0, 0x40: 0x01010280, 0x44: 0, 0x4C: 0, 0x50: 0, 0x54: 0, 0x58: 0, 0x60: 0, 0x64: 0,
    0x68: 0, 0x70: 0, 0x74: 0, 0xD0: 0x00FA0000,
    **{o: 0 for o in range(0x7C, 0xA0, 4)}, **{o: 0 for o in range(0xD4, 0xF8, 4)},
    0xFC: 0xF0015131, 0x100: 0x1E038023, 0x104: 0xE0000271, 0x108: 0x312807FF, 0x10C: 0x48,
    0x110: 0xE8FFC3FF, 0x114: 0x136, 0x118: 0x31D73033, 0x11C: 0x0021DEAA,
    0x130: 0x00FA0000, 0x15C: 0xF0015131, 0x17C: 0x0021DEAA,
}
PWR_RESET = {0x00: 0xF000C000, 0x04: 0x00004000, 0x08: 0, 0x0C: 0x00000006, 0x10: 0,
             0x18: 0x00004000, 0x20: 0, 0x24: 0, 0x28: 0}
FLASH_RESET = {0x000: 0x37, 0x100: 0x37, 0x00C: 0x31, 0x10C: 0x31, 0x010: 0, 0x110: 0,
               0x018: 0x1, 0x118: 0x1, 0x01C: 0x0006AAD0, 0x040: 0x1FF00800, 0x038: 0xFF}
SYSCFG_RESET = {0x04: 0x0F000000, 0x08: 0, 0x18: 0, 0x20: 0, 0x2C: 0}


@pytest.mark.parametrize("name,expected", [("RCC", RCC_RESET), ("PWR", PWR_RESET),
                                           ("FLASH_REGS", FLASH_RESET),
                                           ("SYSCFG", SYSCFG_RESET)])
def test_reset_values_match_rm0433(name: str, expected: dict[int, int]) -> None:
    p = build(name).peripherals[name]
    for offset, value in expected.items():
        assert p.read(offset, 4) == value, f"{name}+{offset:#x}"


# Registers whose RM0433 reset value is 0 (ST's SVD resetValue agrees).
ZERO_AT_RESET = {
    "RCC": (0xA0, 0xA8),                                     # GCR, D3AMR
    "FLASH_REGS": (0x004, 0x008, 0x014, 0x024, 0x050, 0x054, 0x058, 0x05C, 0x060,  # bank 1
                   0x104, 0x114, 0x150, 0x154, 0x158, 0x160),                      # bank 2
    "SYSCFG": (0x0C, 0x10, 0x14, 0x24, 0x28, 0x124, *range(0x310, 0x348, 4)),  # EXTICR2-4..UR17
}
# Loaded from the option bytes at reset (RM0433 4.4, "reset value: X"): the model gives the
# factory option-byte values; no fixed reset value to check against here.
FROM_OPTION_BYTES = {
    "FLASH_REGS": (0x020, 0x044, 0x028, 0x02C, 0x030, 0x034, 0x03C,
                   0x128, 0x12C, 0x130, 0x134, 0x138, 0x13C),
    "SYSCFG": (0x300, 0x304, 0x308, 0x30C),                   # UR0-UR3
}


@pytest.mark.parametrize("name", ["RCC", "PWR", "FLASH_REGS", "SYSCFG"])
def test_every_declared_register_has_its_manual_reset_value(name: str) -> None:
    """Each declared register reads the RM0433 value written in this file (a register
    declared without one fails until its value is written here)."""
    p = build(name).peripherals[name]
    written = {"RCC": RCC_RESET, "PWR": PWR_RESET, "FLASH_REGS": FLASH_RESET,
               "SYSCFG": SYSCFG_RESET}[name]
    expected = {**written, **{o: 0 for o in ZERO_AT_RESET.get(name, ())}}
    for r in p.registers:
        if r.offset in FROM_OPTION_BYTES.get(name, ()):
            continue
        assert r.offset in expected, f"{name}.{r.name}: no RM0433 reset value in this test"
        assert p.read(r.offset, 4) == expected[r.offset], f"{name}.{r.name}"


def test_reset_clock_tree_is_hsi_64mhz() -> None:
    rcc = build("RCC").peripherals["RCC"]
    for clk in ("sys_ck", "cpu", "hclk", "pclk1", "pclk2", "pclk3", "pclk4", "hsi", "per_ck"):
        assert rcc.clock_hz(clk) == 64e6, clk
    assert rcc.clock_hz("pll1_p") == 0 and rcc.clock_hz("hse") == 0
    assert rcc.kernel_clock_hz("USART3") == 64e6


# --- SystemInit --------------------------------------------------------------------------------
def system_init(ctx: FakeContext, mhz: int) -> None:
    """The CMSIS/HAL SystemClock_Config sequence, register by register, polling ready bits."""
    rcc, pwr, flash = (ctx.peripherals[n] for n in ("RCC", "PWR", "FLASH_REGS"))
    syscfg = ctx.peripherals["SYSCFG"]

    def poll(p: Peripheral, reg: str, mask: int, want: int, max_us: float = 200) -> int:
        waited = 0
        while rd(p, reg) & mask != want:
            assert waited < us(ctx, max_us), f"{reg} never reached {want:#x}"
            ctx.advance(16)
            waited += 16
        return waited

    # Supply: LDO (HAL_PWREx_ConfigSupply): SCUEN, LDOEN, BYPASS <- LDOEN.
    wr(pwr, "CR3", rd(pwr, "CR3") & ~0x7 | 0x2)
    assert poll(pwr, "CSR1", 1 << 13, 1 << 13) > 0
    # Voltage scale 1, wait VOSRDY.
    wr(pwr, "D3CR", 3 << 14)
    assert rd(pwr, "D3CR") & (1 << 13) == 0
    assert poll(pwr, "D3CR", 1 << 13, 1 << 13) > 0
    if mhz == 480:                             # VOS0: ODEN in SYSCFG (RM0433 6.6.2)
        wr(rcc, "APB4ENR", rd(rcc, "APB4ENR") | 1 << 1)
        wr(syscfg, "PWRCR", 1)
        assert poll(pwr, "D3CR", 1 << 13, 1 << 13) > 0
    # PLL1 from HSI: /4 = 16 MHz (RGE 8-16 MHz), wide VCO, x50 (800 MHz) or x60 (960 MHz), /2.
    wr(rcc, "PLLCKSELR", rd(rcc, "PLLCKSELR") & ~(0x3F << 4 | 0x3) | 4 << 4)
    wr(rcc, "PLLCFGR", rd(rcc, "PLLCFGR") & ~0xF | 3 << 2)
    divn = {400: 50, 480: 60}[mhz]
    wr(rcc, "PLL1DIVR", (divn - 1) | (2 - 1) << 9 | (4 - 1) << 16 | (2 - 1) << 24)
    wr(rcc, "CR", rd(rcc, "CR") | 1 << 24)
    assert rd(rcc, "CR") & 1 << 25 == 0
    waited = poll(rcc, "CR", 1 << 25, 1 << 25)
    assert us(ctx, 50) - 16 <= waited <= us(ctx, 50) + 16        # PLL lock time
    # Flash wait states before raising the clock: 2 WS at 200 MHz AXI, 4 WS at 240 MHz.
    latency = {400: 2, 480: 4}[mhz]
    wr(flash, "ACR", latency | 2 << 4)
    assert rd(flash, "ACR") == latency | 2 << 4
    # Bus prescalers: HPRE /2, D1PPRE /2, D2PPRE1/2 /2, D3PPRE /2.
    wr(rcc, "D1CFGR", 0b1000 | 0b100 << 4)
    wr(rcc, "D2CFGR", 0b100 << 4 | 0b100 << 8)
    wr(rcc, "D3CFGR", 0b100 << 4)
    # Switch SYSCLK to PLL1 and wait for SWS.
    wr(rcc, "CFGR", rd(rcc, "CFGR") & ~0x7 | 3)
    poll(rcc, "CFGR", 0x7 << 3, 3 << 3)


def test_system_init_400mhz() -> None:
    ctx = build("RCC", "PWR", "FLASH_REGS", "SYSCFG")
    rcc = ctx.peripherals["RCC"]
    seen: list[float] = []
    rcc.clock_changed.connect(lambda: seen.append(rcc.clock_hz("cpu")))
    system_init(ctx, 400)
    assert rcc.clock_hz("cpu") == 400e6
    assert rcc.clock_hz("hclk") == 200e6
    for p in ("pclk1", "pclk2", "pclk3", "pclk4"):
        assert rcc.clock_hz(p) == 100e6
    assert rcc.clock_hz("pll1_q") == 200e6
    assert ctx.clock_hz("cpu") == 400e6                 # FakeContext forwards to RCC
    assert ctx.peripherals["PWR"].vos == 1
    assert ctx.peripherals["FLASH_REGS"].latency == 2
    assert ctx.peripherals["FLASH_REGS"].wrhighfreq == 2
    assert seen and seen[-1] == 400e6
    assert warnings(ctx) == []


def test_system_init_480mhz_vos0() -> None:
    ctx = build("RCC", "PWR", "FLASH_REGS", "SYSCFG")
    rcc = ctx.peripherals["RCC"]
    system_init(ctx, 480)
    assert ctx.peripherals["PWR"].vos == 0
    assert rcc.clock_hz("cpu") == 480e6
    assert rcc.clock_hz("hclk") == 240e6
    assert rcc.clock_hz("pclk1") == 120e6
    assert warnings(ctx) == []


def test_480mhz_without_oden_is_reported() -> None:
    ctx = build("RCC", "PWR", "FLASH_REGS", "SYSCFG")
    pwr, rcc, flash = (ctx.peripherals[n] for n in ("PWR", "RCC", "FLASH_REGS"))
    wr(pwr, "CR3", 0x2)
    wr(pwr, "D3CR", 3 << 14)
    ctx.advance(us(ctx, 100))
    wr(rcc, "PLLCKSELR", 0x02020000 | 4 << 4)
    wr(rcc, "PLLCFGR", 0x01FF0000 | 3 << 2)
    wr(rcc, "PLL1DIVR", 59 | 1 << 9 | 1 << 16 | 1 << 24)
    wr(rcc, "CR", rd(rcc, "CR") | 1 << 24)
    ctx.advance(us(ctx, 60))
    wr(flash, "ACR", 0x24)
    wr(rcc, "D1CFGR", 0b1000 | 0b100 << 4)
    wr(rcc, "D2CFGR", 0b100 << 4 | 0b100 << 8)
    wr(rcc, "D3CFGR", 0b100 << 4)
    wr(rcc, "CFGR", 3)
    assert rcc.clock_hz("cpu") == 480e6
    ctx.advance(us(ctx, 20))                        # judged once it has held (clock_tree.SETTLE_S)
    assert any("above the VOS1 limit" in m for m in warnings(ctx))


def ll_system_clock(ctx: FakeContext, apb_div_later: bool) -> None:
    """CubeMX's LL SystemClock_Config for 400 MHz at VOS1, register by register: PLL1 locked,
    'Intermediate AHB prescaler 2', SYSCLK switched to PLL1 while the APB prescalers are still
    /1 (pclk = hclk = 200 MHz, above the VOS1 APB limit of 100 MHz: DS12110 Table 23), then
    (``apb_div_later``) the APB prescalers /2 a few instructions later."""
    pwr, rcc, flash = (ctx.peripherals[n] for n in ("PWR", "RCC", "FLASH_REGS"))
    wr(flash, "ACR", 0x22)
    wr(pwr, "CR3", 0x2)
    wr(pwr, "D3CR", 3 << 14)
    ctx.advance(us(ctx, 100))
    wr(rcc, "PLLCKSELR", 0x02020000 | 4 << 4)
    wr(rcc, "PLLCFGR", 0x01FF0000 | 3 << 2)
    wr(rcc, "PLL1DIVR", 49 | 1 << 9 | 1 << 16 | 1 << 24)
    wr(rcc, "CR", rd(rcc, "CR") | 1 << 24)
    ctx.advance(us(ctx, 60))
    wr(rcc, "D1CFGR", 0b1000)                       # HPRE /2
    wr(rcc, "CFGR", 3)                              # SYSCLK = PLL1
    assert rcc.clock_hz("pclk1") == 200e6
    ctx.advance(20)
    if apb_div_later:
        wr(rcc, "D1CFGR", 0b1000 | 0b100 << 4)      # D1PPRE /2
        wr(rcc, "D2CFGR", 0b100 << 4 | 0b100 << 8)  # D2PPRE1/2 /2
        wr(rcc, "D3CFGR", 0b100 << 4)               # D3PPRE /2
        assert rcc.clock_hz("pclk1") == 100e6


def test_a_transient_of_cubemx_ll_clock_setup_is_not_reported() -> None:
    ctx = build("RCC", "PWR", "FLASH_REGS", "SYSCFG")
    ll_system_clock(ctx, apb_div_later=True)
    ctx.advance(us(ctx, 50))
    assert not [m for m in warnings(ctx) if "above the VOS" in m]


def test_an_apb_clock_left_above_the_limit_is_reported() -> None:
    ctx = build("RCC", "PWR", "FLASH_REGS", "SYSCFG")
    ll_system_clock(ctx, apb_div_later=False)
    ctx.advance(us(ctx, 50))
    assert any("pclk1 200 MHz above the VOS1 APB limit 100 MHz" in m for m in warnings(ctx))


def test_too_few_wait_states_are_reported() -> None:
    ctx = build("RCC", "PWR", "FLASH_REGS", "SYSCFG")
    pwr, rcc, flash = (ctx.peripherals[n] for n in ("PWR", "RCC", "FLASH_REGS"))
    wr(pwr, "CR3", 0x2)
    wr(pwr, "D3CR", 3 << 14)
    ctx.advance(us(ctx, 100))
    wr(flash, "ACR", 0x11)                          # 1 WS
    wr(rcc, "PLLCKSELR", 0x02020000 | 4 << 4)
    wr(rcc, "PLLCFGR", 0x01FF0000 | 3 << 2)
    wr(rcc, "PLL1DIVR", 49 | 1 << 9 | 1 << 16 | 1 << 24)
    wr(rcc, "CR", rd(rcc, "CR") | 1 << 24)
    ctx.advance(us(ctx, 60))
    wr(rcc, "D1CFGR", 0b1000 | 0b100 << 4)
    wr(rcc, "CFGR", 3)
    assert any("LATENCY=1 too low" in m and "needs 2" in m for m in warnings(ctx))


# --- ready flags -------------------------------------------------------------------------------
def test_pll_lock_delay_and_disable() -> None:
    ctx = build("RCC")
    rcc = ctx.peripherals["RCC"]
    wr(rcc, "PLLCKSELR", 0x02020000 | 4 << 4)
    wr(rcc, "PLLCFGR", 0x01FF0000 | 3 << 2)
    wr(rcc, "PLL1DIVR", 49 | 1 << 9 | 1 << 16 | 1 << 24)
    wr(rcc, "CR", rd(rcc, "CR") | 1 << 24)
    lock = round(50e-6 * 64e6)
    ctx.advance(lock - 1)
    assert rd(rcc, "CR") & 1 << 25 == 0 and rcc.clock_hz("pll1_p") == 0
    ctx.advance(1)
    assert rd(rcc, "CR") & 1 << 25
    assert rcc.clock_hz("pll1_p") == 400e6 and rcc.clock_hz("pll1_q") == 400e6
    assert rd(rcc, "CIFR") & 1 << 6                  # PLL1RDYF
    wr(rcc, "CR", rd(rcc, "CR") & ~(1 << 24))
    assert rd(rcc, "CR") & 1 << 25 == 0


def test_hse_startup_and_switch_waits_for_ready() -> None:
    ctx = build("RCC")
    rcc = ctx.peripherals["RCC"]
    wr(rcc, "CR", rd(rcc, "CR") | 1 << 16)           # HSEON, crystal
    wr(rcc, "CFGR", 2)                               # SW = HSE before it is ready
    assert rd(rcc, "CFGR") >> 3 & 7 == 0
    ctx.advance(round(2e-3 * 64e6) - 1)
    assert rd(rcc, "CR") & 1 << 17 == 0 and rcc.clock_hz("cpu") == 64e6
    ctx.advance(1)
    assert rd(rcc, "CR") & 1 << 17
    assert rd(rcc, "CFGR") >> 3 & 7 == 2
    assert rcc.clock_hz("cpu") == 8e6


def test_hse_bypass_is_fast_and_csi_hsi48_become_ready() -> None:
    ctx = build("RCC")
    rcc = ctx.peripherals["RCC"]
    wr(rcc, "CR", rd(rcc, "CR") | 1 << 18 | 1 << 16 | 1 << 7 | 1 << 12)
    assert rd(rcc, "CR") & (1 << 17 | 1 << 8 | 1 << 13) == 0
    ctx.advance(round(6e-6 * 64e6))
    assert rd(rcc, "CR") & (1 << 17 | 1 << 8 | 1 << 13) == (1 << 17 | 1 << 8 | 1 << 13)
    assert rcc.clock_hz("hse") == 8e6 and rcc.clock_hz("csi") == 4e6


def test_hsidiv_flag_and_frequency() -> None:
    ctx = build("RCC")
    rcc = ctx.peripherals["RCC"]
    wr(rcc, "CR", rd(rcc, "CR") | 1 << 3)            # HSIDIV = /2
    assert rd(rcc, "CR") & 1 << 5 == 0               # HSIDIVF cleared
    ctx.advance(round(4e-6 * 64e6) + 1)
    assert rd(rcc, "CR") & 1 << 5
    assert rcc.clock_hz("cpu") == 32e6


def test_cannot_stop_the_system_clock_source() -> None:
    ctx = build("RCC")
    rcc = ctx.peripherals["RCC"]
    wr(rcc, "CR", rd(rcc, "CR") & ~1)
    assert rd(rcc, "CR") & 1
    assert any("HSION cannot be cleared" in m for m in warnings(ctx))


def test_rcc_ready_interrupt() -> None:
    ctx = build("RCC")
    rcc = ctx.peripherals["RCC"]
    wr(rcc, "CIER", 1 << 4)                          # CSIRDYIE
    wr(rcc, "CR", rd(rcc, "CR") | 1 << 7)
    ctx.advance(round(2e-6 * 64e6) + 1)
    assert ctx.irqs[5] is True
    wr(rcc, "CICR", 1 << 4)
    assert ctx.irqs[5] is False and rd(rcc, "CIFR") == 0


# --- validation ----------------------------------------------------------------------------
def test_pll_input_and_vco_out_of_range_are_reported() -> None:
    ctx = build("RCC")
    rcc = ctx.peripherals["RCC"]
    wr(rcc, "PLLCKSELR", 0x02020000 | 2 << 4)        # 32 MHz reference: above 16 MHz
    wr(rcc, "PLLCFGR", 0x01FF0000 | 3 << 2)
    wr(rcc, "PLL1DIVR", 49 | 1 << 9 | 1 << 16 | 1 << 24)   # VCO 1600 MHz
    wr(rcc, "CR", rd(rcc, "CR") | 1 << 24)
    msgs = warnings(ctx)
    assert any("PLL1 input 32 MHz" in m and "RM0433 8.7.11" in m for m in msgs)
    assert any("VCO 1600 MHz" in m and "RM0433 8.5.5" in m for m in msgs)


def test_pll_config_is_frozen_while_enabled() -> None:
    ctx = build("RCC")
    rcc = ctx.peripherals["RCC"]
    wr(rcc, "PLLCKSELR", 0x02020000 | 4 << 4)
    wr(rcc, "PLLCFGR", 0x01FF0000 | 3 << 2)
    wr(rcc, "CR", rd(rcc, "CR") | 1 << 24)
    wr(rcc, "PLLCKSELR", 0x02020000 | 8 << 4)
    assert rd(rcc, "PLLCKSELR") >> 4 & 0x3F == 4
    assert any("ignored while the PLL is enabled" in m for m in warnings(ctx))


# --- kernel clocks and enables ---------------------------------------------------------------
def test_kernel_clock_selection() -> None:
    ctx = build("RCC")
    rcc = ctx.peripherals["RCC"]
    wr(rcc, "D2CFGR", 0b100 << 4)                    # pclk1 = 32 MHz
    assert rcc.kernel_clock_hz("USART3") == 32e6
    assert rcc.kernel_clock_hz("USART1") == 64e6     # pclk2
    wr(rcc, "D2CCIP2R", 3)                           # USART234578SEL = hsi_ker_ck
    assert rcc.kernel_clock_hz("USART3") == 64e6
    wr(rcc, "D2CCIP2R", 4 << 3)                      # USART16SEL = csi (off)
    assert rcc.kernel_clock_hz("USART6") == 0
    wr(rcc, "D2CCIP1R", 4)                           # SAI1SEL = per_ck (CKPERSEL = HSI)
    assert rcc.kernel_clock_hz("SAI1") == 64e6
    wr(rcc, "D2CCIP1R", 0)                           # pll1_q, PLL1 off
    assert rcc.kernel_clock_hz("SAI1") == 0


def test_enabled_peripherals() -> None:
    ctx = build("RCC")
    rcc = ctx.peripherals["RCC"]
    assert rcc.enabled_peripherals() == []
    wr(rcc, "AHB4ENR", 1 << 0 | 1 << 3)
    wr(rcc, "APB1LENR", 1 << 18)
    wr(rcc, "APB2ENR", 1 << 22)
    wr(rcc, "AHB1ENR", 1 << 0)
    rcc.write(0x154, 4, 1 << 1)                      # RCC_C1_APB4ENR alias of APB4ENR
    assert rd(rcc, "APB4ENR") == 1 << 1
    assert sorted(rcc.enabled_peripherals()) == sorted(
        ["GPIOA", "GPIOD", "USART3", "SAI1", "DMA1", "SYSCFG"])


def test_syscfg_ignores_writes_without_its_clock() -> None:
    ctx = build("RCC", "PWR", "SYSCFG")
    syscfg = ctx.peripherals["SYSCFG"]
    wr(syscfg, "PWRCR", 1)
    assert rd(syscfg, "PWRCR") == 0
    wr(ctx.peripherals["RCC"], "APB4ENR", 1 << 1)
    wr(syscfg, "PWRCR", 1)
    assert rd(syscfg, "PWRCR") == 1


def test_revision_y_wide_vco_stops_at_836mhz() -> None:
    ctx = build("RCC", revision="Y")
    rcc = ctx.peripherals["RCC"]
    wr(rcc, "PLLCKSELR", 0x02020000 | 4 << 4)
    wr(rcc, "PLLCFGR", 0x01FF0000 | 3 << 2)
    wr(rcc, "PLL1DIVR", 59 | 1 << 9 | 1 << 16 | 1 << 24)   # 960 MHz VCO: fine on rev V only
    wr(rcc, "CR", rd(rcc, "CR") | 1 << 24)
    assert any("VCO 960 MHz" in m and "192-836" in m for m in warnings(ctx))


@pytest.mark.parametrize("timpre, ppre1, timer_mhz", [
    # RM0433 Table 56 "Ratio between clock timer and pclk", from the reset clock (HSI 64 MHz,
    # rcc_hclk3 = 64 MHz): D2PPRE1 0xx /1, 100 /2, 101 /4, 110 /8, 111 /16
    (0, 0b000, 64), (0, 0b100, 64), (0, 0b101, 32), (0, 0b110, 16), (0, 0b111, 8),
    (1, 0b000, 64), (1, 0b100, 64), (1, 0b101, 64), (1, 0b110, 32), (1, 0b111, 16),
])
def test_timer_kernel_clock_follows_rm0433_table_56(timpre, ppre1, timer_mhz) -> None:
    ctx = build("RCC")
    rcc = ctx.peripherals["RCC"]
    wr(rcc, "D2CFGR", ppre1 << 4 | ppre1 << 8)
    wr(rcc, "CFGR", rd(rcc, "CFGR") & ~(1 << 15) | timpre << 15)
    assert rcc.clock_hz("hclk") == 64e6
    assert rcc.clock_hz("timx_ker") == timer_mhz * 1e6
    assert rcc.clock_hz("timy_ker") == timer_mhz * 1e6
