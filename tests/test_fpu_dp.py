"""Tests for simulator.fpu_dp: FPv5-D16 double precision on Unicorn's Cortex-M7.

Every snippet is assembled with arm-none-eabi-as in a single invocation and run
in a bare Unicorn Cortex-M7 whose UC_HOOK_INSN_INVALID calls
DoublePrecisionFpu.try_execute.  Expected values come from host IEEE doubles
(round to nearest), CPython's correctly rounded Fraction->float conversion plus
math.nextafter (directed rounding, fused multiply-add), struct, or hand
derivation from the ARM ARM pseudocode.
"""

from __future__ import annotations

import math
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
from fractions import Fraction

import pytest
from unicorn import UC_ARCH_ARM, UC_HOOK_INSN_INVALID, UC_MODE_MCLASS, UC_MODE_THUMB, Uc, UcError
from unicorn.arm_const import (
    UC_ARM_REG_APSR,
    UC_ARM_REG_CONTROL,
    UC_ARM_REG_D0,
    UC_ARM_REG_FPSCR,
    UC_ARM_REG_PC,
    UC_ARM_REG_R0,
    UC_ARM_REG_S0,
    UC_ARM_REG_SP,
    UC_ARM_REG_XPSR,
    UC_CPU_ARM_CORTEX_M7,
)

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from simulator.fpu_dp import DoublePrecisionFpu, decode  # noqa: E402

AS = shutil.which("arm-none-eabi-as")
pytestmark = pytest.mark.skipif(AS is None, reason="arm-none-eabi-as not installed")

IOC, DZC, OFC, UFC, IXC, IDC = 1, 2, 4, 8, 16, 128
FZ, DN = 1 << 24, 1 << 25
RN, RP, RM, RZ = 0 << 22, 1 << 22, 2 << 22, 3 << 22
FLAGS = IOC | DZC | OFC | UFC | IXC | IDC

DNAN = 0x7FF8000000000000
PINF, NINF = 0x7FF0000000000000, 0xFFF0000000000000
MAXD = 0x7FEFFFFFFFFFFFFF
SNAN1 = 0x7FF4000000000001          # signalling, payload
QNAN1 = 0x7FF8000000000123          # quiet, payload
QNAN2 = 0xFFF8000000000456


def b(x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def f(u: int) -> float:
    return struct.unpack("<d", struct.pack("<Q", u))[0]


def fb(x: float) -> int:
    return struct.unpack("<I", struct.pack("<f", x))[0]


# ---------------------------------------------------------------------------
# Snippets: name -> assembly.  All assembled at once.
# ---------------------------------------------------------------------------
SNIPPETS = {
    "vadd": "vadd.f64 d0, d1, d2",
    "vadd_hi": "vadd.f64 d15, d14, d13",
    "vsub": "vsub.f64 d0, d1, d2",
    "vmul": "vmul.f64 d0, d1, d2",
    "vnmul": "vnmul.f64 d0, d1, d2",
    "vdiv": "vdiv.f64 d0, d1, d2",
    "vsqrt": "vsqrt.f64 d0, d1",
    "vfma": "vfma.f64 d0, d1, d2",
    "vfms": "vfms.f64 d0, d1, d2",
    "vfnma": "vfnma.f64 d0, d1, d2",
    "vfnms": "vfnms.f64 d0, d1, d2",
    "vmla": "vmla.f64 d0, d1, d2",
    "vmls": "vmls.f64 d0, d1, d2",
    "vnmla": "vnmla.f64 d0, d1, d2",
    "vnmls": "vnmls.f64 d0, d1, d2",
    "vabs": "vabs.f64 d0, d1",
    "vneg": "vneg.f64 d0, d1",
    "vmov_reg": "vmov.f64 d9, d3",
    "vmov_imm": "vmov.f64 d0, #1.0\nvmov.f64 d1, #-2.5\nvmov.f64 d2, #0.125\n"
                "vmov.f64 d3, #31.0\nvmov.f64 d12, #-0.1875",
    "vcmp": "vcmp.f64 d0, d1",
    "vcmpe": "vcmpe.f64 d0, d1",
    "vcmp0": "vcmp.f64 d0, #0",
    "vcmpe0": "vcmpe.f64 d0, #0",
    "vcmp_branch": "vcmp.f64 d0, d1\nvmrs APSR_nzcv, fpscr\nite gt\nmovgt r0, #1\nmovle r0, #2",
    "cvt_f32_f64": "vcvt.f32.f64 s0, d1",
    "cvt_f32_f64_hi": "vcvt.f32.f64 s31, d15",
    "cvt_f64_f32": "vcvt.f64.f32 d0, s1",
    "cvt_f64_f32_hi": "vcvt.f64.f32 d15, s31",
    "cvt_s32_f64": "vcvt.s32.f64 s0, d1",
    "cvt_u32_f64": "vcvt.u32.f64 s0, d1",
    "cvtr_s32_f64": "vcvtr.s32.f64 s0, d1",
    "cvtr_u32_f64": "vcvtr.u32.f64 s0, d1",
    "cvt_f64_s32": "vcvt.f64.s32 d0, s1",
    "cvt_f64_u32": "vcvt.f64.u32 d0, s1",
    "cvt_s16_f64_x": "vcvt.s16.f64 d0, d0, #4",
    "cvt_u16_f64_x": "vcvt.u16.f64 d0, d0, #4",
    "cvt_s32_f64_x": "vcvt.s32.f64 d0, d0, #31",
    "cvt_u32_f64_x": "vcvt.u32.f64 d0, d0, #16",
    "cvt_f64_s16_x": "vcvt.f64.s16 d0, d0, #4",
    "cvt_f64_u16_x": "vcvt.f64.u16 d0, d0, #4",
    "cvt_f64_s32_x": "vcvt.f64.s32 d0, d0, #31",
    "cvt_f64_u32_x": "vcvt.f64.u32 d0, d0, #16",
    "vcvta_s": "vcvta.s32.f64 s0, d1",
    "vcvtn_s": "vcvtn.s32.f64 s0, d1",
    "vcvtp_s": "vcvtp.s32.f64 s0, d1",
    "vcvtm_s": "vcvtm.s32.f64 s0, d1",
    "vcvta_u": "vcvta.u32.f64 s0, d1",
    "vcvtm_u": "vcvtm.u32.f64 s0, d1",
    "vrinta": "vrinta.f64 d0, d1",
    "vrintn": "vrintn.f64 d0, d1",
    "vrintp": "vrintp.f64 d0, d1",
    "vrintm": "vrintm.f64 d0, d1",
    "vrintr": "vrintr.f64 d0, d1",
    "vrintx": "vrintx.f64 d0, d1",
    "vrintz": "vrintz.f64 d0, d1",
    "vseleq": "vseleq.f64 d0, d1, d2",
    "vselge": "vselge.f64 d0, d1, d2",
    "vselgt": "vselgt.f64 d0, d1, d2",
    "vselvs": "vselvs.f64 d0, d1, d2",
    "vmaxnm": "vmaxnm.f64 d0, d1, d2",
    "vminnm": "vminnm.f64 d0, d1, d2",
    "cvtb_f64_f16": "vcvtb.f64.f16 d0, s2",
    "cvtt_f64_f16": "vcvtt.f64.f16 d0, s2",
    "cvtb_f16_f64": "vcvtb.f16.f64 s0, d1",
    "cvtt_f16_f64": "vcvtt.f16.f64 s0, d1",
    "fpscr_interplay": "vmsr fpscr, r1\nvadd.f64 d0, d1, d2\nvmrs r0, fpscr\n"
                       "vadd.f32 s8, s9, s10\nvmrs r2, fpscr",
    "it_block": "cmp r0, #0\nitete eq\nvaddeq.f64 d0, d1, d2\nvaddne.f64 d3, d1, d2\n"
                "addeq r4, r4, #1\nvsubne.f64 d4, d1, d2\nmov r5, #7",
    "it_block2": "cmp r0, #0\nittt ne\nvmulne.f64 d0, d1, d2\nvsubne.f64 d3, d1, d2\n"
                 "addne r4, r4, #1\nmov r5, #7",
    "udf": "udf #0",
    "d16": ".inst.w 0xEE710B02",   # vadd.f64 d16, d1, d2: UNDEFINED on FPv5-D16
    "native": "vldr d0, [r0]\nvldr d1, [r0, #8]\nvstr d1, [r0, #16]\nvldmia r0, {d2-d3}\n"
              "add r1, r0, #0x100\nvstmia r1!, {d0-d1}\nvstmdb r1!, {d2-d3}\n"
              "vldmia r1!, {d4-d5}\nvpush {d8-d9}\nvpop {d10-d11}\nvmov d6, r2, r3\n"
              "vmov r6, r7, d1\nvmov.32 r8, d0[1]\nvmov.32 d7[1], r2\nvmov.32 d7[0], r3\n"
              "vmov s30, s31, r2, r3\nvmov r9, r10, s30, s31\nvmov s28, r2\nvmov r11, s28",
}

BASE = 0x1000
RAM = 0x20000000


@pytest.fixture(scope="module")
def prog():
    src = [".syntax unified", ".thumb", ".text"]
    for name in SNIPPETS:
        src += [".balign 4", f"s_{name}:", SNIPPETS[name], f"e_{name}:", "nop", "nop"]
    with tempfile.TemporaryDirectory() as tmp:
        s = os.path.join(tmp, "t.s")
        o = os.path.join(tmp, "t.o")
        binf = os.path.join(tmp, "t.bin")
        with open(s, "w") as fh:
            fh.write("\n".join(src) + "\n")
        subprocess.run([AS, "-mcpu=cortex-m7", "-mfpu=fpv5-d16", "-mthumb", "-o", o, s],
                       check=True, capture_output=True)
        objcopy = AS.replace("-as", "-objcopy")
        nm = AS.replace("-as", "-nm")
        subprocess.run([objcopy, "-O", "binary", "-j", ".text", o, binf], check=True)
        syms = subprocess.run([nm, o], check=True, capture_output=True, text=True).stdout
        code = open(binf, "rb").read()
    addr = {}
    for line in syms.splitlines():
        parts = line.split()
        if len(parts) == 3:
            addr[parts[2]] = int(parts[0], 16)
    table = {n: (addr[f"s_{n}"], addr[f"e_{n}"]) for n in SNIPPETS}
    return code, table


class Run:
    def __init__(self, prog, name, d=None, s=None, r=None, fpscr=0, apsr=None, control=0xC):
        code, table = prog
        self.start, self.end = table[name]
        uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS)
        uc.ctl_set_cpu_model(UC_CPU_ARM_CORTEX_M7)
        uc.mem_map(0, 0x100000)
        uc.mem_map(RAM, 0x10000)
        uc.mem_write(BASE, code)
        uc.reg_write(UC_ARM_REG_SP, RAM + 0x8000)
        uc.reg_write(UC_ARM_REG_CONTROL, control)
        self.uc, self.fpu = uc, DoublePrecisionFpu()
        self.hook_pcs = []

        def hook(uc_, _ud):
            pc = uc_.reg_read(UC_ARM_REG_PC)
            self.hook_pcs.append(pc)
            return self.fpu.try_execute(uc_, pc)

        uc.hook_add(UC_HOOK_INSN_INVALID, hook)
        self.go(d, s, r, fpscr, apsr)

    def go(self, d=None, s=None, r=None, fpscr=0, apsr=None):
        uc = self.uc
        for n, v in (d or {}).items():
            uc.reg_write(UC_ARM_REG_D0 + n, v if isinstance(v, int) else b(v))
        for n, v in (s or {}).items():
            uc.reg_write(UC_ARM_REG_S0 + n, v if isinstance(v, int) else fb(v))
        for n, v in (r or {}).items():
            uc.reg_write(UC_ARM_REG_R0 + n, v)
        uc.reg_write(UC_ARM_REG_FPSCR, fpscr)
        if apsr is not None:
            uc.reg_write(UC_ARM_REG_APSR, apsr << 28)
        uc.emu_start((BASE + self.start) | 1, BASE + self.end)
        return self

    def d(self, n):
        return self.uc.reg_read(UC_ARM_REG_D0 + n)

    def s(self, n):
        return self.uc.reg_read(UC_ARM_REG_S0 + n)

    def r(self, n):
        return self.uc.reg_read(UC_ARM_REG_R0 + n)

    @property
    def fpscr(self):
        return self.uc.reg_read(UC_ARM_REG_FPSCR)

    @property
    def flags(self):
        return self.fpscr & FLAGS

    @property
    def nzcv(self):
        return self.fpscr >> 28


def op2(prog, name, a, c, fpscr=0, dest=0):
    """Run a 3-operand snippet (d0 = d1 op d2) and return (result bits, flags)."""
    run = Run(prog, name, d={0: dest, 1: a, 2: c}, fpscr=fpscr)
    return run.d(0), run.flags


def directed(exact: Fraction, mode: int) -> int:
    """Correctly rounded binary64 of ``exact`` under ``mode`` (no overflow cases)."""
    rn = float(exact)                      # CPython: correctly rounded (ties-to-even)
    fr = Fraction(rn)
    if fr == exact or mode == RN:
        return b(rn)
    if mode == RP:
        return b(rn if fr > exact else math.nextafter(rn, math.inf))
    if mode == RM:
        return b(rn if fr < exact else math.nextafter(rn, -math.inf))
    return b(rn if abs(fr) < abs(exact) else math.nextafter(rn, 0.0))     # RZ


# ---------------------------------------------------------------------------
# Probe facts
# ---------------------------------------------------------------------------
def test_every_emulated_snippet_decodes(prog):
    code, table = prog
    for name, (start, _end) in table.items():
        if name in ("udf", "d16", "native", "fpscr_interplay", "it_block", "it_block2",
                    "vcmp_branch"):
            continue
        hw1, hw2 = struct.unpack_from("<HH", code, start)
        assert decode((hw1 << 16) | hw2) is not None, name


def test_native_double_transfers_are_not_hooked(prog):
    mem = RAM + 0x1000
    code, table = prog
    uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS)
    uc.ctl_set_cpu_model(UC_CPU_ARM_CORTEX_M7)
    uc.mem_map(0, 0x100000)
    uc.mem_map(RAM, 0x10000)
    uc.mem_write(BASE, code)
    uc.mem_write(mem, struct.pack("<dd", 1.25, -3.5))
    uc.reg_write(UC_ARM_REG_SP, RAM + 0x8000)
    uc.reg_write(UC_ARM_REG_R0, mem)
    uc.reg_write(UC_ARM_REG_R0 + 2, 0x11223344)
    uc.reg_write(UC_ARM_REG_R0 + 3, 0x55667788)
    uc.reg_write(UC_ARM_REG_D0 + 8, b(7.0))
    uc.reg_write(UC_ARM_REG_D0 + 9, b(9.0))
    hits = []
    uc.hook_add(UC_HOOK_INSN_INVALID, lambda u, _: hits.append(1) or False)
    start, end = table["native"]
    uc.emu_start((BASE + start) | 1, BASE + end)
    assert hits == []
    D = lambda n: uc.reg_read(UC_ARM_REG_D0 + n)          # noqa: E731
    R = lambda n: uc.reg_read(UC_ARM_REG_R0 + n)          # noqa: E731
    assert [D(i) for i in range(6)] == [b(1.25), b(-3.5), b(1.25), b(-3.5), b(1.25), b(-3.5)]
    assert struct.unpack("<3d", uc.mem_read(mem, 24)) == (1.25, -3.5, -3.5)
    assert R(1) == mem + 0x110
    assert (D(10), D(11)) == (b(7.0), b(9.0)) and uc.reg_read(UC_ARM_REG_SP) == RAM + 0x8000
    assert D(6) == 0x5566778811223344 and D(7) == 0x1122334455667788
    assert (R(6), R(7)) == (b(-3.5) & 0xFFFFFFFF, b(-3.5) >> 32)
    assert R(8) == b(1.25) >> 32
    assert (R(9), R(10), R(11)) == (0x11223344, 0x55667788, 0x11223344)


# ---------------------------------------------------------------------------
# Arithmetic, round to nearest against host doubles
# ---------------------------------------------------------------------------
def _randoms(seed, n):
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        k = rng.random()
        if k < 0.4:
            x = f(rng.getrandbits(64))
        elif k < 0.6:
            x = rng.uniform(-100, 100)
        elif k < 0.75:
            x = f(rng.getrandbits(52)) * rng.choice((1, -1))          # denormals
        else:
            x = rng.choice((1.0, 3.0, 0.1, 1e308, -1e308, 5e-324, 1.5, -0.0, 0.0, 2.0 ** -1022))
        if not math.isnan(x):
            out.append(x)
    return out


@pytest.mark.parametrize("name,fn", [
    ("vadd", lambda a, c: a + c), ("vsub", lambda a, c: a - c), ("vmul", lambda a, c: a * c),
    ("vdiv", lambda a, c: a / c if c else None),
    ("vnmul", lambda a, c: -(a * c)),
])
def test_binary_ops_match_host_rn(prog, name, fn):
    xs = _randoms(sum(map(ord, name)), 160)
    run = Run(prog, name, d={1: 1.0, 2: 1.0})
    runs = 1
    for a, c in zip(xs[::2], xs[1::2]):
        ref = fn(a, c)
        if ref is None:
            continue
        run.go(d={1: a, 2: c})
        runs += 1
        assert run.d(0) == b(ref), (name, a, c)
    assert run.fpu.executed == runs


def test_vadd_high_registers(prog):
    run = Run(prog, "vadd_hi", d={14: 0.1, 13: 0.2})
    assert run.d(15) == b(0.1 + 0.2) and run.flags == IXC


def test_vsqrt(prog):
    run = Run(prog, "vsqrt", d={1: 2.0})
    assert run.d(0) == b(math.sqrt(2.0)) and run.flags == IXC
    for x in _randoms(7, 100):
        run.go(d={1: abs(x)})
        assert run.d(0) == b(math.sqrt(abs(x))), x
    assert run.go(d={1: 16.0}).d(0) == b(4.0) and run.flags == 0
    assert run.go(d={1: -0.0}).d(0) == b(-0.0) and run.flags == 0
    assert run.go(d={1: -1.0}).d(0) == DNAN and run.flags == IOC
    assert run.go(d={1: math.inf}).d(0) == PINF
    assert run.go(d={1: SNAN1}).d(0) == SNAN1 | (1 << 51) and run.flags == IOC
    # directed: sqrt(2) rounded up / down
    lo = b(math.sqrt(2.0))
    up = lo + 1 if Fraction(f(lo)) ** 2 < 2 else lo
    dn = lo if Fraction(f(lo)) ** 2 < 2 else lo - 1
    assert run.go(d={1: 2.0}, fpscr=RP).d(0) == up
    assert run.go(d={1: 2.0}, fpscr=RM).d(0) == dn
    assert run.go(d={1: 2.0}, fpscr=RZ).d(0) == dn


@pytest.mark.parametrize("mode", [RP, RM, RZ])
def test_directed_rounding(prog, mode):
    xs = _randoms(mode >> 22, 120)
    ops = {"vadd": lambda a, c: Fraction(a) + Fraction(c),
           "vmul": lambda a, c: Fraction(a) * Fraction(c),
           "vdiv": lambda a, c: Fraction(a) / Fraction(c)}
    for name, exact in ops.items():
        run = Run(prog, name, d={1: 1.0, 2: 1.0}, fpscr=mode)
        for a, c in zip(xs[::2], xs[1::2]):
            if math.isinf(a) or math.isinf(c) or c == 0 or a == 0:
                continue
            e = exact(a, c)
            if e == 0 or abs(e) >= Fraction(2) ** 1024 or abs(e) < Fraction(2) ** -1080:
                continue
            try:
                want = directed(e, mode)
            except OverflowError:
                continue
            if f(want) in (math.inf, -math.inf):
                continue
            run.go(d={1: a, 2: c}, fpscr=mode)
            assert run.d(0) == want, (name, mode, a, c)
            assert bool(run.flags & IXC) == (Fraction(f(want)) != e)


def test_overflow_inf_vs_max_finite(prog):
    big = 1e308
    cases = [(RN, PINF, NINF), (RZ, MAXD, MAXD | 1 << 63), (RP, PINF, MAXD | 1 << 63),
             (RM, MAXD, NINF)]
    for mode, pos, neg in cases:
        assert op2(prog, "vmul", big, 10.0, mode) == (pos, OFC | IXC)
        assert op2(prog, "vmul", -big, 10.0, mode) == (neg, OFC | IXC)
    assert op2(prog, "vadd", f(MAXD), f(MAXD), RN) == (PINF, OFC | IXC)


def test_underflow_denormals_and_fz(prog):
    # exact denormal result: no flags
    assert op2(prog, "vmul", 2.0 ** -1022, 0.5) == (b(2.0 ** -1023), 0)
    # tie at half the smallest denormal: RN -> +0 (even), RP -> min denormal; UFC|IXC
    assert op2(prog, "vmul", 5e-324, 0.5) == (0, UFC | IXC)
    assert op2(prog, "vmul", 5e-324, 0.5, RP) == (1, UFC | IXC)
    assert op2(prog, "vmul", 5e-324, 0.75) == (1, UFC | IXC)
    # inexact denormal result
    assert op2(prog, "vdiv", 2.0 ** -1070, 3.0) == (b(2.0 ** -1070 / 3.0), UFC | IXC)
    # rounding up from the largest denormal into the smallest normal still underflows
    x = f(0x000FFFFFFFFFFFFF)
    assert op2(prog, "vmul", x, 1.0 + 2.0 ** -52) == (0x0010000000000000, UFC | IXC)
    # FZ: denormal inputs flushed (IDC), denormal outputs flushed (UFC, no IXC)
    assert op2(prog, "vadd", 5e-324, 1.0, FZ) == (b(1.0), IDC)
    assert op2(prog, "vmul", -5e-324, 1.0, FZ) == (b(-0.0), IDC)
    assert op2(prog, "vmul", 2.0 ** -1022, 0.5, FZ) == (0, UFC)
    assert op2(prog, "vmul", -(2.0 ** -1022), 0.5, FZ) == (1 << 63, UFC)
    assert op2(prog, "vmul", 2.0 ** -1022, 0.5, 0) == (b(2.0 ** -1023), 0)
    # FZ does not change normal results
    assert op2(prog, "vmul", 2.0 ** -1021, 0.5, FZ) == (0x0010000000000000, 0)


def test_nan_propagation(prog):
    q = 1 << 51
    assert op2(prog, "vadd", f(QNAN1), 1.0) == (QNAN1, 0)
    assert op2(prog, "vadd", 1.0, f(QNAN2)) == (QNAN2, 0)
    assert op2(prog, "vadd", f(QNAN1), f(QNAN2)) == (QNAN1, 0)         # first operand wins
    assert op2(prog, "vadd", f(QNAN1), f(SNAN1)) == (SNAN1 | q, IOC)   # SNaN beats QNaN
    assert op2(prog, "vsub", f(SNAN1), f(QNAN2)) == (SNAN1 | q, IOC)
    assert op2(prog, "vmul", f(QNAN2), f(SNAN1), DN) == (DNAN, IOC)
    assert op2(prog, "vdiv", f(QNAN2), 1.0, DN) == (DNAN, 0)
    assert op2(prog, "vsub", math.inf, math.inf) == (DNAN, IOC)
    assert op2(prog, "vadd", -math.inf, math.inf) == (DNAN, IOC)
    assert op2(prog, "vmul", 0.0, -math.inf) == (DNAN, IOC)
    assert op2(prog, "vdiv", 0.0, 0.0) == (DNAN, IOC)
    assert op2(prog, "vdiv", math.inf, -math.inf) == (DNAN, IOC)
    assert op2(prog, "vdiv", -1.0, 0.0) == (NINF, DZC)
    assert op2(prog, "vdiv", math.inf, 0.0) == (PINF, 0)
    assert op2(prog, "vdiv", 1.0, -math.inf) == (b(-0.0), 0)
    # VNMUL negates a propagated NaN (FPNeg after FPMul)
    assert op2(prog, "vnmul", f(QNAN1), 1.0) == (QNAN1 ^ (1 << 63), 0)


def test_zero_signs(prog):
    assert op2(prog, "vsub", 1.0, 1.0) == (0, 0)
    assert op2(prog, "vsub", 1.0, 1.0, RM) == (1 << 63, 0)
    assert op2(prog, "vadd", -0.0, -0.0) == (1 << 63, 0)
    assert op2(prog, "vadd", -0.0, 0.0) == (0, 0)
    assert op2(prog, "vadd", -0.0, 0.0, RM) == (1 << 63, 0)
    assert op2(prog, "vsub", -0.0, 0.0) == (1 << 63, 0)
    assert op2(prog, "vmul", -0.0, 3.0) == (1 << 63, 0)


# ---------------------------------------------------------------------------
# Multiply-accumulate
# ---------------------------------------------------------------------------
def fused(d, n, m, mode=RN):
    return directed(Fraction(d) + Fraction(n) * Fraction(m), mode)


def test_fused_vs_chained_last_bit(prog):
    a, c = 1.0 + 2.0 ** -52, 1.0 + 2.0 ** -51
    exact = Fraction(a) * Fraction(c) - 1                 # 3*2^-52 + 2^-103, representable
    assert op2(prog, "vfma", a, c, dest=b(-1.0)) == (b(float(exact)), 0)
    assert op2(prog, "vmla", a, c, dest=b(-1.0)) == (b(3 * 2.0 ** -52), IXC)
    assert b(float(exact)) == b(3 * 2.0 ** -52) + 1       # they differ in the last bit
    # classic: (1+2^-30)(1-2^-30) - 1 = -2^-60 fused, 0 chained
    a, c = 1.0 + 2.0 ** -30, 1.0 - 2.0 ** -30
    assert op2(prog, "vfma", a, c, dest=b(-1.0)) == (b(-(2.0 ** -60)), 0)
    assert op2(prog, "vmla", a, c, dest=b(-1.0)) == (0, IXC)
    # RM: product rounds down to 1-2^-53, so the chained sum is -2^-53
    assert op2(prog, "vmla", a, c, RM, dest=b(-1.0)) == (b(-(2.0 ** -53)), IXC)
    assert op2(prog, "vmla", a, c, RP, dest=b(-1.0)) == (0, IXC)
    assert op2(prog, "vmla", 1.0, 1.0, RM, dest=b(-1.0)) == (1 << 63, 0)   # exact zero: -0


def test_fused_family_random(prog):
    xs = _randoms(99, 150)
    negs = {"vfma": (1, 1), "vfms": (1, -1), "vfnma": (-1, -1), "vfnms": (-1, 1)}
    for name, (sd, sn) in negs.items():
        run = Run(prog, name, d={0: 1.0, 1: 1.0, 2: 1.0})
        for d, n, m in zip(xs[::3], xs[1::3], xs[2::3]):
            if any(math.isinf(v) for v in (d, n, m)):
                continue
            e = sd * Fraction(d) + sn * Fraction(n) * Fraction(m)
            if e == 0 or abs(e) >= Fraction(2) ** 1024:
                continue
            want = b(float(e))
            if math.isinf(f(want)):
                continue
            run.go(d={0: d, 1: n, 2: m})
            assert run.d(0) == want, (name, d, n, m)
        for mode in (RP, RM, RZ):
            d, n, m = 0.1, 0.3, 0.7
            run.go(d={0: d, 1: n, 2: m}, fpscr=mode)
            assert run.d(0) == directed(sd * Fraction(d) + sn * Fraction(n) * Fraction(m), mode)
            assert run.flags == IXC


def test_chained_family(prog):
    d, n, m = 0.1, 0.3, 0.7
    p = n * m
    cases = {"vmla": d + p, "vmls": d - p, "vnmla": -d - p, "vnmls": -d + p}
    for name, want in cases.items():
        assert op2(prog, name, n, m, dest=b(d)) == (b(want), IXC), name
    # chained rounds twice: RP rounding of both steps
    run = Run(prog, "vmla", d={0: d, 1: n, 2: m}, fpscr=RP)
    pr = directed(Fraction(n) * Fraction(m), RP)
    assert run.d(0) == directed(Fraction(d) + Fraction(f(pr)), RP)


def test_fma_special_cases(prog):
    # addend QNaN with inf*0 product -> default NaN + IOC
    assert op2(prog, "vfma", math.inf, 0.0, dest=QNAN1) == (DNAN, IOC)
    assert op2(prog, "vfma", 1.0, 2.0, dest=QNAN1) == (QNAN1, 0)
    # SNaNs take priority over a QNaN addend (FPProcessNaNs3)
    assert op2(prog, "vfma", f(SNAN1), 2.0, dest=QNAN1) == (SNAN1 | 1 << 51, IOC)
    assert op2(prog, "vfma", f(QNAN2), 2.0, dest=QNAN1) == (QNAN1, 0)
    assert op2(prog, "vfma", math.inf, 1.0, dest=b(-math.inf)) == (DNAN, IOC)
    assert op2(prog, "vfma", -0.0, 1.0, dest=b(-0.0)) == (1 << 63, 0)
    assert op2(prog, "vfma", -0.0, 1.0, dest=b(0.0)) == (0, 0)
    # VFMS negates op1 before NaN propagation
    assert op2(prog, "vfms", f(QNAN1), 1.0, dest=b(1.0)) == (QNAN1 ^ (1 << 63), 0)
    # the intermediate product is not rounded even when it would overflow
    assert op2(prog, "vfma", 1e300, 1e300, dest=b(-math.inf)) == (NINF, 0)
    assert op2(prog, "vfma", 2.0 ** 600, 2.0 ** 600, dest=b(1.0)) == (PINF, OFC | IXC)
    assert op2(prog, "vfma", 2.0 ** -600, 2.0 ** -600, dest=b(1.0)) == (b(1.0), IXC)


# ---------------------------------------------------------------------------
# Moves
# ---------------------------------------------------------------------------
def test_vabs_vneg_vmov(prog):
    for x in (1.5, -2.0, -0.0, math.inf):
        assert Run(prog, "vabs", d={1: x}).d(0) == b(abs(x))
        assert Run(prog, "vneg", d={1: x}).d(0) == b(-x)
    r = Run(prog, "vabs", d={1: SNAN1 | 1 << 63}, fpscr=DN)
    assert r.d(0) == SNAN1 and r.flags == 0                     # no NaN processing
    r = Run(prog, "vneg", d={1: SNAN1}, fpscr=DN)
    assert r.d(0) == SNAN1 | 1 << 63 and r.flags == 0
    r = Run(prog, "vmov_reg", d={3: SNAN1}, fpscr=DN)
    assert r.d(9) == SNAN1 and r.flags == 0
    r = Run(prog, "vmov_imm")
    assert [r.d(i) for i in (0, 1, 2, 3, 12)] == [b(1.0), b(-2.5), b(0.125), b(31.0), b(-0.1875)]
    assert r.fpu.executed == 5


# ---------------------------------------------------------------------------
# Compare
# ---------------------------------------------------------------------------
def test_vcmp(prog):
    cases = [(1.0, 1.0, 0b0110), (1.0, 2.0, 0b1000), (2.0, 1.0, 0b0010), (-0.0, 0.0, 0b0110),
             (-math.inf, 1.0, 0b1000), (math.inf, math.inf, 0b0110)]
    for a, c, nzcv in cases:
        for name in ("vcmp", "vcmpe"):
            r = Run(prog, name, d={0: a, 1: c})
            assert (r.nzcv, r.flags) == (nzcv, 0), (name, a, c)
    r = Run(prog, "vcmp", d={0: QNAN1, 1: 1.0})
    assert (r.nzcv, r.flags) == (0b0011, 0)
    r = Run(prog, "vcmpe", d={0: 1.0, 1: QNAN1})
    assert (r.nzcv, r.flags) == (0b0011, IOC)
    r = Run(prog, "vcmp", d={0: 1.0, 1: SNAN1})
    assert (r.nzcv, r.flags) == (0b0011, IOC)
    # denormal vs zero with FZ: equal, IDC
    r = Run(prog, "vcmp0", d={0: 5e-324}, fpscr=FZ)
    assert (r.nzcv, r.flags) == (0b0110, IDC)
    r = Run(prog, "vcmp0", d={0: 5e-324})
    assert (r.nzcv, r.flags) == (0b0010, 0)
    r = Run(prog, "vcmp0", d={0: -0.0})
    assert r.nzcv == 0b0110
    r = Run(prog, "vcmpe0", d={0: -1.0})
    assert r.nzcv == 0b1000
    r = Run(prog, "vcmpe0", d={0: QNAN1})
    assert (r.nzcv, r.flags) == (0b0011, IOC)
    # other FPSCR bits preserved, NZCV replaced
    r = Run(prog, "vcmp", d={0: 1.0, 1: 2.0}, fpscr=0xF0000000 | RZ | IXC)
    assert r.fpscr == (0b1000 << 28) | RZ | IXC


def test_vcmp_then_vmrs_apsr_branch(prog):
    assert Run(prog, "vcmp_branch", d={0: 3.0, 1: 2.0}).r(0) == 1
    assert Run(prog, "vcmp_branch", d={0: 1.0, 1: 2.0}).r(0) == 2
    # unordered sets NZCV=0011: GT (Z==0 && N==V) fails
    assert Run(prog, "vcmp_branch", d={0: QNAN1, 1: 2.0}).r(0) == 2
    r = Run(prog, "vcmp_branch", d={0: QNAN1, 1: 2.0})
    assert r.uc.reg_read(UC_ARM_REG_XPSR) >> 28 == 0b0011


# ---------------------------------------------------------------------------
# Conversions
# ---------------------------------------------------------------------------
def test_vcvt_f32_f64(prog):
    for x in (0.1, -1.0 / 3, 1.0, 3.4028235e38, 1e-40, -0.0, math.inf):
        r = Run(prog, "cvt_f32_f64", d={1: x})
        assert r.s(0) == fb(x), x
    assert Run(prog, "cvt_f32_f64", d={1: 0.1}).flags == IXC
    assert Run(prog, "cvt_f32_f64", d={1: 0.5}).flags == 0
    r = Run(prog, "cvt_f32_f64", d={1: 1e300})
    assert (r.s(0), r.flags) == (0x7F800000, OFC | IXC)
    r = Run(prog, "cvt_f32_f64", d={1: -1e300}, fpscr=RZ)
    assert (r.s(0), r.flags) == (0xFF7FFFFF, OFC | IXC)
    r = Run(prog, "cvt_f32_f64", d={1: 1e-40})                   # single denormal result
    assert (r.s(0), r.flags) == (fb(1e-40), UFC | IXC)
    r = Run(prog, "cvt_f32_f64", d={1: 1e-40}, fpscr=FZ)
    assert (r.s(0), r.flags) == (0, UFC)
    r = Run(prog, "cvt_f32_f64", d={1: 0.1}, fpscr=RP)
    assert r.s(0) == fb(0.1) + (1 if Fraction(struct.unpack("<f", struct.pack("<f", 0.1))[0])
                                < Fraction(0.1) else 0)
    r = Run(prog, "cvt_f32_f64", d={1: 0x7FF4000000000000})     # SNaN: payload<50:29>, IOC
    assert (r.s(0), r.flags) == (0x7FE00000, IOC)
    r = Run(prog, "cvt_f32_f64", d={1: QNAN2})
    assert (r.s(0), r.flags) == (0xFFC00000, 0)
    r = Run(prog, "cvt_f32_f64", d={1: 0xFFF8000020000000}, fpscr=DN)
    assert (r.s(0), r.flags) == (0x7FC00000, 0)
    r = Run(prog, "cvt_f32_f64_hi", d={15: 2.5})
    assert r.s(31) == fb(2.5)


def test_vcvt_f64_f32(prog):
    for x in (0.1, -3.5, 1e-40, 3.4028235e38, -0.0):
        xs = struct.unpack("<f", struct.pack("<f", x))[0]
        r = Run(prog, "cvt_f64_f32", s={1: fb(x)})
        assert (r.d(0), r.flags) == (b(xs), 0), x
    r = Run(prog, "cvt_f64_f32", s={1: fb(1e-40)}, fpscr=FZ)
    assert (r.d(0), r.flags) == (0, IDC)
    r = Run(prog, "cvt_f64_f32", s={1: 0x7F800001})
    assert (r.d(0), r.flags) == (0x7FF8000020000000, IOC)
    r = Run(prog, "cvt_f64_f32", s={1: 0xFF800000})
    assert r.d(0) == NINF
    r = Run(prog, "cvt_f64_f32_hi", s={31: fb(-7.25)})
    assert r.d(15) == b(-7.25)


def test_vcvt_to_int(prog):
    def go(name, x, fpscr=0):
        r = Run(prog, name, d={1: x}, fpscr=fpscr)
        return r.s(0), r.flags
    assert go("cvt_s32_f64", 2.5) == (2, IXC)
    assert go("cvt_s32_f64", -2.5) == (0xFFFFFFFE, IXC)
    assert go("cvt_s32_f64", -2.5, RM) == (0xFFFFFFFE, IXC)         # always RZ
    assert go("cvt_s32_f64", 7.0) == (7, 0)
    assert go("cvt_s32_f64", 3e9) == (0x7FFFFFFF, IOC)
    assert go("cvt_s32_f64", -3e9) == (0x80000000, IOC)
    assert go("cvt_s32_f64", -2147483648.9) == (0x80000000, IXC)
    assert go("cvt_s32_f64", f(QNAN1)) == (0, IOC)
    assert go("cvt_s32_f64", -math.inf) == (0x80000000, IOC)
    assert go("cvt_s32_f64", 5e-324, FZ) == (0, IDC)
    assert go("cvt_s32_f64", 5e-324) == (0, IXC)
    assert go("cvt_u32_f64", 4294967295.5) == (0xFFFFFFFF, IXC)
    assert go("cvt_u32_f64", 4294967296.0) == (0xFFFFFFFF, IOC)
    assert go("cvt_u32_f64", -0.5) == (0, IXC)
    assert go("cvt_u32_f64", -1.5) == (0, IOC)
    # VCVTR uses FPSCR.RMode
    assert go("cvtr_s32_f64", 2.5) == (2, IXC)
    assert go("cvtr_s32_f64", 3.5) == (4, IXC)
    assert go("cvtr_s32_f64", -2.5) == (0xFFFFFFFE, IXC)
    assert go("cvtr_s32_f64", 2.1, RP) == (3, IXC)
    assert go("cvtr_s32_f64", -2.1, RM) == (0xFFFFFFFD, IXC)
    assert go("cvtr_s32_f64", -2.9, RZ) == (0xFFFFFFFE, IXC)
    assert go("cvtr_u32_f64", 4294967295.4) == (0xFFFFFFFF, IXC)
    assert go("cvtr_u32_f64", 4294967295.5) == (0xFFFFFFFF, IOC)
    assert go("cvtr_u32_f64", -0.4) == (0, IXC)


def test_vcvt_from_int(prog):
    for v in (0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 12345):
        r = Run(prog, "cvt_f64_s32", s={1: v})
        assert (r.d(0), r.flags) == (b(float(v - (1 << 32) if v >> 31 else v)), 0)
        r = Run(prog, "cvt_f64_u32", s={1: v})
        assert (r.d(0), r.flags) == (b(float(v)), 0)
    assert Run(prog, "cvt_f64_s32", s={1: 0}, fpscr=RM).d(0) == 0            # +0 always


def test_vcvt_fixed_point(prog):
    def go(name, x, fpscr=0):
        r = Run(prog, name, d={0: x}, fpscr=fpscr)
        return r.d(0), r.flags
    m64 = (1 << 64) - 1
    assert go("cvt_s16_f64_x", 1.5) == (24, 0)
    assert go("cvt_s16_f64_x", -1.5) == (m64 - 23, 0)                        # sign-extended
    assert go("cvt_s16_f64_x", -1.53) == (m64 - 23, IXC)                     # toward zero
    assert go("cvt_s16_f64_x", 5000.0) == (0x7FFF, IOC)
    assert go("cvt_s16_f64_x", -5000.0) == (m64 - 0x7FFF, IOC)
    assert go("cvt_u16_f64_x", 4095.9375) == (0xFFFF, 0)
    assert go("cvt_u16_f64_x", 4096.0) == (0xFFFF, IOC)
    assert go("cvt_u16_f64_x", -1.0) == (0, IOC)
    assert go("cvt_s32_f64_x", 0.5) == (1 << 30, 0)
    assert go("cvt_s32_f64_x", -1.0) == (m64 - (1 << 31) + 1, 0)
    assert go("cvt_s32_f64_x", 1.0) == (0x7FFFFFFF, IOC)
    assert go("cvt_u32_f64_x", 65535.99999) == (int(65535.99999 * 65536), IXC)
    assert go("cvt_u32_f64_x", f(QNAN1)) == (0, IOC)
    # from fixed: only the low `size` bits are used
    assert go("cvt_f64_s16_x", 0xDEADBEEF0000FFE8) == (b(-1.5), 0)
    assert go("cvt_f64_u16_x", 0xDEADBEEF0000FFE8) == (b(65512 / 16), 0)
    assert go("cvt_f64_s32_x", 0xFFFFFFFF80000000) == (b(-1.0), 0)
    assert go("cvt_f64_u32_x", 0x1234567800018000) == (b(0x18000 / 65536), 0)
    assert go("cvt_f64_s16_x", 0) == (0, 0)


def test_vcvt_directed(prog):
    def go(name, x):
        r = Run(prog, name, d={1: x})
        return r.s(0), r.flags
    m = 0xFFFFFFFF
    table = {2.5: (3, 2, 3, 2), -2.5: (m - 2, m - 1, m - 1, m - 2), 2.4: (2, 2, 3, 2),
             -0.5: (m, 0, 0, m), 3.5: (4, 4, 4, 3)}
    for x, (a, n, p, mm) in table.items():
        for name, want in (("vcvta_s", a), ("vcvtn_s", n), ("vcvtp_s", p), ("vcvtm_s", mm)):
            assert go(name, x) == (want, IXC), (name, x)
    assert go("vcvta_s", 7.0) == (7, 0)
    # directed forms ignore FPSCR.RMode
    r = Run(prog, "vcvtn_s", d={1: 2.5}, fpscr=RP)
    assert r.s(0) == 2
    assert go("vcvta_u", 2.5) == (3, IXC)
    assert go("vcvta_u", -0.5) == (0, IOC)          # ties away -> -1 -> saturates
    assert go("vcvtm_u", -0.5) == (0, IOC)
    assert go("vcvtm_u", 4294967295.7) == (0xFFFFFFFF, IXC)
    assert go("vcvtm_s", f(SNAN1)) == (0, IOC)


def test_vrint(prog):
    def go(name, x, fpscr=0):
        r = Run(prog, name, d={1: x}, fpscr=fpscr)
        return r.d(0), r.flags
    table = {2.5: (3.0, 2.0, 3.0, 2.0, 2.0), -2.5: (-3.0, -2.0, -2.0, -3.0, -2.0),
             0.4: (0.0, 0.0, 1.0, 0.0, 0.0), -0.4: (-0.0, -0.0, -0.0, -1.0, -0.0),
             1e300: (1e300,) * 5, 7.0: (7.0,) * 5}
    for x, wants in table.items():
        for name, want in zip(("vrinta", "vrintn", "vrintp", "vrintm", "vrintz"), wants):
            assert go(name, x) == (b(want), 0), (name, x)             # never IXC
    assert go("vrintr", 2.5) == (b(2.0), 0)
    assert go("vrintr", 2.5, RP) == (b(3.0), 0)
    assert go("vrintr", -0.4, RM) == (b(-1.0), 0)
    assert go("vrintx", 2.5) == (b(2.0), IXC)
    assert go("vrintx", 2.0) == (b(2.0), 0)
    assert go("vrintx", -2.1, RZ) == (b(-2.0), IXC)
    assert go("vrintn", 2.0 ** 52 + 1) == (b(2.0 ** 52 + 1), 0)
    assert go("vrinta", 5e-324) == (0, 0)
    assert go("vrintp", 5e-324) == (b(1.0), 0)
    assert go("vrintp", 5e-324, FZ) == (0, IDC)
    assert go("vrintm", -math.inf) == (NINF, 0)
    assert go("vrintz", f(SNAN1)) == (SNAN1 | 1 << 51, IOC)
    assert go("vrintx", f(QNAN1), DN) == (DNAN, 0)


def test_vcvt_half(prog):
    r = Run(prog, "cvtb_f64_f16", s={2: 0xC0003C00})
    assert (r.d(0), r.flags) == (b(1.0), 0)
    r = Run(prog, "cvtt_f64_f16", s={2: 0xC0003C00})
    assert (r.d(0), r.flags) == (b(-2.0), 0)
    r = Run(prog, "cvtb_f64_f16", s={2: 0x0001}, fpscr=FZ)               # no FZ for half
    assert (r.d(0), r.flags) == (b(2.0 ** -24), 0)
    r = Run(prog, "cvtb_f64_f16", s={2: 0x7C01})
    assert (r.d(0), r.flags) == (0x7FF8040000000000, IOC)
    r = Run(prog, "cvtb_f16_f64", d={1: 1.0}, s={0: 0xAAAA5555})
    assert (r.s(0), r.flags) == (0xAAAA3C00, 0)
    r = Run(prog, "cvtt_f16_f64", d={1: -2.0}, s={0: 0xAAAA5555})
    assert (r.s(0), r.flags) == (0xC0005555, 0)
    r = Run(prog, "cvtb_f16_f64", d={1: 65520.0}, s={0: 0})
    assert (r.s(0), r.flags) == (0x7C00, OFC | IXC)
    r = Run(prog, "cvtb_f16_f64", d={1: 65519.0}, s={0: 0})
    assert (r.s(0), r.flags) == (0x7BFF, IXC)
    r = Run(prog, "cvtb_f16_f64", d={1: 2.0 ** -25}, s={0: 0})          # tie -> 0
    assert (r.s(0), r.flags) == (0, UFC | IXC)
    r = Run(prog, "cvtb_f16_f64", d={1: 2.0 ** -24 * 3}, s={0: 0}, fpscr=FZ)
    assert (r.s(0), r.flags) == (3, 0)                                  # half denormal kept
    r = Run(prog, "cvtb_f16_f64", d={1: 0.1}, s={0: 0})
    assert r.s(0) == 0x2E66 and r.flags == IXC                          # numpy-free: 0.1 -> 0x2e66


# ---------------------------------------------------------------------------
# VSEL / VMAXNM / VMINNM
# ---------------------------------------------------------------------------
def test_vsel(prog):
    N, Z, V = 8, 4, 1             # NZCV flag bits (C unused: no VSEL condition reads it)
    cases = {"vseleq": [(Z, True), (0, False)],
             "vselvs": [(V, True), (0, False)],
             "vselge": [(0, True), (N | V, True), (N, False), (V, False)],
             "vselgt": [(0, True), (Z, False), (N | V, True), (N, False), (N | V | Z, False)]}
    for name, conds in cases.items():
        for apsr, take_n in conds:
            r = Run(prog, name, d={1: SNAN1, 2: 2.0}, apsr=apsr, fpscr=DN)
            assert r.d(0) == (SNAN1 if take_n else b(2.0)), (name, apsr)
            assert r.flags == 0


def test_vmaxnm_vminnm(prog):
    def mx(a, c, fpscr=0):
        return op2(prog, "vmaxnm", a, c, fpscr)

    def mn(a, c, fpscr=0):
        return op2(prog, "vminnm", a, c, fpscr)
    assert mx(1.0, 2.0) == (b(2.0), 0) and mn(1.0, 2.0) == (b(1.0), 0)
    assert mx(f(QNAN1), -5.0) == (b(-5.0), 0) and mn(-5.0, f(QNAN1)) == (b(-5.0), 0)
    assert mx(f(QNAN1), f(QNAN2)) == (QNAN1, 0)
    assert mn(f(QNAN2), f(QNAN1)) == (QNAN2, 0)
    assert mx(f(SNAN1), 1.0) == (SNAN1 | 1 << 51, IOC)
    assert mn(f(QNAN1), f(SNAN1)) == (SNAN1 | 1 << 51, IOC)
    assert mx(f(QNAN1), 1.0, DN) == (b(1.0), 0)
    assert mx(0.0, -0.0) == (0, 0) and mx(-0.0, 0.0) == (0, 0)
    assert mn(0.0, -0.0) == (1 << 63, 0) and mn(-0.0, 0.0) == (1 << 63, 0)
    assert mx(-math.inf, f(QNAN1)) == (NINF, 0)
    assert mx(5e-324, 0.0) == (1, 0)
    assert mx(5e-324, -0.0, FZ) == (0, IDC)


# ---------------------------------------------------------------------------
# FPSCR / FP context / IT blocks / undefined
# ---------------------------------------------------------------------------
def test_fpscr_interplay_with_native_code(prog):
    # vmsr sets RZ; DP add honours it and sets IXC; vmrs (native) reads it; a native SP
    # op keeps accumulating into the same FPSCR.
    r = Run(prog, "fpscr_interplay", d={1: 1.0, 2: 2.0 ** -60}, r={1: RZ},
            s={9: fb(1.0), 10: fb(1.0)})
    assert r.d(0) == b(1.0)
    assert r.r(0) == RZ | IXC
    assert r.r(2) == RZ | IXC
    r = Run(prog, "fpscr_interplay", d={1: 1.0, 2: 2.0 ** -60}, r={1: RP},
            s={9: fb(1.0), 10: fb(1.0)})
    assert r.d(0) == b(1.0) + 1 and r.r(0) == RP | IXC


def test_new_fp_context_like_native(prog):
    # CONTROL.FPCA/SFPA clear: first FP instruction loads FPSCR from FPDSCR (0) and
    # sets CONTROL.FPCA (+SFPA, as Unicorn's native FP instructions do).
    r = Run(prog, "vadd", d={1: 1.0, 2: 2.0 ** -60}, fpscr=RZ | DZC, control=0)
    assert r.fpscr == IXC                      # RN default context, old DZC dropped
    assert r.uc.reg_read(UC_ARM_REG_CONTROL) & 0xC == 0xC
    # unprivileged thread mode (nPRIV=1)
    r = Run(prog, "vadd", d={1: 1.0, 2: 1.0}, fpscr=RZ, control=1)
    assert r.uc.reg_read(UC_ARM_REG_CONTROL) == 0xD and r.fpscr == 0
    assert r.uc.reg_read(UC_ARM_REG_SP) == RAM + 0x8000
    assert r.uc.reg_read(UC_ARM_REG_XPSR) & 0x1FF == 0            # back in Thread mode
    # existing context: FPSCR untouched except flags
    r = Run(prog, "vadd", d={1: 1.0, 2: 2.0 ** -60}, fpscr=RZ | DZC, control=0xC)
    assert r.fpscr == RZ | DZC | IXC


def test_it_block(prog):
    r = Run(prog, "it_block", d={1: 1.5, 2: 2.25, 3: 0, 4: 0}, r={0: 0, 4: 0, 5: 0})
    assert r.d(0) == b(3.75) and r.d(3) == 0 and r.d(4) == 0
    assert r.r(4) == 1 and r.r(5) == 7
    assert r.fpu.executed == 1 and len(r.hook_pcs) == 1
    assert (r.uc.reg_read(UC_ARM_REG_XPSR) >> 10) & 0x3F == 0     # IT finished
    r = Run(prog, "it_block", d={1: 1.5, 2: 2.25, 0: 0, 3: 0, 4: 0}, r={0: 1, 4: 0, 5: 0})
    assert r.d(0) == 0 and r.d(3) == b(3.75) and r.d(4) == b(-0.75)
    assert r.r(4) == 0 and r.r(5) == 7 and r.fpu.executed == 2
    r = Run(prog, "it_block2", d={1: 1.5, 2: 2.0}, r={0: 1, 4: 0, 5: 0})
    assert r.d(0) == b(3.0) and r.d(3) == b(-0.5) and r.r(4) == 1 and r.r(5) == 7
    r = Run(prog, "it_block2", d={0: 0, 1: 1.5, 2: 2.0, 3: 0}, r={0: 0, 4: 0, 5: 0})
    assert r.d(0) == 0 and r.d(3) == 0 and r.r(4) == 0 and r.r(5) == 7
    assert r.hook_pcs == []


def test_itadvance_direct(prog):
    """try_execute on a condition-failing IT state advances ITSTATE without executing."""
    code, table = prog
    r = Run(prog, "vadd", d={1: 1.0, 2: 1.0, 0: 0})
    uc, fpu = r.uc, DoublePrecisionFpu()
    pc = BASE + table["vadd"][0]
    # ITSTATE = 0x0B (itete eq, first instruction), flags Z=0 -> EQ fails
    it = 0x0B
    uc.reg_write(UC_ARM_REG_XPSR, (1 << 24) | ((it & 3) << 25) | ((it >> 2) << 10))
    uc.reg_write(UC_ARM_REG_D0, 0)
    assert fpu.try_execute(uc, pc)
    assert fpu.executed == 0 and uc.reg_read(UC_ARM_REG_D0) == 0
    x = uc.reg_read(UC_ARM_REG_XPSR)
    assert ((x >> 25) & 3) | (((x >> 10) & 0x3F) << 2) == 0x16
    assert uc.reg_read(UC_ARM_REG_PC) == pc + 4


def test_undefined_returns_false(prog):
    code, table = prog
    for name in ("udf", "d16"):
        uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS)
        uc.ctl_set_cpu_model(UC_CPU_ARM_CORTEX_M7)
        uc.mem_map(0, 0x100000)
        uc.mem_write(BASE, code)
        fpu = DoublePrecisionFpu()
        seen = []

        def hook(u, _ud, seen=seen, fpu=fpu):
            pc = u.reg_read(UC_ARM_REG_PC)
            seen.append((pc, fpu.try_execute(u, pc)))
            return seen[-1][1]

        uc.hook_add(UC_HOOK_INSN_INVALID, hook)
        start, end = table[name]
        uc.reg_write(UC_ARM_REG_FPSCR, 0x10)
        with pytest.raises(UcError):
            uc.emu_start((BASE + start) | 1, BASE + end)
        assert seen == [(BASE + start, False)], name
        assert uc.reg_read(UC_ARM_REG_FPSCR) == 0x10 and fpu.executed == 0
