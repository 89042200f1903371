"""NVIC and SCB registers through the bus (no instruction executed): they are views onto the
exception engine, so what a register write does is visible in the engine and vice versa."""

from __future__ import annotations

import pytest
from unicorn import UC_ARCH_ARM, UC_MODE_MCLASS, UC_MODE_THUMB, Uc
from unicorn.arm_const import UC_CPU_ARM_CORTEX_M7

from peripherals.base import FakeContext
from peripherals.nvic import Nvic, Stir
from peripherals.scb import CCSIDR_DCACHE_16K, CCSIDR_ICACHE_16K, CPUID_M7_R1P1, Scb
from simulator.exceptions import ExceptionEngine


@pytest.fixture
def parts():
    uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS)
    uc.ctl_set_cpu_model(UC_CPU_ARM_CORTEX_M7)
    uc.mem_map(0, 0x1000)
    engine = ExceptionEngine(uc, 150, 4, charge=lambda c: None, now=lambda: 0)
    ctx = FakeContext()
    nvic = Nvic("NVIC", 0xE000E100, 0x400, ctx)
    scb = Scb("SCB", 0xE000ED00, 0x90, ctx)
    stir = Stir("STIR", 0xE000EF00, 4, ctx)
    for p in (nvic, scb, stir):
        p.engine = engine
    return engine, nvic, scb, stir


def test_enable_pending_and_priority_registers(parts):
    engine, nvic, scb, stir = parts
    nvic.write(0x004, 4, 1 << 7)               # ISER1 bit 7 -> IRQ 39 (USART3)
    assert engine.enabled_irq == {39}
    assert nvic.read(0x004, 4) == 1 << 7
    nvic.write(0x104, 4, 1 << 7)               # ISPR1
    assert 16 + 39 in engine.pending
    nvic.write(0x300 + 39, 1, 0x5F)            # IPR byte: 4 implemented bits
    assert engine.irq_priority[39] == 0x50
    assert nvic.read(0x300 + 36, 4) == 0x50 << 24
    nvic.write(0x184, 4, 1 << 7)               # ICPR1
    assert 16 + 39 not in engine.pending
    nvic.write(0x084, 4, 1 << 7)               # ICER1
    assert engine.enabled_irq == set()
    stir.write(0, 4, 11)                       # STIR: pend IRQ 11
    assert 16 + 11 in engine.pending


def test_level_interrupt_cannot_be_cleared_while_asserted(parts):
    engine, nvic, *_ = parts
    engine.set_irq_level(11, True)
    nvic.write(0x180, 4, 1 << 11)
    assert 16 + 11 in engine.pending


def test_scb_identification_and_cache_geometry(parts):
    _, _, scb, _ = parts
    assert scb.read(0x00, 4) == CPUID_M7_R1P1
    scb.write(0x84, 4, 0)                      # CSSELR: L1 data
    assert scb.read(0x80, 4) == CCSIDR_DCACHE_16K
    scb.write(0x84, 4, 1)                      # L1 instruction
    assert scb.read(0x80, 4) == CCSIDR_ICACHE_16K
    assert scb.read(0x14, 4) & (1 << 9)        # CCR.STKALIGN at reset


def test_icsr_aircr_shpr_shcsr(parts):
    engine, _, scb, _ = parts
    scb.write(0x04, 4, 1 << 28)                # PENDSVSET
    assert 14 in engine.pending and scb.read(0x04, 4) & (1 << 28)
    scb.write(0x04, 4, 1 << 27)                # PENDSVCLR
    assert 14 not in engine.pending
    scb.write(0x0C, 4, 5 << 8)                 # no VECTKEY: ignored
    assert engine.prigroup == 0
    scb.write(0x0C, 4, 0x05FA0000 | (5 << 8))
    assert engine.prigroup == 5 and scb.read(0x0C, 4) == 0xFA050500
    scb.write(0x20, 4, 0xF0E00000)             # SHPR3: PendSV 0xE0, SysTick 0xF0
    assert engine.priority(14) == 0xE0 and engine.priority(15) == 0xF0
    scb.write(0x24, 4, 0x70000)                # SHCSR enables
    assert engine.shcsr == 0x70000
    scb.write(0x08, 4, 0x08000200)
    assert engine.vtor == 0x08000200


def test_cfsr_is_write_one_to_clear(parts):
    engine, _, scb, _ = parts
    engine.cfsr = (1 << 16) | (1 << 9) | (1 << 15)
    assert scb.read(0x28, 4) == engine.cfsr
    scb.write(0x28, 4, 1 << 16)
    assert engine.cfsr == (1 << 9) | (1 << 15)
    scb.write(0x29, 1, 0x82)                   # byte access to BFSR: clear PRECISERR, BFARVALID
    assert engine.cfsr == 0


def test_priority_grouping_decides_preemption(parts):
    engine, nvic, scb, _ = parts
    scb.write(0x0C, 4, 0x05FA0000 | (6 << 8))  # PRIGROUP 6: group = bit 7 only
    engine.irq_priority[1] = 0x80
    engine.irq_priority[2] = 0xC0
    engine.enabled_irq |= {1, 2}
    engine.active.append(16 + 1)
    engine.set_pending(16 + 2)
    assert engine.preempting() is None          # same group priority: no preemption
    engine.irq_priority[2] = 0x00
    assert engine.preempting() == 16 + 2
