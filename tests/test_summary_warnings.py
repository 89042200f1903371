"""What a user must not miss is on the terminal: accesses to blocks without a model (count and
register names), clocks above the voltage scale's limits (--strict fails on them; the chip's
own reset state is not flagged), a console baud rate the host terminal does not use."""

from __future__ import annotations

from simulator.cli import main
from simulator.elf import load_firmware
from simulator.machine import Machine, RunConfig
from simulator.platform import load_platform

from .conftest import SEMIHOST_EXIT, build_asm
from .test_periph_rcc import build, warnings

UNMODELLED = """
    .section .vectors, "a"
    .word 0x20010000
    .word reset
    .text
    .thumb_func
reset:
    ldr r1, =0x40008404       @ CRS_CFGR (RM0433 7.7.2): no model
    ldr r2, [r1]
    ldr r1, =0x40006C00       @ CEC_CR
    movs r3, #1
    str r3, [r1]
    str r3, [r1]
    ldr r3, =0x2022BB7F       @ CRS_CFGR reset value
    subs r0, r2, r3           @ exit 0 when the read gave it
    b exit_r0
"""


def test_unmodelled_accesses_are_in_the_summary(tmp_path, capsys):
    elf = build_asm(tmp_path, UNMODELLED + SEMIHOST_EXIT)
    assert main([str(elf)]) == 0
    out = capsys.readouterr()
    text = out.out + out.err
    assert "3 accesses to blocks without a model" in text
    assert "CEC.CR x2" in text and "CRS.CFGR x1" in text


def test_reset_clocks_are_not_out_of_spec():
    # at reset: HSI 64 MHz, no prescaler, VOS3 (RM0433 6.8.6, 8.5.2): how silicon starts
    ctx = build("RCC", "PWR", "FLASH_REGS", "SYSCFG")
    ctx.peripherals["RCC"].check_operating_point()
    ctx.advance(round(100e-6 * 64e6))                 # past the settle time (clock_tree.SETTLE_S)
    assert not [m for m in warnings(ctx) if "above the VOS" in m]


def test_out_of_spec_warning_fails_a_strict_run(firmware_build):
    m = Machine(load_firmware(firmware_build / "hello.elf"), load_platform(),
                RunConfig(strict=True, max_cycles=10_000_000))
    m.ctx.warn("RCC: cpu clock 480 MHz above the VOS1 limit 400 MHz (DS12110 Table 23)")
    r = m.run()
    assert r.exit_code == 4 and r.diagnostic.startswith("--strict: RCC: cpu clock 480 MHz")
    assert r.warnings == [("RCC: cpu clock 480 MHz above the VOS1 limit 400 MHz "
                           "(DS12110 Table 23)")]


def test_console_baud_other_than_the_hosts(firmware_build, capsys):
    # hello: USART3 at 115,200 baud (firmware/common/usart.c: BRR 868 at PCLK1 100 MHz)
    hello = str(firmware_build / "hello.elf")
    assert main([hello, "-q"]) == 0
    capsys.readouterr()
    assert main([hello, "--baud", "9600"]) == 0
    text = "".join(capsys.readouterr())
    assert "USART3 (console) transmits at 115,207 baud" in text and "9,600" in text
    assert main([hello, "-q", "--baud", "9600", "--strict"]) == 4
