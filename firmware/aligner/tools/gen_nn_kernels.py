"""Regenerates the hand-scheduled SMLAD kernels in firmware/aligner/nnet.c (nn_layer4_cin40,
nn_layer4_cin128 and their requantising variants): 4 output frames per weight load, fully
unrolled, 10 cycles per 16 multiply-accumulates on the Cortex-M7 timing model.

    python firmware/aligner/tools/gen_nn_kernels.py      # rewrites the kernels in nnet.c

Bit-exactness against the contract is checked by tests/test_aligner_c.py and
tests/test_audio_firmware.py (firmware results equal the host build).
"""
p = str(__import__('pathlib').Path(__file__).resolve().parent.parent / 'nnet.c')
s=open(p).read()
def group(i, last=False):
    W, U = ("r8", "r9") if i % 2 == 0 else ("r9", "r8")
    return ["sxtb16 %s, %s" % (U, W), "ldr    r10, [r1], #8",
            "sxtb16 %s, %s, ror #8" % (W, W), "ldr    r11, [r2], #8",
            "smlad  r4, %s, r10, r4" % U, "ldr    r10, [r3], #8",
            "smlad  r5, %s, r11, r5" % U, "ldr    r11, [r12], #8",
            "smlad  r6, %s, r10, r6" % U, "ldr    r10, [r1, #-4]",
            "smlad  r7, %s, r11, r7" % U, "ldr    r11, [r2, #-4]",
            "smlad  r4, %s, r10, r4" % W, "ldr    r10, [r3, #-4]",
            "smlad  r5, %s, r11, r5" % W, "ldr    r11, [r12, #-4]",
            "smlad  r6, %s, r10, r6" % W] + (["ldr    %s, [lr]" % U] if last else ["ldr    %s, [r0], #4" % U]) + [
            "smlad  r7, %s, r11, r7" % W]
def fn(name, n4, requant):
    L = ["push   {r4-r11, lr}", "sub    sp, sp, #4", "str    r0, [sp]",
         "ldr    r0, [r0]", "3:",
         "ldr    lr, [sp]", "ldr    r9, [lr, #8]", "ldr    r4, [r9], #4", "str    r9, [lr, #8]",
         "mov    r5, r4", "mov    r6, r4", "mov    r7, r4", "ldr    lr, [lr, #4]", "4:",
         "ldr    r8, [r0], #4", "ldm    lr!, {r1, r2, r3, r12}"]
    assert n4 % 2 == 0
    for i in range(n4):
        L += group(i, i == n4 - 1)
    L += ["cmp    r8, #0", "bne    4b", "ldr    lr, [sp]"]
    if not requant:
        L += ["ldr    r9, [lr, #12]", "stm    r9!, {r4-r7}", "str    r9, [lr, #12]"]
    else:
        L += ["ldr    r1, [lr, #20]", "ldr    r2, [lr, #24]",
              "ldr    r9, [r1], #4", "ldrsb  r10, [r2], #1",
              "str    r1, [lr, #20]", "str    r2, [lr, #24]",
              "sub    r11, r10, #32", "sub    r10, r10, #33", "mov    r12, #1", "lsl    r12, r12, r10",
              "smull  r1, r2, r4, r9", "smull  r1, r3, r5, r9",
              "smull  r1, r4, r6, r9", "smull  r1, r5, r7, r9",
              "add    r2, r2, r12", "add    r3, r3, r12", "add    r4, r4, r12", "add    r5, r5, r12",
              "asr    r2, r2, r11", "asr    r3, r3, r11", "asr    r4, r4, r11", "asr    r5, r5, r11",
              "ldr    r8, [lr, #32]", "ldr    r1, [lr, #28]", "cmp    r8, #0",
              "itttt  ne", "usatne r2, #7, r2", "usatne r3, #7, r3", "usatne r4, #7, r4", "usatne r5, #7, r5",
              "itttt  eq", "ssateq r2, #8, r2", "ssateq r3, #8, r3", "ssateq r4, #8, r4", "ssateq r5, #8, r5",
              "strb   r2, [r1]",
              "strb   r3, [r1, #\" AL_NN_STR(AL_NN_MAX_CH) \"]",
              "strb   r4, [r1, #(2 * \" AL_NN_STR(AL_NN_MAX_CH) \")]",
              "strb   r5, [r1, #(3 * \" AL_NN_STR(AL_NN_MAX_CH) \")]",
              "add    r1, r1, #1", "str    r1, [lr, #28]"]
    L += ["ldr    r9, [lr, #16]", "subs   r9, r9, #1", "str    r9, [lr, #16]", "bne    3b",
          "add    sp, sp, #4", "pop    {r4-r11, pc}"]
    out = ['__attribute__((naked, noinline, noipa))',
           'static void %s(nn_job_t *job __attribute__((unused)))' % name, '{', '    __asm__ volatile (']
    for l in L:
        out.append('        "%s\\n"' % l if l.endswith(':') else '        "%s\\n\\t"' % l)
    out += ['    );', '}']
    return '\n'.join(out) + '\n'
def fnq(name, n4):
    C = 'AL_NN_STR(AL_NN_MAX_CH)'
    L = ["push   {r4-r11, lr}", "sub    sp, sp, #28",
         "ldr    r1, [r0, #4]", "str    r1, [sp]",
         "ldr    r1, [r0, #20]", "str    r1, [sp, #4]",
         "ldr    r1, [r0, #24]", "str    r1, [sp, #8]",
         "ldr    r1, [r0, #28]", "str    r1, [sp, #12]",
         "ldr    r1, [r0, #32]", "str    r1, [sp, #16]",
         "ldr    r1, [r0, #16]", "str    r1, [sp, #20]",
         "ldr    r1, [r0, #8]", "str    r1, [sp, #24]",
         "ldr    r0, [r0]", "3:",
         "ldr    r9, [sp, #24]", "ldr    lr, [sp]", "ldr    r4, [r9], #4", "str    r9, [sp, #24]",
         "mov    r5, r4", "mov    r6, r4", "mov    r7, r4", "4:",
         "ldr    r8, [r0], #4", "ldm    lr!, {r1, r2, r3, r12}"]
    assert n4 % 2 == 0
    for i in range(n4):
        L += group(i, i == n4 - 1)
    L += ["cmp    r8, #0", "bne    4b",
          "ldr    r1, [sp, #4]", "ldr    r2, [sp, #8]",
          "ldr    r9, [r1], #4", "ldrsb  r10, [r2], #1",
          "str    r1, [sp, #4]", "str    r2, [sp, #8]",
          "smull  r1, r2, r4, r9", "smull  r1, r3, r5, r9",
          "sub    r11, r10, #32",
          "smull  r1, r4, r6, r9",
          "sub    r10, r10, #33",
          "smull  r1, r5, r7, r9",
          "mov    r12, #1", "lsl    r12, r12, r10", "ldr    r8, [sp, #16]",
          "add    r2, r2, r12", "add    r3, r3, r12", "add    r4, r4, r12", "add    r5, r5, r12",
          "asr    r2, r2, r11", "asr    r3, r3, r11", "asr    r4, r4, r11", "asr    r5, r5, r11",
          "ldr    r1, [sp, #12]",
          "cmp    r8, #0", "beq    5f",
          "usat   r2, #7, r2", "usat   r3, #7, r3", "usat   r4, #7, r4", "usat   r5, #7, r5",
          "b      6f", "5:",
          "ssat   r2, #8, r2", "ssat   r3, #8, r3", "ssat   r4, #8, r4", "ssat   r5, #8, r5", "6:",
          "strb   r2, [r1], #1",
          'strb   r3, [r1, #(" %s " - 1)]' % C,
          'strb   r4, [r1, #(2 * " %s " - 1)]' % C,
          'strb   r5, [r1, #(3 * " %s " - 1)]' % C,
          "str    r1, [sp, #12]",
          "ldr    r9, [sp, #20]", "subs   r9, r9, #1", "str    r9, [sp, #20]", "bne    3b",
          "add    sp, sp, #28", "pop    {r4-r11, pc}"]
    out = ['AL_HOT __attribute__((naked, noinline, noipa))',
           'static void %s(nn_job_t *job __attribute__((unused)))' % name, '{', '    __asm__ volatile (']
    for l in L:
        out.append('        "%s\\n"' % l if l.endswith(':') else '        "%s\\n\\t"' % l)
    out += ['    );', '}']
    return '\n'.join(out) + '\n'
a = s.index('__attribute__((naked, noinline, noipa))\nstatic void nn_layer4_cin40(')
b = s.index('#endif\n\n/* Two output frames of one channel at once')
body = (fn('nn_layer4_cin40', 10, False) + '\n' + fn('nn_layer4_cin128', 32, False) + '\n' +
        fnq('nn_layer4q_cin40', 10) + '\n' + fnq('nn_layer4q_cin128', 32))
s = s[:a] + body + s[b:]
open(p,'w').write(s)
