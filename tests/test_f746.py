"""The STM32F746 (NUCLEO-F746ZG) as a second platform: this repo's hello and timing kernels,
built with the F746's own startup, SystemInit and linker script (firmware/f746/), run on
simulator/platforms/stm32f746.toml. Expected values come from the F7 reference manual RM0385
and the Cortex-M7 documentation, written here, not from the models."""

from __future__ import annotations

import pathlib
import tomllib

import pytest

from peripherals import model_class
from peripherals.base import FakeContext, Peripheral
from simulator.api import Options, load_inputs, simulate
from simulator.platform import load_platform

ROOT = pathlib.Path(__file__).resolve().parents[1]
PLATFORM = tomllib.loads((ROOT / "simulator/platforms/stm32f746.toml").read_text())

# RM0385 5.2 / 5.3.2 and UM1974: HSE 8 MHz (ST-LINK MCO) / PLLM 4 x PLLN 216 / PLLP 2 = 216 MHz;
# the core runs at HCLK (AHB prescaler 1); APB1 = HCLK / 4 = 54 MHz, its 54 MHz maximum.
CORE_HZ = 8_000_000 // 4 * 216 // 2
APB1_HZ = CORE_HZ // 4


def run(elf: pathlib.Path):
    inputs = load_inputs(str(elf), platform="stm32f746")
    return simulate(inputs, Options())


def build(*names: str, **clocks: float) -> FakeContext:
    """A FakeContext holding the named F746 platform blocks, wired as the platform says."""
    ctx = FakeContext(clocks=dict(clocks))
    platform = load_platform("stm32f746")          # with the Cortex-M7 blocks (cortex_m7.toml)
    for w in platform.peripherals:
        if w.name in names:
            params = {**w.params, "irqs": w.irqs, "chip": dict(platform.chip)}
            ctx.peripherals[w.name] = model_class(w.model)(w.name, w.base, w.size, ctx, **params)
    ctx.wire(platform.wiring)
    return ctx


def reg(p: Peripheral, name: str) -> int:
    return p.read(next(r.offset for r in p.registers if r.name == name), 4)


def test_hello_runs_at_216_mhz(firmware_build) -> None:
    assert CORE_HZ == 216_000_000 and APB1_HZ == 54_000_000
    r = run(firmware_build / "f746" / "hello.elf")
    assert r.exit_code == 0
    assert r.result.console["USART3"] == b"hello from stm32f746 over usart3\r\n"
    out = r.result.console["semihosting"].decode()
    assert "hello from stm32f746 over semihosting\n" in out
    assert f"core clock: {CORE_HZ} Hz\n" in out                 # read back from RCC registers
    assert f"hclk: {CORE_HZ} Hz, pclk1: {APB1_HZ} Hz\n" in out
    assert "loop: 1000 iterations, sum=499500," in out
    assert r.report["summary"]["core_hz"] == CORE_HZ
    assert r.report["simulator"]["platform"] == "STM32F746"
    # no DS10916 current tables in the power data: no energy, and the log says why
    assert r.report["summary"]["energy_j"] is None
    assert any("DS10916" in w for w in r.report["warnings"])
    # RAM per region of the F746 memory map (RM0385 2.2.2): DTCM 64 KB, SRAM1 240 KB
    regions = r.report["memory"]["regions"]
    assert regions["DTCM"]["size"] == 64 * 1024
    assert regions["SRAM1"]["size"] == 240 * 1024
    assert r.result.warnings == []               # no out-of-spec clock, no flash latency warning
    # USART3 on PD8/PD9 (UM1974): the GPIO model serves GPIOD (nothing logged as unmodelled);
    # from the F7 reset value 0 (RM0385 6.4.1: pins reset to input) the driver's
    # read-modify-write leaves only pins 8 and 9 in alternate function (10), AF7 on both.
    assert r.report["unmodelled_peripheral_accesses"] == {}
    gpiod = r.machine.peripherals["GPIOD"]
    assert reg(gpiod, "MODER") == 0b1010 << 16
    assert reg(gpiod, "AFRH") & 0xFF == 0x77


# Published Cortex-M7 figures (Cortex-M7 TRM / docs/timing-model.md), cycles per body: the F746
# has the H743's core, so the same kernels must give the same figures.
M7_PUBLISHED = {"alu_indep_pair": 1, "alu_dep_pair": 2, "load_use": 1, "load_use_narrow": 2,
                "two_loads": 1, "mac_chain": 1, "mul_chain": 2, "vfma_chain": 3, "vadd_chain": 3,
                "vdiv": 16, "vsqrt": 14, "ldm8": 4, "stm8": 4, "sdiv": 7}


def test_timing_kernels_give_the_cortex_m7_figures(firmware_build) -> None:
    r = run(firmware_build / "f746" / "timing.elf")
    assert r.exit_code == 0
    lines = dict(line.split() for line in r.result.console["semihosting"].decode().splitlines()
                 if len(line.split()) == 2 and line.split()[0] in M7_PUBLISHED)
    assert set(lines) == set(M7_PUBLISHED)
    for name, cycles in M7_PUBLISHED.items():
        assert abs(float(lines[name]) - cycles) <= 0.1, (name, lines[name], cycles)


def test_reset_values_from_rm0385() -> None:
    ctx = build("RCC", "PWR", "FLASH_REGS", "SCB")
    rcc, pwr, flash = ctx.peripherals["RCC"], ctx.peripherals["PWR"], ctx.peripherals["FLASH_REGS"]
    assert reg(rcc, "CR") == 0x0000_0083         # 5.3.1: HSION, HSIRDY, HSITRIM = 16
    assert reg(rcc, "PLLCFGR") == 0x2400_3010    # 5.3.2
    assert reg(rcc, "CFGR") == 0                 # 5.3.3: HSI is the system clock
    assert reg(rcc, "AHB1ENR") == 0x0010_0000    # 5.3.10: DTCMRAMEN
    assert reg(rcc, "CSR") == 0x0E00_0000        # 5.3.21: PINRSTF, BORRSTF, PORRSTF
    assert reg(pwr, "CR1") == 0x0000_C000        # 4.4.1: VOS = 11, scale 1
    assert reg(flash, "ACR") == 0                # 3.7.1: zero wait states
    assert reg(flash, "CR") == 0x8000_0000       # 3.7.5: LOCK
    assert rcc.clock_hz("cpu") == 16_000_000     # 5.2.2: HSI 16 MHz after reset


def test_cache_identification_is_4_kbytes() -> None:
    # DS10916 / RM0385 2.1: 4 Kbytes each of I- and D-cache, 32-byte lines; Cortex-M7 TRM
    # 4.1.2 CCSIDR: NumSets - 1 in bits 27:13, Associativity - 1 in bits 12:3.
    scb = build("SCB").peripherals["SCB"]
    scb.write(0x84, 4, 0)                        # CSSELR: L1 data cache
    d = scb.read(0x80, 4)
    scb.write(0x84, 4, 1)                        # L1 instruction cache
    i = scb.read(0x80, 4)
    assert (((d >> 13) & 0x7FFF) + 1, ((d >> 3) & 0x3FF) + 1) == (4096 // (4 * 32), 4)
    assert (((i >> 13) & 0x7FFF) + 1, ((i >> 3) & 0x3FF) + 1) == (4096 // (2 * 32), 2)


def test_flash_wait_states_follow_rm0385_table_5() -> None:
    ctx = build("FLASH_REGS")
    limits = ctx.peripherals["FLASH_REGS"].operating
    # RM0385 Table 5 (2.7-3.6 V): one more wait state per 30 MHz of HCLK, 7 at 210-216 MHz,
    # whatever the voltage scale
    table = {30e6: 0, 30.1e6: 1, 60e6: 1, 90e6: 2, 120e6: 3, 150e6: 4, 180e6: 5, 210e6: 6,
             216e6: 7}
    for scale in (1, 2, 3):
        for hz, ws in table.items():
            assert limits.required_wait_states(hz, scale) == (ws, 0), (hz, scale)
        assert limits.required_wait_states(217e6, scale) is None


def test_216_mhz_needs_over_drive_and_7_wait_states() -> None:
    ctx = build("RCC", "PWR", "FLASH_REGS", cpu=16e6)
    rcc, pwr, flash = ctx.peripherals["RCC"], ctx.peripherals["PWR"], ctx.peripherals["FLASH_REGS"]
    rcc.write(0x40, 4, 1 << 28)                                 # APB1ENR.PWREN
    rcc.write(0x00, 4, reg(rcc, "CR") | 1 << 18 | 1 << 16)     # HSEBYP, HSEON
    ctx.advance(100_000)
    rcc.write(0x04, 4, 1 << 22 | 4 | 216 << 6 | 9 << 24)      # HSE / 4 x 216 / 2
    rcc.write(0x00, 4, reg(rcc, "CR") | 1 << 24)               # PLLON
    ctx.advance(100_000)
    flash.write(0x00, 4, 6)                                     # one wait state too few
    rcc.write(0x08, 4, 5 << 10 | 4 << 13 | 2)                  # APB1 /4, APB2 /2, SW = PLL
    assert rcc.clock_hz("cpu") == CORE_HZ and rcc.clock_hz("pclk1") == APB1_HZ
    ctx.advance(round(20e-6 * CORE_HZ))         # judged once it has held (clock_tree.SETTLE_S)
    text = "\n".join(ctx.messages)
    assert "needs 7 (RM0385 Table 5)" in text
    assert "above the scale 1 limit 180 MHz without over-drive" in text
    # the over-drive handshake of RM0385 4.1.4: ODEN -> ODRDY, ODSWEN -> ODSWRDY
    pwr.write(0x00, 4, reg(pwr, "CR1") | 1 << 16)
    ctx.advance(100_000)
    assert reg(pwr, "CSR1") & 1 << 16
    pwr.write(0x00, 4, reg(pwr, "CR1") | 1 << 17)
    ctx.advance(100_000)
    assert reg(pwr, "CSR1") & 1 << 17 and pwr.overdrive
    ctx.messages.clear()
    flash.write(0x00, 4, 7)
    rcc.check_operating_point()
    assert not [m for m in ctx.messages if "RM0385" in m]


def test_the_platform_adds_no_core_change_only_data_and_models() -> None:
    """What the F746 needed: a platform file, a register file, a power data file and five
    peripheral models of its own (RCC, PWR, flash interface, EXTI, DMA request selection:
    they differ from the H743's); every other block is the H743's model."""
    own = {p.get("model") for p in PLATFORM["peripheral"]} - {None}
    h7 = {p.get("model") for p in tomllib.loads(
        (ROOT / "simulator/platforms/stm32h743.toml").read_text())["peripheral"]}
    assert own - h7 == {"rcc_f7", "pwr_f7", "flash_f7", "exti_f7", "dma_f7"}


@pytest.mark.parametrize("name", ["hello", "timing"])
def test_f746_builds_link_for_the_f746_memory_map(firmware_build, name) -> None:
    from simulator.elf import load_firmware

    fw = load_firmware(firmware_build / "f746" / f"{name}.elf")
    p = load_platform("stm32f746")
    for s in fw.sections:
        if s.alloc and s.size:
            assert p.region_at(s.addr, s.size) is not None, (s.name, hex(s.addr))


def test_firmware_linked_at_the_flash_itcm_address_loads_and_runs(tmp_path) -> None:
    """ST's Flash_ITCM layout (AN4749's X-CUBE-LPDEMO-F7 workspace): everything linked at
    0x0020 0000, the flash as the ITCM interface shows it (RM0385 2.2.2), which is also the
    default boot address. The image is stored in flash and the core runs it from there (this
    was an internal error of the loader)."""
    from .conftest import SEMIHOST_EXIT, build_asm

    linker = """
    MEMORY { FLASH (rx) : ORIGIN = 0x00200000, LENGTH = 1M
             DTCM (rw)  : ORIGIN = 0x20000000, LENGTH = 64K }
    SECTIONS { .text : { KEEP(*(.vectors)) *(.text*) *(.rodata*) } > FLASH }
    """
    elf = build_asm(tmp_path, """
    .section .vectors, "a"
    .word 0x20010000
    .word reset
    .text
    .thumb_func
reset:
    ldr r1, =0x08000000      @ the same bytes through the AXIM address (RM0385 2.2.2)
    ldr r2, [r1, #4]         @ the reset vector, as the linker wrote it
    ldr r3, =reset
    subs r0, r2, r3          @ 0 when flash holds the image
    b exit_r0
    .ltorg
""" + SEMIHOST_EXIT, linker=linker)
    r = run(elf)
    assert (r.result.exit_reason, r.exit_code) == ("exit", 0)
