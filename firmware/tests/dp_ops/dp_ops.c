/*
 * dp_ops - self-checking test of the Cortex-M7 FPv5 double-precision instruction classes.
 *
 * Every case is one inline-asm block: FPSCR <- fpscr_in (vmsr), operands moved from core
 * registers into d1/d2 (vmov Dm, Rt, Rt2), the instruction under test, the result moved back
 * (vmov Rt, Rt2, Dm or vmov Rt, Sn), FPSCR read back (vmrs). The C code never does FP math,
 * so nothing but the instruction under test touches the FP state. Expected values are exact
 * IEEE 754 binary64/binary32 bit patterns (round-to-nearest-even unless stated), derived by
 * hand and cross-checked with host IEEE doubles; the expected FPSCR is compared under mask
 * 0xF000009F (NZCV + IDC/IXC/UFC/OFC/DZC/IOC cumulative flags).
 *
 * Classes covered: vadd vsub vmul vnmul vdiv vsqrt vfma vfms vfnma vfnms vmla vmls vnmla
 * vnmls vabs vneg vcmp vcmpe (reg and #0.0) + vmrs APSR_nzcv, vcvt f64<->f32, f64<->s32/u32
 * (vcvt round-to-zero, vcvtr, vcvta/n/p/m), vcvt f64<->fixed s32/u16/s16 with fbits,
 * vrinta/n/p/m/x/z/r, vseleq/ge/gt/vs, vmaxnm/vminnm, vmov.f64 #imm, vmov.f64 Dd,Dm,
 * vmov Dm<->Rt,Rt2, vmov.32 Dd[x]<->Rt, vldr/vstr/vldmia/vstmia .64, vmsr/vmrs fpscr,
 * FZ (flush-to-zero), DN (default NaN), NaN propagation, overflow/underflow/div-by-zero.
 *
 * Expected observable behaviour (simulator):
 *   Semihosting stdout: a header line "dp_ops: MVFR0=... MVFR1=... MVFR2=..." (Cortex-M7 with
 *   the double-precision FPU: 0x10110221 / 0x12000011 / 0x00000040), then one line per case:
 *     "<name>: got=0x<16 hex> exp=0x<16 hex> fpscr=0x<8 hex> exp=0x<8 hex> OK"   (or FAIL)
 *   and finally "dp_ops: <P>/<N> passed" and "dp_ops: PASS" (or "dp_ops: FAIL").
 *   Exit: status 0 if every case matches, 1 otherwise.
 */
#include <stdio.h>
#include <stdint.h>
#include "stm32h743_regs.h"

typedef struct {
    uint64_t v;
    uint32_t fpscr;
} res_t;

/* FPSCR values */
#define RN   0x00000000UL          /* round to nearest */
#define RP   0x00400000UL          /* round towards +inf */
#define RM   0x00800000UL          /* round towards -inf */
#define RZ   0x00C00000UL          /* round towards zero */
#define FZ   0x01000000UL          /* flush-to-zero */
#define DN   0x02000000UL          /* default NaN */
#define IOC  0x01UL
#define DZC  0x02UL
#define OFC  0x04UL
#define UFC  0x08UL
#define IXC  0x10UL
#define IDC  0x80UL
#define FPSCR_CHECK_MASK 0xF000009FUL

/* binary64 constants */
#define D_0         0x0000000000000000ULL
#define D_M0        0x8000000000000000ULL
#define D_0_5       0x3FE0000000000000ULL
#define D_1         0x3FF0000000000000ULL
#define D_M1        0xBFF0000000000000ULL
#define D_1_5       0x3FF8000000000000ULL
#define D_M1_5      0xBFF8000000000000ULL
#define D_2         0x4000000000000000ULL
#define D_M2        0xC000000000000000ULL
#define D_2_25      0x4002000000000000ULL
#define D_2_5       0x4004000000000000ULL
#define D_M2_5      0xC004000000000000ULL
#define D_3         0x4008000000000000ULL
#define D_M3        0xC008000000000000ULL
#define D_3_5       0x400C000000000000ULL
#define D_M3_5      0xC00C000000000000ULL
#define D_3_75      0x400E000000000000ULL
#define D_4         0x4010000000000000ULL
#define D_M4        0xC010000000000000ULL
#define D_5         0x4014000000000000ULL
#define D_M6        0xC018000000000000ULL
#define D_7         0x401C000000000000ULL
#define D_M7        0xC01C000000000000ULL
#define D_10        0x4024000000000000ULL
#define D_31        0x403F000000000000ULL
#define D_M0_125    0xBFC0000000000000ULL
#define D_2_1       0x4000CCCCCCCCCCCDULL
#define D_M2_1      0xC000CCCCCCCCCCCDULL
#define D_2_9       0x4007333333333333ULL
#define D_M2_9      0xC007333333333333ULL
#define D_M2_7      0xC00599999999999AULL
#define D_M0_4      0xBFD999999999999AULL
#define D_THIRD     0x3FD5555555555555ULL   /* RN(1/3) */
#define D_SQRT2     0x3FF6A09E667F3BCDULL   /* RN(sqrt 2) */
#define D_3E9       0x41E65A0BC0000000ULL
#define D_U32MAX    0x41EFFFFFFFE00000ULL   /* 4294967295.0 */
#define D_1P30      0x3FF0000000400000ULL   /* 1 + 2^-30 */
#define D_1P29      0x3FF0000000800000ULL   /* 1 + 2^-29 */
#define D_M1P29     0xBFF0000000800000ULL   /* -(1 + 2^-29) */
#define D_2EM60     0x3C30000000000000ULL   /* 2^-60 */
#define D_M2EM60    0xBC30000000000000ULL   /* -2^-60 */
#define D_MIN_NORM  0x0010000000000000ULL   /* 2^-1022 */
#define D_DENORM    0x0008000000000000ULL   /* 2^-1023 (subnormal) */
#define D_1E308     0x7FE1CCF385EBC8A0ULL
#define D_INF       0x7FF0000000000000ULL
#define D_DEFNAN    0x7FF8000000000000ULL   /* Arm default NaN */
#define D_QNAN_P    0x7FF8000000000123ULL   /* quiet NaN with payload */
#define D_SNAN_P    0x7FF0000000000123ULL   /* signalling NaN with payload */
#define D_PATTERN   0x0123456789ABCDEFULL
/* binary32 constants */
#define F_THIRD     0x3EAAAAABUL            /* RN((float)(1/3)) */
#define F_0_1       0x3DCCCCCDUL            /* 0.1f */
#define D_0_1F      0x3FB99999A0000000ULL   /* (double)0.1f, exact */

/* d0 = insn(d1, d2) */
#define OP_D_DD(insn, fin, a, b) ({                                              \
    uint64_t v_; uint32_t f_;                                                    \
    __asm volatile("vmsr fpscr, %[ofi]\n\t"                                       \
                   "vmov d1, %Q[oa], %R[oa]\n\t"                                   \
                   "vmov d2, %Q[ob], %R[ob]\n\t"                                   \
                   insn " d0, d1, d2\n\t"                                        \
                   "vmov %Q[ov], %R[ov], d0\n\t"                                   \
                   "vmrs %[of], fpscr"                                            \
                   : [ov] "=&r"(v_), [of] "=&r"(f_)                                \
                   : [oa] "r"((uint64_t)(a)), [ob] "r"((uint64_t)(b)),             \
                     [ofi] "r"((uint32_t)(fin))                                   \
                   : "d0", "d1", "d2");                                          \
    (res_t){ v_, f_ }; })

/* d0 = acc; insn d0, d1, d2 (accumulating forms) */
#define OP_D_ACC(insn, fin, acc, a, b) ({                                        \
    uint64_t v_; uint32_t f_;                                                    \
    __asm volatile("vmsr fpscr, %[ofi]\n\t"                                       \
                   "vmov d0, %Q[oc], %R[oc]\n\t"                                   \
                   "vmov d1, %Q[oa], %R[oa]\n\t"                                   \
                   "vmov d2, %Q[ob], %R[ob]\n\t"                                   \
                   insn " d0, d1, d2\n\t"                                        \
                   "vmov %Q[ov], %R[ov], d0\n\t"                                   \
                   "vmrs %[of], fpscr"                                            \
                   : [ov] "=&r"(v_), [of] "=&r"(f_)                                \
                   : [oc] "r"((uint64_t)(acc)), [oa] "r"((uint64_t)(a)),           \
                     [ob] "r"((uint64_t)(b)), [ofi] "r"((uint32_t)(fin))           \
                   : "d0", "d1", "d2");                                          \
    (res_t){ v_, f_ }; })

/* d0 = insn(d1) */
#define OP_D_D(insn, fin, a) ({                                                  \
    uint64_t v_; uint32_t f_;                                                    \
    __asm volatile("vmsr fpscr, %[ofi]\n\t"                                       \
                   "vmov d1, %Q[oa], %R[oa]\n\t"                                   \
                   insn " d0, d1\n\t"                                            \
                   "vmov %Q[ov], %R[ov], d0\n\t"                                   \
                   "vmrs %[of], fpscr"                                            \
                   : [ov] "=&r"(v_), [of] "=&r"(f_)                                \
                   : [oa] "r"((uint64_t)(a)), [ofi] "r"((uint32_t)(fin))           \
                   : "d0", "d1");                                                \
    (res_t){ v_, f_ }; })

/* s0 = insn(d1): conversions to f32/s32/u32 */
#define OP_S_D(insn, fin, a) ({                                                  \
    uint32_t v_; uint32_t f_;                                                    \
    __asm volatile("vmsr fpscr, %[ofi]\n\t"                                       \
                   "vmov d1, %Q[oa], %R[oa]\n\t"                                   \
                   insn " s0, d1\n\t"                                            \
                   "vmov %[ov], s0\n\t"                                           \
                   "vmrs %[of], fpscr"                                            \
                   : [ov] "=&r"(v_), [of] "=&r"(f_)                                \
                   : [oa] "r"((uint64_t)(a)), [ofi] "r"((uint32_t)(fin))           \
                   : "d0", "d1");                                                \
    (res_t){ v_, f_ }; })

/* d0 = insn(s4): conversions from f32/s32/u32 */
#define OP_D_S(insn, fin, a) ({                                                  \
    uint64_t v_; uint32_t f_;                                                    \
    __asm volatile("vmsr fpscr, %[ofi]\n\t"                                       \
                   "vmov s4, %[oa]\n\t"                                           \
                   insn " d0, s4\n\t"                                            \
                   "vmov %Q[ov], %R[ov], d0\n\t"                                   \
                   "vmrs %[of], fpscr"                                            \
                   : [ov] "=&r"(v_), [of] "=&r"(f_)                                \
                   : [oa] "r"((uint32_t)(a)), [ofi] "r"((uint32_t)(fin))           \
                   : "d0", "d2");                                                \
    (res_t){ v_, f_ }; })

/* d0 = a; insn d0, d0, #fbits (fixed-point conversions) */
#define OP_FIX(insn, fin, a) ({                                                  \
    uint64_t v_; uint32_t f_;                                                    \
    __asm volatile("vmsr fpscr, %[ofi]\n\t"                                       \
                   "vmov d0, %Q[oa], %R[oa]\n\t"                                   \
                   insn "\n\t"                                                   \
                   "vmov %Q[ov], %R[ov], d0\n\t"                                   \
                   "vmrs %[of], fpscr"                                            \
                   : [ov] "=&r"(v_), [of] "=&r"(f_)                                \
                   : [oa] "r"((uint64_t)(a)), [ofi] "r"((uint32_t)(fin))           \
                   : "d0");                                                      \
    (res_t){ v_, f_ }; })

/* insn d1, d2 (or d1, #0.0 via rhs string); APSR.NZCV <- FPSCR.NZCV; v = APSR[31:28] */
#define OP_CMP(insn_operands, fin, a, b) ({                                      \
    uint32_t v_; uint32_t f_;                                                    \
    __asm volatile("vmsr fpscr, %[ofi]\n\t"                                       \
                   "vmov d1, %Q[oa], %R[oa]\n\t"                                   \
                   "vmov d2, %Q[ob], %R[ob]\n\t"                                   \
                   insn_operands "\n\t"                                          \
                   "vmrs APSR_nzcv, fpscr\n\t"                                   \
                   "mrs %[ov], apsr\n\t"                                          \
                   "vmrs %[of], fpscr"                                            \
                   : [ov] "=&r"(v_), [of] "=&r"(f_)                                \
                   : [oa] "r"((uint64_t)(a)), [ob] "r"((uint64_t)(b)),             \
                     [ofi] "r"((uint32_t)(fin))                                   \
                   : "d1", "d2", "cc");                                          \
    (res_t){ v_ & 0xF0000000UL, f_ }; })

/* cmp x, y (integer flags); vsel<cc>.f64 d0, d1, d2 */
#define OP_SEL(insn, x, y, a, b) ({                                              \
    uint64_t v_; uint32_t f_;                                                    \
    __asm volatile("vmsr fpscr, %[ofi]\n\t"                                       \
                   "vmov d1, %Q[oa], %R[oa]\n\t"                                   \
                   "vmov d2, %Q[ob], %R[ob]\n\t"                                   \
                   "cmp %[ox], %[oy]\n\t"                                          \
                   insn " d0, d1, d2\n\t"                                        \
                   "vmov %Q[ov], %R[ov], d0\n\t"                                   \
                   "vmrs %[of], fpscr"                                            \
                   : [ov] "=&r"(v_), [of] "=&r"(f_)                                \
                   : [oa] "r"((uint64_t)(a)), [ob] "r"((uint64_t)(b)),             \
                     [ox] "r"((uint32_t)(x)), [oy] "r"((uint32_t)(y)),             \
                     [ofi] "r"(0UL)                                               \
                   : "d0", "d1", "d2", "cc");                                    \
    (res_t){ v_, f_ }; })

/* vmov.f64 d0, #imm */
#define OP_IMM(imm) ({                                                           \
    uint64_t v_; uint32_t f_;                                                    \
    __asm volatile("vmsr fpscr, %[ofi]\n\t"                                       \
                   "vmov.f64 d0, #" imm "\n\t"                                   \
                   "vmov %Q[ov], %R[ov], d0\n\t"                                   \
                   "vmrs %[of], fpscr"                                            \
                   : [ov] "=&r"(v_), [of] "=&r"(f_)                                \
                   : [ofi] "r"(0UL)                                               \
                   : "d0");                                                      \
    (res_t){ v_, f_ }; })

static unsigned n_cases, n_pass;

static void check(const char *name, res_t r, uint64_t exp, uint32_t fexp)
{
    const int ok = (r.v == exp) && ((r.fpscr & FPSCR_CHECK_MASK) == (fexp & FPSCR_CHECK_MASK));
    n_cases++;
    n_pass += ok ? 1U : 0U;
    printf("%s: got=0x%016llx exp=0x%016llx fpscr=0x%08lx exp=0x%08lx %s\n", name,
           (unsigned long long)r.v, (unsigned long long)exp,
           (unsigned long)(r.fpscr & FPSCR_CHECK_MASK), (unsigned long)(fexp & FPSCR_CHECK_MASK),
           ok ? "OK" : "FAIL");
}

static void test_arith(void)
{
    check("vadd.f64 1.5+2.25", OP_D_DD("vadd.f64", RN, D_1_5, D_2_25), D_3_75, 0);
    check("vsub.f64 1-3.5", OP_D_DD("vsub.f64", RN, D_1, D_3_5), D_M2_5, 0);
    check("vmul.f64 1.5*-4", OP_D_DD("vmul.f64", RN, D_1_5, D_M4), D_M6, 0);
    check("vnmul.f64 -(1.5*2)", OP_D_DD("vnmul.f64", RN, D_1_5, D_2), D_M3, 0);
    check("vdiv.f64 1/3", OP_D_DD("vdiv.f64", RN, D_1, D_3), D_THIRD, IXC);
    check("vdiv.f64 1/0", OP_D_DD("vdiv.f64", RN, D_1, D_0), D_INF, DZC);
    check("vsqrt.f64 2", OP_D_D("vsqrt.f64", RN, D_2), D_SQRT2, IXC);
    check("vsqrt.f64 -1", OP_D_D("vsqrt.f64", RN, D_M1), D_DEFNAN, IOC);
    check("vmul.f64 overflow", OP_D_DD("vmul.f64", RN, D_1E308, D_10), D_INF, OFC | IXC);
    check("vmul.f64 subnormal", OP_D_DD("vmul.f64", RN, D_MIN_NORM, D_0_5), D_DENORM, 0);
    check("vmul.f64 FZ flush", OP_D_DD("vmul.f64", RN | FZ, D_MIN_NORM, D_0_5), D_0, UFC);
    check("vadd.f64 qNaN payload", OP_D_DD("vadd.f64", RN, D_QNAN_P, D_1), D_QNAN_P, 0);
    check("vadd.f64 sNaN quieted", OP_D_DD("vadd.f64", RN, D_SNAN_P, D_1), D_QNAN_P, IOC);
    check("vadd.f64 DN qNaN", OP_D_DD("vadd.f64", RN | DN, D_QNAN_P, D_1), D_DEFNAN, 0);
    check("vabs.f64 -2.5", OP_D_D("vabs.f64", RN, D_M2_5), D_2_5, 0);
    check("vneg.f64 2.5", OP_D_D("vneg.f64", RN, D_2_5), D_M2_5, 0);
    check("vneg.f64 +0", OP_D_D("vneg.f64", RN, D_0), D_M0, 0);
}

static void test_mac(void)
{
    /* fused: (1+2^-30)^2 = 1 + 2^-29 + 2^-60 exactly, single rounding */
    check("vfma.f64 1+2*3", OP_D_ACC("vfma.f64", RN, D_1, D_2, D_3), D_7, 0);
    check("vfma.f64 fused", OP_D_ACC("vfma.f64", RN, D_M1P29, D_1P30, D_1P30), D_2EM60, 0);
    check("vfms.f64 10-2*3", OP_D_ACC("vfms.f64", RN, D_10, D_2, D_3), D_4, 0);
    check("vfms.f64 fused", OP_D_ACC("vfms.f64", RN, D_1P29, D_1P30, D_1P30), D_M2EM60, 0);
    check("vfnma.f64 -1-2*3", OP_D_ACC("vfnma.f64", RN, D_1, D_2, D_3), D_M7, 0);
    check("vfnms.f64 -1+2*3", OP_D_ACC("vfnms.f64", RN, D_1, D_2, D_3), D_5, 0);
    /* chained (unfused): product rounded to 1 + 2^-29 first (inexact), then added */
    check("vmla.f64 unfused", OP_D_ACC("vmla.f64", RN, D_M1P29, D_1P30, D_1P30), D_0, IXC);
    check("vmls.f64 unfused", OP_D_ACC("vmls.f64", RN, D_1P29, D_1P30, D_1P30), D_0, IXC);
    check("vmla.f64 1+2*3", OP_D_ACC("vmla.f64", RN, D_1, D_2, D_3), D_7, 0);
    check("vmls.f64 10-2*3", OP_D_ACC("vmls.f64", RN, D_10, D_2, D_3), D_4, 0);
    check("vnmla.f64 -1-2*3", OP_D_ACC("vnmla.f64", RN, D_1, D_2, D_3), D_M7, 0);
    check("vnmls.f64 -1+2*3", OP_D_ACC("vnmls.f64", RN, D_1, D_2, D_3), D_5, 0);
}

static void test_cmp(void)
{
    check("vcmp.f64 1<2", OP_CMP("vcmp.f64 d1, d2", RN, D_1, D_2), 0x80000000ULL, 0x80000000UL);
    check("vcmp.f64 2==2", OP_CMP("vcmp.f64 d1, d2", RN, D_2, D_2), 0x60000000ULL, 0x60000000UL);
    check("vcmp.f64 3>2", OP_CMP("vcmp.f64 d1, d2", RN, D_3, D_2), 0x20000000ULL, 0x20000000UL);
    check("vcmp.f64 qNaN", OP_CMP("vcmp.f64 d1, d2", RN, D_QNAN_P, D_1), 0x30000000ULL, 0x30000000UL);
    check("vcmpe.f64 qNaN", OP_CMP("vcmpe.f64 d1, d2", RN, D_QNAN_P, D_1), 0x30000000ULL, 0x30000000UL | IOC);
    check("vcmp.f64 sNaN", OP_CMP("vcmp.f64 d1, d2", RN, D_SNAN_P, D_1), 0x30000000ULL, 0x30000000UL | IOC);
    check("vcmp.f64 -0==#0", OP_CMP("vcmp.f64 d1, #0.0", RN, D_M0, D_0), 0x60000000ULL, 0x60000000UL);
    check("vcmpe.f64 -1<#0", OP_CMP("vcmpe.f64 d1, #0.0", RN, D_M1, D_0), 0x80000000ULL, 0x80000000UL);
}

static void test_cvt(void)
{
    check("vcvt.f32.f64 1/3", OP_S_D("vcvt.f32.f64", RN, D_THIRD), F_THIRD, IXC);
    check("vcvt.f64.f32 0.1f", OP_D_S("vcvt.f64.f32", RN, F_0_1), D_0_1F, 0);
    check("vcvt.s32.f64 -2.7", OP_S_D("vcvt.s32.f64", RN, D_M2_7), 0xFFFFFFFEULL, IXC);
    check("vcvtr.s32.f64 -3.5", OP_S_D("vcvtr.s32.f64", RN, D_M3_5), 0xFFFFFFFCULL, IXC);
    check("vcvtr.s32.f64 RM 2.9", OP_S_D("vcvtr.s32.f64", RM, D_2_9), 0x00000002ULL, IXC);
    check("vcvt.u32.f64 3e9", OP_S_D("vcvt.u32.f64", RN, D_3E9), 0xB2D05E00ULL, 0);
    check("vcvt.u32.f64 -1 sat", OP_S_D("vcvt.u32.f64", RN, D_M1), 0x00000000ULL, IOC);
    check("vcvt.s32.f64 3e9 sat", OP_S_D("vcvt.s32.f64", RN, D_3E9), 0x7FFFFFFFULL, IOC);
    check("vcvt.f64.s32 -7", OP_D_S("vcvt.f64.s32", RN, 0xFFFFFFF9UL), D_M7, 0);
    check("vcvt.f64.u32 0xffffffff", OP_D_S("vcvt.f64.u32", RN, 0xFFFFFFFFUL), D_U32MAX, 0);
    check("vcvta.s32.f64 -2.5", OP_S_D("vcvta.s32.f64", RN, D_M2_5), 0xFFFFFFFDULL, IXC);
    check("vcvtn.s32.f64 2.5", OP_S_D("vcvtn.s32.f64", RN, D_2_5), 0x00000002ULL, IXC);
    check("vcvtp.s32.f64 2.1", OP_S_D("vcvtp.s32.f64", RN, D_2_1), 0x00000003ULL, IXC);
    check("vcvtm.s32.f64 -2.1", OP_S_D("vcvtm.s32.f64", RN, D_M2_1), 0xFFFFFFFDULL, IXC);
    check("vcvtm.u32.f64 2.9", OP_S_D("vcvtm.u32.f64", RN, D_2_9), 0x00000002ULL, IXC);
    /* fixed point: result sign/zero-extended to 64 bits in Dd (ARMv7-M ARM, VCVT fixed) */
    check("vcvt.s32.f64 #16 -1.5", OP_FIX("vcvt.s32.f64 d0, d0, #16", RN, D_M1_5), 0xFFFFFFFFFFFE8000ULL, 0);
    check("vcvt.u16.f64 #8 2.5", OP_FIX("vcvt.u16.f64 d0, d0, #8", RN, D_2_5), 0x0000000000000280ULL, 0);
    check("vcvt.s16.f64 #8 -2.5", OP_FIX("vcvt.s16.f64 d0, d0, #8", RN, D_M2_5), 0xFFFFFFFFFFFFFD80ULL, 0);
    check("vcvt.f64.s32 #16", OP_FIX("vcvt.f64.s32 d0, d0, #16", RN, 0x12345678FFFE8000ULL), D_M1_5, 0);
    check("vcvt.f64.u16 #8", OP_FIX("vcvt.f64.u16 d0, d0, #8", RN, 0xABCDEF0123450280ULL), D_2_5, 0);
}

static void test_rint(void)
{
    check("vrinta.f64 2.5", OP_D_D("vrinta.f64", RN, D_2_5), D_3, 0);
    check("vrinta.f64 -2.5", OP_D_D("vrinta.f64", RN, D_M2_5), D_M3, 0);
    check("vrintn.f64 2.5", OP_D_D("vrintn.f64", RN, D_2_5), D_2, 0);
    check("vrintn.f64 3.5", OP_D_D("vrintn.f64", RN, D_3_5), D_4, 0);
    check("vrintp.f64 2.1", OP_D_D("vrintp.f64", RN, D_2_1), D_3, 0);
    check("vrintp.f64 -2.1", OP_D_D("vrintp.f64", RN, D_M2_1), D_M2, 0);
    check("vrintm.f64 2.9", OP_D_D("vrintm.f64", RN, D_2_9), D_2, 0);
    check("vrintm.f64 -2.1", OP_D_D("vrintm.f64", RN, D_M2_1), D_M3, 0);
    check("vrintz.f64 -2.9", OP_D_D("vrintz.f64", RN, D_M2_9), D_M2, 0);
    check("vrintz.f64 -0.4", OP_D_D("vrintz.f64", RN, D_M0_4), D_M0, 0);
    check("vrintx.f64 2.5", OP_D_D("vrintx.f64", RN, D_2_5), D_2, IXC);
    check("vrintx.f64 3.0", OP_D_D("vrintx.f64", RN, D_3), D_3, 0);
    check("vrintr.f64 RP 2.1", OP_D_D("vrintr.f64", RP, D_2_1), D_3, 0);
    check("vrintr.f64 RZ -2.9", OP_D_D("vrintr.f64", RZ, D_M2_9), D_M2, 0);
}

static void test_sel_minmax(void)
{
    check("vselgt.f64 5>3", OP_SEL("vselgt.f64", 5, 3, D_1, D_2), D_1, 0);
    check("vseleq.f64 5!=3", OP_SEL("vseleq.f64", 5, 3, D_1, D_2), D_2, 0);
    check("vseleq.f64 3==3", OP_SEL("vseleq.f64", 3, 3, D_1, D_2), D_1, 0);
    check("vselge.f64 3<5", OP_SEL("vselge.f64", 3, 5, D_1, D_2), D_2, 0);
    check("vselvs.f64 V=1", OP_SEL("vselvs.f64", 0x7FFFFFFFUL, 0xFFFFFFFFUL, D_1, D_2), D_1, 0);
    check("vmaxnm.f64 2,3", OP_D_DD("vmaxnm.f64", RN, D_2, D_3), D_3, 0);
    check("vminnm.f64 2,3", OP_D_DD("vminnm.f64", RN, D_2, D_3), D_2, 0);
    check("vmaxnm.f64 1,qNaN", OP_D_DD("vmaxnm.f64", RN, D_1, D_QNAN_P), D_1, 0);
    check("vminnm.f64 qNaN,1", OP_D_DD("vminnm.f64", RN, D_QNAN_P, D_1), D_1, 0);
    check("vminnm.f64 -0,+0", OP_D_DD("vminnm.f64", RN, D_M0, D_0), D_M0, 0);
    check("vmaxnm.f64 -0,+0", OP_D_DD("vmaxnm.f64", RN, D_M0, D_0), D_0, 0);
}

static void test_mov(void)
{
    check("vmov.f64 #1.5", OP_IMM("1.5"), D_1_5, 0);
    check("vmov.f64 #-0.125", OP_IMM("-0.125"), D_M0_125, 0);
    check("vmov.f64 #31.0", OP_IMM("31.0"), D_31, 0);
    check("vmov.f64 d0, d1", OP_D_D("vmov.f64", RN, D_PATTERN), D_PATTERN, 0);

    /* vmov.32 Dd[1], Rt and vmov.32 Rt, Dd[0] */
    uint32_t lo;
    uint64_t v;
    __asm volatile("vmov d0, %[l], %[h]\n\t"
                   "vmov.32 d0[1], %[n]\n\t"
                   "vmov.32 %[lo], d0[0]\n\t"
                   "vmov %Q[v], %R[v], d0"
                   : [v] "=&r"(v), [lo] "=&r"(lo)
                   : [l] "r"(0x11111111UL), [h] "r"(0x22222222UL), [n] "r"(0x33333333UL)
                   : "d0");
    check("vmov.32 d0[1], r", (res_t){ v, 0 }, 0x3333333311111111ULL, 0);
    check("vmov.32 r, d0[0]", (res_t){ lo, 0 }, 0x11111111ULL, 0);

    /* loads/stores: vldr/vstr .64 and vldmia/vstmia of D registers */
    static const uint64_t src[4] = { D_PATTERN, D_SQRT2, D_M0, D_SNAN_P };
    static uint64_t dst[4];
    __asm volatile("vldr d0, [%[s]]\n\t"
                   "vstr d0, [%[d]]\n\t"
                   "vldmia %[s1], {d1-d3}\n\t"
                   "vstmia %[d1], {d1-d3}"
                   :
                   : [s] "r"(src), [d] "r"(dst), [s1] "r"(&src[1]), [d1] "r"(&dst[1])
                   : "d0", "d1", "d2", "d3", "memory");
    check("vldr/vstr.64", (res_t){ dst[0], 0 }, D_PATTERN, 0);
    check("vldmia/vstmia d1", (res_t){ dst[1], 0 }, D_SQRT2, 0);
    check("vldmia/vstmia d2", (res_t){ dst[2], 0 }, D_M0, 0);
    check("vldmia/vstmia d3 sNaN", (res_t){ dst[3], 0 }, D_SNAN_P, 0);
}

int main(void)
{
    printf("dp_ops: MVFR0=0x%08lx MVFR1=0x%08lx MVFR2=0x%08lx\n",
           (unsigned long)SCB->MVFR0, (unsigned long)SCB->MVFR1, (unsigned long)SCB->MVFR2);
    test_arith();
    test_mac();
    test_cmp();
    test_cvt();
    test_rint();
    test_sel_minmax();
    test_mov();
    __set_FPSCR(0);
    printf("dp_ops: %u/%u passed\n", n_pass, n_cases);
    printf("dp_ops: %s\n", n_pass == n_cases ? "PASS" : "FAIL");
    return n_pass == n_cases ? 0 : 1;
}
