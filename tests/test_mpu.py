"""MPU: a no-access region raises MemManage (DACCVIOL, MMFAR = the address) as ARMv7-M B3.5
says, and a non-cacheable region (TEX=001 C=0 B=0, Table B3-13) bypasses the D-cache."""

from __future__ import annotations

import pytest

from simulator.elf import load_firmware
from simulator.machine import Machine, RunConfig
from simulator.platform import load_platform

from .conftest import SEMIHOST_EXIT, build_asm, mmfar_handler, mpu_region


# RASR: XN 28, AP 26:24, TEX 21:19, S 18, C 17, B 16, SIZE 5:1, ENABLE 0
def rasr(size_log2: int, ap: int, tex: int = 0, c: int = 0, b: int = 0, xn: int = 1) -> int:
    return xn << 28 | ap << 24 | tex << 19 | c << 17 | b << 16 | (size_log2 - 1) << 1 | 1


SETUP = """
    .section .vectors, "a"
    .word 0x20010000
    .word reset
    .word 0, 0
    .word memmanage
    .text
    .thumb_func
reset:
""" + mpu_region("{base}", "{rasr}") + """
    ldr r1, =0xE000ED24       @ SHCSR: MEMFAULTENA
    mov r0, #(1 << 16)
    str r0, [r1]
"""

FAULT = SETUP + """
    ldr r2, =0x24000100
    ldr r0, [r2]              @ no access: MemManage
    movs r0, #1
    b exit_r0
""" + mmfar_handler(0x24000100, 2)

CACHE = SETUP + """
    ldr r1, =0xE000ED14       @ CCR: DC
    ldr r0, [r1]
    orr r0, r0, #(1 << 16)
    str r0, [r1]
    dsb
    isb
    ldr r2, =0x30000000
    ldr r3, =1000
1:  ldr r0, [r2]
    subs r3, #1
    bne 1b
    movs r0, #0
    b exit_r0
    .thumb_func
memmanage:
    movs r0, #3
    b exit_r0
"""


def run(tmp_path, src: str, **cfg):
    m = Machine(load_firmware(build_asm(tmp_path, src + SEMIHOST_EXIT)), load_platform(),
                RunConfig(max_cycles=10_000_000, **cfg))
    return m, m.run()


def test_no_access_region_is_a_memmanage_fault_with_mmfar(tmp_path):
    src = FAULT.replace("{base}", "0x24000000").replace("{rasr}", hex(rasr(15, ap=0)))
    _, r = run(tmp_path, src)
    assert r.exit_reason == "exit" and r.exit_code == 0, r.diagnostic


@pytest.mark.parametrize("tex,c,b,uncached", [(1, 0, 0, True), (1, 1, 1, False)])
def test_non_cacheable_region_bypasses_the_dcache(tmp_path, tex, c, b, uncached):
    src = CACHE.replace("{base}", "0x30000000").replace(
        "{rasr}", hex(rasr(17, ap=3, tex=tex, c=c, b=b)))
    m, r = run(tmp_path, src, dcache="exact")
    assert r.exit_code == 0, r.diagnostic
    dc = r.timing["dcache"]
    if uncached:
        assert m.mpu_map.uncached == [(0x30000000, 0x30020000)]
        assert dc["uncached_accesses"] >= 1000
    else:
        assert m.mpu_map.uncached == []
        assert dc["uncached_accesses"] < 10 and dc["hits"] >= 999
