"""Exact emulation of the FPv5-D16 double-precision instructions that Unicorn rejects.

Unicorn 2.1.4's Cortex-M7 model (UC_CPU_ARM_CORTEX_M7) implements only the
single-precision half of FPv5: every data-processing instruction with sz=1
(and VCVT.F64.F32, VCVTB/VCVTT between F16 and F64) raises an invalid
instruction.  The simulator core calls :meth:`DoublePrecisionFpu.try_execute`
from its UC_HOOK_INSN_INVALID callback; we decode the instruction, run the
ARM ARM pseudocode on exact integers, write the registers / FPSCR back, advance
ITSTATE and PC.

Probed natively working (and verified bit-exact, see tests/test_fpu_dp.py):
VLDR/VSTR/VLDM/VSTM/VPUSH/VPOP of D registers, VMOV Dm,Rt,Rt2 / Rt,Rt2,Dm,
VMOV Sn<->Rt, VMOV Sm,Sm1<->Rt,Rt2, VMOV.32 Dd[x]<->Rt, VMRS/VMSR and all
single-precision instructions.

References (section titles, as numbered in DDI0403E "ARMv7-M Architecture
Reference Manual", which covers FPv5 for Cortex-M7):
  A2.5   "Floating-point support" -- FPUnpack, FPRound, FPProcessNaN(s),
         FPAdd/FPSub/FPMul/FPDiv/FPSqrt/FPMulAdd, FPCompare, FPToFixed,
         FixedToFP, FPRoundInt, FPMaxNum/FPMinNum, conversion helpers.
  A6.4   "Floating-point data-processing instructions" (decode table).
  A7.7   individual instruction pages (VADD, VCVT, VSEL, ...).
  B1.4.x / A2.3.2 ExecuteFPCheck (lazy FP context creation, FPDSCR).

Arithmetic never uses host floating point except for *comparisons* of values
that are exactly representable as host doubles (FPCompare / FPMax ordering),
which are exact.  Every rounding goes through :func:`_round`, a direct
transcription of FPRound() on (integer mantissa, binary exponent) pairs.
"""

from __future__ import annotations

import math
from typing import Callable, Dict, List, NamedTuple, Optional, Tuple

from unicorn.arm_const import (
    UC_ARM_REG_CONTROL,
    UC_ARM_REG_D0,
    UC_ARM_REG_EPSR,
    UC_ARM_REG_FPSCR,
    UC_ARM_REG_IPSR,
    UC_ARM_REG_PC,
    UC_ARM_REG_S0,
    UC_ARM_REG_XPSR,
)

# ---------------------------------------------------------------------------
# FPSCR fields (ARMv7-M A2.5.3 "Floating-point Status and Control Register")
# ---------------------------------------------------------------------------
IOC = 1 << 0   # Invalid Operation cumulative
DZC = 1 << 1   # Division by Zero cumulative
OFC = 1 << 2   # Overflow cumulative
UFC = 1 << 3   # Underflow cumulative
IXC = 1 << 4   # Inexact cumulative
IDC = 1 << 7   # Input Denormal cumulative
FPSCR_FZ = 1 << 24
FPSCR_DN = 1 << 25
FPSCR_AHP = 1 << 26
FPSCR_NZCV_MASK = 0xF << 28

# Rounding modes: the first four are the FPSCR.RMode encodings.
RN, RP, RM, RZ, RA = 0, 1, 2, 3, 4   # RA = FPRounding_TIEAWAY (VCVTA/VRINTA)

# FPType
ZERO, NONZERO, INF, QNAN, SNAN = range(5)

# CONTROL bits (ARMv7-M B1.4.4, SFPA from ARMv8-M)
CONTROL_FPCA = 1 << 2
CONTROL_SFPA = 1 << 3


class _Fmt:
    """Binary interchange format parameters (N bits, E exponent, F fraction)."""

    def __init__(self, n: int, e: int, f: int) -> None:
        self.N, self.E, self.F = n, e, f
        self.bias = (1 << (e - 1)) - 1
        self.minexp = 1 - self.bias                  # minimum_exp in FPRound
        self.expmax = (1 << e) - 1
        self.sign_bit = 1 << (n - 1)
        self.frac_mask = (1 << f) - 1
        self.quiet_bit = 1 << (f - 1)
        self.inf = self.expmax << f
        self.default_nan = self.inf | self.quiet_bit   # FPDefaultNaN
        self.max_normal = ((self.expmax - 1) << f) | self.frac_mask


F16 = _Fmt(16, 5, 10)
F32 = _Fmt(32, 8, 23)
F64 = _Fmt(64, 11, 52)


class _Ctx:
    """fpscr_val plus the cumulative exceptions raised by one instruction."""

    __slots__ = ("fz", "dn", "ahp", "rmode", "exc")

    def __init__(self, fpscr: int) -> None:
        self.fz = bool(fpscr & FPSCR_FZ)
        self.dn = bool(fpscr & FPSCR_DN)
        self.ahp = bool(fpscr & FPSCR_AHP)
        self.rmode = (fpscr >> 22) & 3
        self.exc = 0


# ---------------------------------------------------------------------------
# Pseudocode library (ARMv7-M A2.5)
# ---------------------------------------------------------------------------
Unpacked = Tuple[int, int, int, int]   # (type, sign, mantissa, exponent): value = mant * 2**exp


def _unpack(bits: int, fmt: _Fmt, c: _Ctx) -> Unpacked:
    """FPUnpack(): FZ flushes single/double denormal inputs (IDC); never half."""
    f = fmt.F
    sign = (bits >> (fmt.N - 1)) & 1
    exp = (bits >> f) & fmt.expmax
    frac = bits & fmt.frac_mask
    if exp == 0:
        if frac == 0:
            return ZERO, sign, 0, 0
        if c.fz and fmt.N != 16:
            c.exc |= IDC
            return ZERO, sign, 0, 0
        return NONZERO, sign, frac, fmt.minexp - f
    if exp == fmt.expmax and not (fmt.N == 16 and c.ahp):
        if frac == 0:
            return INF, sign, 0, 0
        return (QNAN if frac & fmt.quiet_bit else SNAN), sign, 0, 0
    return NONZERO, sign, frac | (1 << f), exp - fmt.bias - f


def _zero(sign: int, fmt: _Fmt) -> int:
    return fmt.sign_bit if sign else 0


def _infinity(sign: int, fmt: _Fmt) -> int:
    return (fmt.sign_bit if sign else 0) | fmt.inf


def _neg(bits: int, fmt: _Fmt) -> int:          # FPNeg
    return bits ^ fmt.sign_bit


def _round(c: _Ctx, fmt: _Fmt, sign: int, mant: int, exp: int,
           rmode: Optional[int] = None) -> int:
    """FPRound(): round the nonzero real (-1)**sign * mant * 2**exp to fmt.

    Tininess is detected before rounding; UFC only when also inexact; FZ
    flushes results whose unrounded exponent is below minimum_exp (UFC, no
    IXC).  ``mant`` may carry a sticky bit below the needed precision.
    """
    f = fmt.F
    exponent = mant.bit_length() - 1 + exp          # 2**exponent <= |value| < 2**(exponent+1)
    if c.fz and fmt.N != 16 and exponent < fmt.minexp:
        c.exc |= UFC
        return _zero(sign, fmt)
    biased_exp = exponent - fmt.minexp + 1
    if biased_exp <= 0:
        biased_exp = 0
        scale_exp = fmt.minexp
    else:
        scale_exp = exponent
    shift = exp + f - scale_exp                     # int_mant = RoundDown(value * 2**shift)
    if shift >= 0:
        int_mant, rem, half = mant << shift, 0, 1
    else:
        k = -shift
        int_mant, rem, half = mant >> k, mant & ((1 << k) - 1), 1 << (k - 1)
    inexact = rem != 0
    if biased_exp == 0 and inexact:
        c.exc |= UFC
    mode = c.rmode if rmode is None else rmode
    if mode == RN:
        round_up = rem > half or (rem == half and inexact and (int_mant & 1) == 1)
        overflow_to_inf = True
    elif mode == RP:
        round_up = inexact and not sign
        overflow_to_inf = not sign
    elif mode == RM:
        round_up = inexact and bool(sign)
        overflow_to_inf = bool(sign)
    elif mode == RZ:
        round_up = False
        overflow_to_inf = False
    else:  # RA, only used by FPRoundInt's final re-encoding (always exact there)
        round_up = rem >= half and inexact
        overflow_to_inf = True
    if round_up:
        int_mant += 1
        if int_mant == 1 << f:                      # denormal rounded up to normal
            biased_exp = 1
        if int_mant == 1 << (f + 1):                # rounded up to next exponent
            biased_exp += 1
            int_mant >>= 1
    sbit = fmt.sign_bit if sign else 0
    if fmt.N != 16 or not c.ahp:
        if biased_exp >= fmt.expmax:
            result = _infinity(sign, fmt) if overflow_to_inf else sbit | fmt.max_normal
            c.exc |= OFC
            inexact = True
        else:
            result = sbit | (biased_exp << f) | (int_mant & fmt.frac_mask)
    else:  # alternative half precision
        if biased_exp >= 1 << fmt.E:
            result = sbit | 0x7FFF
            c.exc |= IOC
            inexact = False
        else:
            result = sbit | (biased_exp << f) | (int_mant & fmt.frac_mask)
    if inexact:
        c.exc |= IXC
    return result


def _round_signed(c: _Ctx, fmt: _Fmt, v: int, exp: int) -> int:
    """Round the nonzero signed dyadic v * 2**exp."""
    return _round(c, fmt, 1 if v < 0 else 0, abs(v), exp)


def _process_nan(c: _Ctx, fmt: _Fmt, typ: int, bits: int) -> int:
    """FPProcessNaN(): quieten SNaN (IOC); DN selects the default NaN."""
    if typ == SNAN:
        bits |= fmt.quiet_bit
        c.exc |= IOC
    if c.dn:
        return fmt.default_nan
    return bits


def _process_nans(c: _Ctx, fmt: _Fmt, ops: List[Tuple[int, int]]) -> Optional[int]:
    """FPProcessNaNs / FPProcessNaNs3: SNaNs first (operand order), then QNaNs."""
    for typ, bits in ops:
        if typ == SNAN:
            return _process_nan(c, fmt, typ, bits)
    for typ, bits in ops:
        if typ == QNAN:
            return _process_nan(c, fmt, typ, bits)
    return None


def _align_add(s1: int, m1: int, e1: int, s2: int, m2: int, e2: int) -> Tuple[int, int]:
    """Exact signed sum of two dyadics: returns (V, e) with value V * 2**e."""
    e = min(e1, e2)
    v1 = m1 << (e1 - e)
    v2 = m2 << (e2 - e)
    return (-v1 if s1 else v1) + (-v2 if s2 else v2), e


def fp_add(c: _Ctx, op1: int, op2: int, fmt: _Fmt = F64, sub: bool = False) -> int:
    """FPAdd() / FPSub()."""
    t1, s1, m1, e1 = _unpack(op1, fmt, c)
    t2, s2, m2, e2 = _unpack(op2, fmt, c)
    nan = _process_nans(c, fmt, [(t1, op1), (t2, op2)])
    if nan is not None:
        return nan
    if sub:
        s2 ^= 1
    inf1, inf2 = t1 == INF, t2 == INF
    if inf1 and inf2 and s1 != s2:
        c.exc |= IOC
        return fmt.default_nan
    if (inf1 and s1 == 0) or (inf2 and s2 == 0):
        return _infinity(0, fmt)
    if inf1 or inf2:
        return _infinity(1, fmt)
    if t1 == ZERO and t2 == ZERO and s1 == s2:
        return _zero(s1, fmt)
    v, e = _align_add(s1, m1, e1, s2, m2, e2)
    if v == 0:   # exact zero: sign from rounding mode
        return _zero(1 if c.rmode == RM else 0, fmt)
    return _round_signed(c, fmt, v, e)


def fp_mul(c: _Ctx, op1: int, op2: int, fmt: _Fmt = F64) -> int:
    """FPMul()."""
    t1, s1, m1, e1 = _unpack(op1, fmt, c)
    t2, s2, m2, e2 = _unpack(op2, fmt, c)
    nan = _process_nans(c, fmt, [(t1, op1), (t2, op2)])
    if nan is not None:
        return nan
    if (t1 == INF and t2 == ZERO) or (t1 == ZERO and t2 == INF):
        c.exc |= IOC
        return fmt.default_nan
    s = s1 ^ s2
    if t1 == INF or t2 == INF:
        return _infinity(s, fmt)
    if t1 == ZERO or t2 == ZERO:
        return _zero(s, fmt)
    return _round(c, fmt, s, m1 * m2, e1 + e2)


def fp_muladd(c: _Ctx, addend: int, op1: int, op2: int, fmt: _Fmt = F64) -> int:
    """FPMulAdd(): addend + op1*op2 with a single rounding."""
    ta, sa, ma, ea = _unpack(addend, fmt, c)
    t1, s1, m1, e1 = _unpack(op1, fmt, c)
    t2, s2, m2, e2 = _unpack(op2, fmt, c)
    inf1, inf2, zero1, zero2 = t1 == INF, t2 == INF, t1 == ZERO, t2 == ZERO
    nan = _process_nans(c, fmt, [(ta, addend), (t1, op1), (t2, op2)])
    if ta == QNAN and ((inf1 and zero2) or (zero1 and inf2)):
        c.exc |= IOC
        return fmt.default_nan
    if nan is not None:
        return nan
    infa, zeroa = ta == INF, ta == ZERO
    sp = s1 ^ s2
    infp = inf1 or inf2
    zerop = zero1 or zero2
    if (inf1 and zero2) or (zero1 and inf2) or (infa and infp and sa != sp):
        c.exc |= IOC
        return fmt.default_nan
    if (infa and sa == 0) or (infp and sp == 0):
        return _infinity(0, fmt)
    if infa or infp:
        return _infinity(1, fmt)
    if zeroa and zerop and sa == sp:
        return _zero(sa, fmt)
    mp, ep = m1 * m2, e1 + e2
    if zeroa:
        v, e = (-mp if sp else mp), ep
    elif zerop:
        v, e = (-ma if sa else ma), ea
    else:
        v, e = _align_add(sa, ma, ea, sp, mp, ep)
    if v == 0:
        return _zero(1 if c.rmode == RM else 0, fmt)
    return _round_signed(c, fmt, v, e)


def fp_div(c: _Ctx, op1: int, op2: int, fmt: _Fmt = F64) -> int:
    """FPDiv()."""
    t1, s1, m1, e1 = _unpack(op1, fmt, c)
    t2, s2, m2, e2 = _unpack(op2, fmt, c)
    nan = _process_nans(c, fmt, [(t1, op1), (t2, op2)])
    if nan is not None:
        return nan
    s = s1 ^ s2
    if (t1 == INF and t2 == INF) or (t1 == ZERO and t2 == ZERO):
        c.exc |= IOC
        return fmt.default_nan
    if t1 == INF or t2 == ZERO:
        if t1 != INF:
            c.exc |= DZC
        return _infinity(s, fmt)
    if t1 == ZERO or t2 == INF:
        return _zero(s, fmt)
    # Quotient with >= F+3 significant bits plus a sticky bit: rounds identically
    # to the exact quotient (no rounding boundary lies strictly between).
    k = fmt.F + 3 + m2.bit_length() - m1.bit_length() + 2
    if k < 0:
        k = 0
    q, r = divmod(m1 << k, m2)
    q = (q << 1) | (1 if r else 0)
    return _round(c, fmt, s, q, e1 - e2 - k - 1)


def fp_sqrt(c: _Ctx, op: int, fmt: _Fmt = F64) -> int:
    """FPSqrt()."""
    t, s, m, e = _unpack(op, fmt, c)
    if t in (SNAN, QNAN):
        return _process_nan(c, fmt, t, op)
    if t == ZERO:
        return _zero(s, fmt)
    if t == INF and s == 0:
        return _infinity(0, fmt)
    if s:
        c.exc |= IOC
        return fmt.default_nan
    if e & 1:
        m <<= 1
        e -= 1
    # Scale so that the integer root has >= 2*(F+3) bits, then add a sticky bit.
    t2 = max(0, (2 * (fmt.F + 8) - m.bit_length() + 1) // 2)
    n = m << (2 * t2)
    r = math.isqrt(n)
    if r * r == n:
        return _round(c, fmt, 0, r, e // 2 - t2)
    return _round(c, fmt, 0, (r << 1) | 1, e // 2 - t2 - 1)


def fp_compare(c: _Ctx, op1: int, op2: int, quiet_nan_exc: bool, fmt: _Fmt = F64) -> int:
    """FPCompare(): returns NZCV (4 bits)."""
    t1, s1, m1, e1 = _unpack(op1, fmt, c)
    t2, s2, m2, e2 = _unpack(op2, fmt, c)
    if t1 in (SNAN, QNAN) or t2 in (SNAN, QNAN):
        if t1 == SNAN or t2 == SNAN or quiet_nan_exc:
            c.exc |= IOC
        return 0b0011
    v1 = _host_value(t1, s1, m1, e1)
    v2 = _host_value(t2, s2, m2, e2)
    if v1 == v2:
        return 0b0110
    if v1 < v2:
        return 0b1000
    return 0b0010


def _host_value(t: int, s: int, m: int, e: int) -> float:
    """Exact host double for an unpacked non-NaN binary64/32 value (ordering only)."""
    if t == INF:
        v = math.inf
    elif t == ZERO:
        v = 0.0
    else:
        v = math.ldexp(m, e)       # m < 2**53: exact
    return -v if s else v


def fp_maxmin_num(c: _Ctx, op1: int, op2: int, is_max: bool, fmt: _Fmt = F64) -> int:
    """FPMaxNum() / FPMinNum() (IEEE 754-2008 maxNum/minNum)."""
    t1 = _unpack(op1, fmt, c)[0]
    t2 = _unpack(op2, fmt, c)[0]
    repl = _infinity(1 if is_max else 0, fmt)
    if t1 == QNAN and t2 != QNAN:
        op1 = repl
    elif t1 != QNAN and t2 == QNAN:
        op2 = repl
    # FPMax() / FPMin()
    t1, s1, m1, e1 = _unpack(op1, fmt, c)
    t2, s2, m2, e2 = _unpack(op2, fmt, c)
    nan = _process_nans(c, fmt, [(t1, op1), (t2, op2)])
    if nan is not None:
        return nan
    v1 = _host_value(t1, s1, m1, e1)
    v2 = _host_value(t2, s2, m2, e2)
    first = v1 > v2 if is_max else v1 < v2
    t, s, m, e = (t1, s1, m1, e1) if first else (t2, s2, m2, e2)
    if t == INF:
        return _infinity(s, fmt)
    if t == ZERO:
        s = (s1 & s2) if is_max else (s1 | s2)
        return _zero(s, fmt)
    return _round(c, fmt, s, m, e)


def fp_convert(c: _Ctx, op: int, src: _Fmt, dst: _Fmt) -> int:
    """FPSingleToDouble / FPDoubleToSingle / FPHalfToDouble / FPDoubleToHalf."""
    t, s, m, e = _unpack(op, src, c)
    alt_hp = dst.N == 16 and c.ahp
    if t in (SNAN, QNAN):
        if alt_hp:
            result = _zero(s, dst)
        elif c.dn:
            result = dst.default_nan
        else:
            frac = op & src.frac_mask
            if dst.F <= src.F:
                frac >>= src.F - dst.F
            else:
                frac <<= dst.F - src.F
            result = (dst.sign_bit if s else 0) | dst.inf | dst.quiet_bit | frac
        if t == SNAN or alt_hp:
            c.exc |= IOC
        return result
    if t == INF:
        if alt_hp:
            c.exc |= IOC
            return (dst.sign_bit if s else 0) | 0x7FFF
        return _infinity(s, dst)
    if t == ZERO:
        return _zero(s, dst)
    return _round(c, dst, s, m, e)


def _int_and_error(v: int, e: int) -> Tuple[int, int, int]:
    """RoundDown(v * 2**e) and the error as (err, half) in units of 2**e."""
    if e >= 0:
        return v << e, 0, 1
    k = -e
    i = v >> k                               # floor for negative values too
    return i, v - (i << k), 1 << (k - 1)


def _round_up(mode: int, i: int, err: int, half: int) -> bool:
    if err == 0:
        return False
    if mode == RN:
        return err > half or (err == half and (i & 1) == 1)
    if mode == RP:
        return True
    if mode == RM:
        return False
    if mode == RZ:
        return i < 0
    return err > half or (err == half and i >= 0)      # RA (ties away)


def fp_to_fixed(c: _Ctx, op: int, m_bits: int, fbits: int, unsigned: bool,
                mode: int, fmt: _Fmt = F64) -> int:
    """FPToFixed(): saturating conversion, IOC on NaN/overflow else IXC if inexact."""
    t, s, m, e = _unpack(op, fmt, c)
    if unsigned:
        lo, hi = 0, (1 << m_bits) - 1
    else:
        lo, hi = -(1 << (m_bits - 1)), (1 << (m_bits - 1)) - 1
    if t in (SNAN, QNAN):
        c.exc |= IOC
        return 0
    if t == INF:
        c.exc |= IOC
        return (lo if s else hi) & ((1 << m_bits) - 1)
    i, err, half = _int_and_error(-m if s else m, e + fbits)
    if _round_up(mode, i, err, half):
        i += 1
    if i < lo or i > hi:
        c.exc |= IOC
        i = lo if i < lo else hi
    elif err:
        c.exc |= IXC
    return i & ((1 << m_bits) - 1)


def fixed_to_fp(c: _Ctx, value: int, m_bits: int, fbits: int, unsigned: bool,
                mode: Optional[int], fmt: _Fmt = F64) -> int:
    """FixedToFP() (exact for F64 since |value| < 2**32)."""
    if not unsigned and value & (1 << (m_bits - 1)):
        value -= 1 << m_bits
    if value == 0:
        return 0
    return _round(c, fmt, 1 if value < 0 else 0, abs(value), -fbits, mode)


def fp_round_int(c: _Ctx, op: int, mode: int, exact: bool, fmt: _Fmt = F64) -> int:
    """FPRoundInt(): VRINT*; IXC only for the 'exact' (VRINTX) form."""
    t, s, m, e = _unpack(op, fmt, c)
    if t in (SNAN, QNAN):
        return _process_nan(c, fmt, t, op)
    if t == INF:
        return _infinity(s, fmt)
    if t == ZERO:
        return _zero(s, fmt)
    i, err, half = _int_and_error(-m if s else m, e)
    if _round_up(mode, i, err, half):
        i += 1
    if i == 0:
        result = _zero(s, fmt)
    else:
        result = _round(c, fmt, 1 if i < 0 else 0, abs(i), 0, RZ)
    if err and exact:
        c.exc |= IXC
    return result


def vfp_expand_imm64(imm8: int) -> int:
    """VFPExpandImm(imm8, 64)."""
    b6 = (imm8 >> 6) & 1
    exp = ((b6 ^ 1) << 10) | ((0xFF if b6 else 0) << 2) | ((imm8 >> 4) & 3)
    return ((imm8 >> 7) << 63) | (exp << 52) | ((imm8 & 0xF) << 48)


# ---------------------------------------------------------------------------
# Register access helpers
# ---------------------------------------------------------------------------
def _rd(uc, n: int) -> int:
    return uc.reg_read(UC_ARM_REG_D0 + n)


def _wd(uc, n: int, v: int) -> None:
    uc.reg_write(UC_ARM_REG_D0 + n, v)


def _rs(uc, n: int) -> int:
    return uc.reg_read(UC_ARM_REG_S0 + n)


def _ws(uc, n: int, v: int) -> None:
    uc.reg_write(UC_ARM_REG_S0 + n, v & 0xFFFFFFFF)


# Field extraction (32-bit instruction word = hw1 << 16 | hw2)
def _dd(w: int) -> int:  # D:Vd
    return ((w >> 18) & 0x10) | ((w >> 12) & 0xF)


def _dn(w: int) -> int:  # N:Vn
    return ((w >> 3) & 0x10) | ((w >> 16) & 0xF)


def _dm(w: int) -> int:  # M:Vm
    return ((w >> 1) & 0x10) | (w & 0xF)


def _sd(w: int) -> int:  # Vd:D
    return ((w >> 11) & 0x1E) | ((w >> 22) & 1)


def _sm(w: int) -> int:  # Vm:M
    return ((w & 0xF) << 1) | ((w >> 5) & 1)


# Each handler: (uc, ctx, word, apsr_nzcv) -> Optional[int] new FPSCR.NZCV (VCMP only)
Handler = Callable[..., Optional[int]]


def _op3(fn: Callable[[_Ctx, int, int, int], int]) -> Handler:
    """Dd = fn(ctx, Dd, Dn, Dm)."""
    def h(uc, c, w, _flags):
        d = _dd(w)
        _wd(uc, d, fn(c, _rd(uc, d), _rd(uc, _dn(w)), _rd(uc, _dm(w))))
    return h


def _op2(fn: Callable[[_Ctx, int], int]) -> Handler:
    """Dd = fn(ctx, Dm)."""
    def h(uc, c, w, _flags):
        _wd(uc, _dd(w), fn(c, _rd(uc, _dm(w))))
    return h


# Arithmetic cores (pseudocode bodies of the instruction pages)
def _vmla(c, d, n, m):
    return fp_add(c, d, fp_mul(c, n, m))


def _vmls(c, d, n, m):
    return fp_add(c, d, _neg(fp_mul(c, n, m), F64))


def _vnmla(c, d, n, m):
    return fp_add(c, _neg(d, F64), _neg(fp_mul(c, n, m), F64))


def _vnmls(c, d, n, m):
    return fp_add(c, _neg(d, F64), fp_mul(c, n, m))


def _vmul(c, d, n, m):
    return fp_mul(c, n, m)


def _vnmul(c, d, n, m):
    return _neg(fp_mul(c, n, m), F64)


def _vadd(c, d, n, m):
    return fp_add(c, n, m)


def _vsub(c, d, n, m):
    return fp_add(c, n, m, sub=True)


def _vdiv(c, d, n, m):
    return fp_div(c, n, m)


def _vfma(c, d, n, m):
    return fp_muladd(c, d, n, m)


def _vfms(c, d, n, m):
    return fp_muladd(c, d, _neg(n, F64), m)


def _vfnma(c, d, n, m):
    return fp_muladd(c, _neg(d, F64), _neg(n, F64), m)


def _vfnms(c, d, n, m):
    return fp_muladd(c, _neg(d, F64), n, m)


def _vmaxnm(c, d, n, m):
    return fp_maxmin_num(c, n, m, True)


def _vminnm(c, d, n, m):
    return fp_maxmin_num(c, n, m, False)


def _h_vmov_imm(uc, c, w, _flags):
    _wd(uc, _dd(w), vfp_expand_imm64(((w >> 12) & 0xF0) | (w & 0xF)))


def _h_vcmp(uc, c, w, _flags):
    op2 = 0 if (w >> 16) & 1 else _rd(uc, _dm(w))      # opc2=0101: compare with #0.0
    return fp_compare(c, _rd(uc, _dd(w)), op2, bool(w & 0x80))


def _h_vcvt_f32_f64(uc, c, w, _flags):
    _ws(uc, _sd(w), fp_convert(c, _rd(uc, _dm(w)), F64, F32))


def _h_vcvt_f64_f32(uc, c, w, _flags):
    _wd(uc, _dd(w), fp_convert(c, _rs(uc, _sm(w)), F32, F64))


def _h_vcvtbt_f64_f16(uc, c, w, _flags):
    half = (_rs(uc, _sm(w)) >> (16 if w & 0x80 else 0)) & 0xFFFF
    _wd(uc, _dd(w), fp_convert(c, half, F16, F64))


def _h_vcvtbt_f16_f64(uc, c, w, _flags):
    h = fp_convert(c, _rd(uc, _dm(w)), F64, F16)
    sd = _sd(w)
    old = _rs(uc, sd)
    if w & 0x80:
        _ws(uc, sd, (old & 0x0000FFFF) | (h << 16))
    else:
        _ws(uc, sd, (old & 0xFFFF0000) | h)


def _h_vcvt_f64_int(uc, c, w, _flags):
    # op (bit 7) = 1: signed.  FPSCR rounding (always exact for F64).
    _wd(uc, _dd(w), fixed_to_fp(c, _rs(uc, _sm(w)), 32, 0, not (w & 0x80), None))


def _h_vcvt_int_f64(uc, c, w, _flags):
    # opc2<0> (bit 16) = 1: signed; op (bit 7) = 1: round towards zero, else FPSCR (VCVTR)
    mode = RZ if w & 0x80 else c.rmode
    _ws(uc, _sd(w), fp_to_fixed(c, _rd(uc, _dm(w)), 32, 0, not (w >> 16) & 1, mode))


def _h_vcvt_fixed(uc, c, w, _flags):
    to_fixed = bool((w >> 18) & 1)
    unsigned = bool((w >> 16) & 1)
    size = 32 if w & 0x80 else 16
    fbits = size - ((((w & 0xF) << 1) | ((w >> 5) & 1)))
    d = _dd(w)
    if to_fixed:
        r = fp_to_fixed(c, _rd(uc, d), size, fbits, unsigned, RZ)
        if not unsigned and r & (1 << (size - 1)):
            r |= ((1 << 64) - 1) ^ ((1 << size) - 1)       # SignExtend(result, 64)
        _wd(uc, d, r)
    else:
        # FixedToFP(..., round_to_nearest=TRUE); exact for F64 anyway
        _wd(uc, d, fixed_to_fp(c, _rd(uc, d) & ((1 << size) - 1), size, fbits, unsigned, RN))


_RM_FIELD = (RA, RN, RP, RM)       # instruction RM field 00=A 01=N 10=P 11=M


def _h_vcvt_directed(uc, c, w, _flags):
    mode = _RM_FIELD[(w >> 16) & 3]
    _ws(uc, _sd(w), fp_to_fixed(c, _rd(uc, _dm(w)), 32, 0, not w & 0x80, mode))


def _h_vrint_directed(uc, c, w, _flags):
    _wd(uc, _dd(w), fp_round_int(c, _rd(uc, _dm(w)), _RM_FIELD[(w >> 16) & 3], False))


def _h_vrintr(uc, c, w, _flags):
    _wd(uc, _dd(w), fp_round_int(c, _rd(uc, _dm(w)), c.rmode, False))


def _h_vrintz(uc, c, w, _flags):
    _wd(uc, _dd(w), fp_round_int(c, _rd(uc, _dm(w)), RZ, False))


def _h_vrintx(uc, c, w, _flags):
    _wd(uc, _dd(w), fp_round_int(c, _rd(uc, _dm(w)), c.rmode, True))


def _h_vsel(uc, c, w, flags):
    cc = (w >> 20) & 3
    cond = (cc << 2) | ((((cc >> 1) ^ cc) & 1) << 1)   # cc:(cc<1> EOR cc<0>):'0'
    src = _dn(w) if _condition_holds(cond, flags) else _dm(w)
    _wd(uc, _dd(w), _rd(uc, src))


def _condition_holds(cond: int, nzcv: int) -> bool:
    """ConditionHolds() (ARMv7-M A7.3.1) on APSR.NZCV."""
    n, z, cf, v = (nzcv >> 3) & 1, (nzcv >> 2) & 1, (nzcv >> 1) & 1, nzcv & 1
    base = cond >> 1
    if base == 0:
        r = z == 1
    elif base == 1:
        r = cf == 1
    elif base == 2:
        r = n == 1
    elif base == 3:
        r = v == 1
    elif base == 4:
        r = cf == 1 and z == 0
    elif base == 5:
        r = n == v
    elif base == 6:
        r = n == v and z == 0
    else:
        return True
    if cond & 1 and cond != 0xF:
        r = not r
    return r


# ---------------------------------------------------------------------------
# Decode table.  Word = hw1 << 16 | hw2.  Field legend:
#   D=bit22 Vn=19:16 Vd=15:12 sz=bit8 N=bit7 op=bit6 M=bit5 Vm=3:0
# `regs` names which operand fields are D registers (UNDEFINED if >= D16 on
# FPv5-D16) -- 'd','n','m' for D:Vd, N:Vn, M:Vm.
# ---------------------------------------------------------------------------
class Encoding(NamedTuple):
    name: str
    mask: int
    value: int
    handler: Handler
    regs: str          # which fields are double registers
    ref: str           # ARM ARM reference


_M3 = 0xFFB00F50       # 3-register data-processing: opc1, op(bit6), bit4, coproc/sz fixed
_M2 = 0xFFBF0FD0       # 2-register: opc1=1x11, opc2, opc3 fixed
_M2E = 0xFFBF0F50      # 2-register with a free bit 7 (E / T / signed)

ENCODINGS: List[Encoding] = [
    # A6.4, opc1=0x00: A7.7 VMLA/VMLS (floating-point), T2 encoding, sz=1
    Encoding("VMLA.F64", _M3, 0xEE000B00, _op3(_vmla), "dnm", "A7.7 VMLA, VMLS"),
    Encoding("VMLS.F64", _M3, 0xEE000B40, _op3(_vmls), "dnm", "A7.7 VMLA, VMLS"),
    # opc1=0x01: A7.7 VNMLA, VNMLS, VNMUL (T1)
    Encoding("VNMLS.F64", _M3, 0xEE100B00, _op3(_vnmls), "dnm", "A7.7 VNMLA, VNMLS, VNMUL"),
    Encoding("VNMLA.F64", _M3, 0xEE100B40, _op3(_vnmla), "dnm", "A7.7 VNMLA, VNMLS, VNMUL"),
    # opc1=0x10: A7.7 VMUL (T2) / VNMUL (T2)
    Encoding("VMUL.F64", _M3, 0xEE200B00, _op3(_vmul), "dnm", "A7.7 VMUL"),
    Encoding("VNMUL.F64", _M3, 0xEE200B40, _op3(_vnmul), "dnm", "A7.7 VNMLA, VNMLS, VNMUL"),
    # opc1=0x11: A7.7 VADD / VSUB (floating-point, T2)
    Encoding("VADD.F64", _M3, 0xEE300B00, _op3(_vadd), "dnm", "A7.7 VADD"),
    Encoding("VSUB.F64", _M3, 0xEE300B40, _op3(_vsub), "dnm", "A7.7 VSUB"),
    # opc1=1x00: A7.7 VDIV
    Encoding("VDIV.F64", _M3, 0xEE800B00, _op3(_vdiv), "dnm", "A7.7 VDIV"),
    # opc1=1x01: A7.7 VFNMA, VFNMS
    Encoding("VFNMS.F64", _M3, 0xEE900B00, _op3(_vfnms), "dnm", "A7.7 VFNMA, VFNMS"),
    Encoding("VFNMA.F64", _M3, 0xEE900B40, _op3(_vfnma), "dnm", "A7.7 VFNMA, VFNMS"),
    # opc1=1x10: A7.7 VFMA, VFMS
    Encoding("VFMA.F64", _M3, 0xEEA00B00, _op3(_vfma), "dnm", "A7.7 VFMA, VFMS"),
    Encoding("VFMS.F64", _M3, 0xEEA00B40, _op3(_vfms), "dnm", "A7.7 VFMA, VFMS"),
    # opc1=1x11, opc3=x0: A7.7 VMOV (immediate), T2; bits 7:4 are (0)0(0)0 -- required
    # zero here, as objdump and Unicorn's own single-precision decoder do
    Encoding("VMOV.F64 #imm", 0xFFB00FF0, 0xEEB00B00, _h_vmov_imm, "d", "A7.7 VMOV (immediate)"),
    # opc1=1x11 opc2/opc3 table
    Encoding("VMOV.F64", _M2, 0xEEB00B40, _op2(lambda c, m: m), "dm", "A7.7 VMOV (register)"),
    Encoding("VABS.F64", _M2, 0xEEB00BC0, _op2(lambda c, m: m & ~F64.sign_bit), "dm", "A7.7 VABS"),
    Encoding("VNEG.F64", _M2, 0xEEB10B40, _op2(lambda c, m: _neg(m, F64)), "dm", "A7.7 VNEG"),
    Encoding("VSQRT.F64", _M2, 0xEEB10BC0, _op2(fp_sqrt), "dm", "A7.7 VSQRT"),
    Encoding("VCVTB/T.F64.F16", _M2E, 0xEEB20B40, _h_vcvtbt_f64_f16, "d", "A7.7 VCVTB, VCVTT"),
    Encoding("VCVTB/T.F16.F64", _M2E, 0xEEB30B40, _h_vcvtbt_f16_f64, "m", "A7.7 VCVTB, VCVTT"),
    Encoding("VCMP{E}.F64", _M2E, 0xEEB40B40, _h_vcmp, "dm", "A7.7 VCMP, VCMPE"),
    Encoding("VCMP{E}.F64 #0", _M2E, 0xEEB50B40, _h_vcmp, "d", "A7.7 VCMP, VCMPE"),
    Encoding("VRINTR.F64", _M2, 0xEEB60B40, _h_vrintr, "dm", "A7.7 VRINTR"),
    Encoding("VRINTZ.F64", _M2, 0xEEB60BC0, _h_vrintz, "dm", "A7.7 VRINTZ"),
    Encoding("VRINTX.F64", _M2, 0xEEB70B40, _h_vrintx, "dm", "A7.7 VRINTX"),
    Encoding("VCVT.F32.F64", _M2, 0xEEB70BC0, _h_vcvt_f32_f64, "m",
             "A7.7 VCVT (between double and single)"),
    Encoding("VCVT.F64.F32", _M2, 0xEEB70AC0, _h_vcvt_f64_f32, "d",
             "A7.7 VCVT (between double and single)"),
    Encoding("VCVT.F64.S32/U32", _M2E, 0xEEB80B40, _h_vcvt_f64_int, "d",
             "A7.7 VCVT, VCVTR (fp and integer)"),
    Encoding("VCVT.F64.fixed", 0xFFBE0F50, 0xEEBA0B40, _h_vcvt_fixed, "d",
             "A7.7 VCVT (fp and fixed-point)"),
    Encoding("VCVT{R}.S32/U32.F64", 0xFFBE0F50, 0xEEBC0B40, _h_vcvt_int_f64, "m",
             "A7.7 VCVT, VCVTR (fp and integer)"),
    Encoding("VCVT.fixed.F64", 0xFFBE0F50, 0xEEBE0B40, _h_vcvt_fixed, "d",
             "A7.7 VCVT (fp and fixed-point)"),
    # FPv5 unconditional space (1111 1110 ...), A6.4 "FP extension instructions"
    Encoding("VSEL<cc>.F64", 0xFF800F50, 0xFE000B00, _h_vsel, "dnm", "A7.7 VSEL"),
    Encoding("VMAXNM.F64", _M3, 0xFE800B00, _op3(_vmaxnm), "dnm", "A7.7 VMAXNM"),
    Encoding("VMINNM.F64", _M3, 0xFE800B40, _op3(_vminnm), "dnm", "A7.7 VMINNM"),
    Encoding("VRINT{A,N,P,M}.F64", 0xFFBC0FD0, 0xFEB80B40, _h_vrint_directed, "dm",
             "A7.7 VRINTA, VRINTN, VRINTP, VRINTM"),
    Encoding("VCVT{A,N,P,M}.S32/U32.F64", 0xFFBC0F50, 0xFEBC0B40, _h_vcvt_directed, "m",
             "A7.7 VCVTA, VCVTN, VCVTP, VCVTM"),
]

_REG_FIELD = {"d": _dd, "n": _dn, "m": _dm}


def decode(word: int) -> Optional[Encoding]:
    """Return the encoding handling ``word`` or None (UNDEFINED / not ours)."""
    for enc in ENCODINGS:
        if word & enc.mask == enc.value:
            # FPv5-D16 has only D0-D15: D16-D31 encodings are UNDEFINED.
            if any(_REG_FIELD[r](word) >= 16 for r in enc.regs):
                return None
            if enc.handler is _h_vcvt_fixed:
                size = 32 if word & 0x80 else 16
                if size - (((word & 0xF) << 1) | ((word >> 5) & 1)) < 0:
                    return None      # frac_bits < 0: UNPREDICTABLE, treat as UNDEFINED
            return enc
    return None


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------
class DoublePrecisionFpu:
    """Emulates the FPv5-D16 double-precision instructions Unicorn rejects.

    ``fpdscr`` is the FPDSCR value copied into FPSCR when a new FP context is
    created (ExecuteFPCheck); Unicorn keeps its own FPDSCR unreachable at the
    reset value 0, so keep this at 0 unless the core models FPDSCR writes.
    """

    fpdscr: int = 0

    def __init__(self) -> None:
        self._cache: Dict[int, Optional[Encoding]] = {}
        self.executed: int = 0
        self.counts: Dict[str, int] = {}

    # -- helpers ---------------------------------------------------------
    def _fp_check(self, uc) -> None:
        """ExecuteFPCheck(): create a new FP context like Unicorn's native FP
        instructions do (Unicorn's M7 runs in the Secure bank, so the test is
        CONTROL.SFPA): FPSCR <- FPDSCR, CONTROL.FPCA = CONTROL.SFPA = 1."""
        ctrl = uc.reg_read(UC_ARM_REG_CONTROL)
        if ctrl & CONTROL_SFPA:
            return
        uc.reg_write(UC_ARM_REG_FPSCR, self.fpdscr)
        want = ctrl | CONTROL_FPCA | CONTROL_SFPA
        uc.reg_write(UC_ARM_REG_CONTROL, want)
        if uc.reg_read(UC_ARM_REG_CONTROL) & CONTROL_FPCA == 0:
            # Unprivileged Thread mode: MSR CONTROL is ignored.  The hardware
            # sets FPCA regardless, so write it from (temporary) Handler mode.
            ipsr = uc.reg_read(UC_ARM_REG_IPSR)
            uc.reg_write(UC_ARM_REG_IPSR, 1)
            uc.reg_write(UC_ARM_REG_CONTROL, want)
            uc.reg_write(UC_ARM_REG_IPSR, ipsr)

    def try_execute(self, uc, pc: int) -> bool:
        raw = bytes(uc.mem_read(pc, 4))
        word = (raw[1] << 24) | (raw[0] << 16) | (raw[3] << 8) | raw[2]
        try:
            enc = self._cache[word]
        except KeyError:
            enc = self._cache[word] = decode(word)   # decode depends only on the word
        if enc is None:
            return False

        xpsr = uc.reg_read(UC_ARM_REG_XPSR)
        nzcv = xpsr >> 28
        itstate = ((xpsr >> 25) & 0x3) | (((xpsr >> 10) & 0x3F) << 2)
        if itstate & 0xF == 0 or _condition_holds(itstate >> 4, nzcv):
            self._fp_check(uc)
            fpscr = uc.reg_read(UC_ARM_REG_FPSCR)
            c = _Ctx(fpscr)
            new_nzcv = enc.handler(uc, c, word, nzcv)
            new = fpscr | c.exc
            if new_nzcv is not None:
                new = (new & ~FPSCR_NZCV_MASK) | (new_nzcv << 28)
            if new != fpscr:
                uc.reg_write(UC_ARM_REG_FPSCR, new)
            self.executed += 1
            self.counts[enc.name] = self.counts.get(enc.name, 0) + 1

        if itstate & 0xF:
            # ITAdvance() (ARMv7-M A7.3.3)
            if itstate & 0x7 == 0:
                itstate = 0
            else:
                itstate = (itstate & 0xE0) | ((itstate << 1) & 0x1F)
            epsr = (xpsr & (1 << 24)) | ((itstate & 3) << 25) | ((itstate >> 2) << 10)
            uc.reg_write(UC_ARM_REG_EPSR, epsr)
        uc.reg_write(UC_ARM_REG_PC, (pc + 4) | 1)
        return True
