"""Every number of the static Cortex-M7 cost model, with where it comes from.

Sources (docs/timing-model.md describes them and how they combine):
  [LLVM]  llvm-project llvm/lib/Target/ARM/ARMScheduleM7.td (the Cortex-M7 scheduling model)
  [HW]    hardware measurements: jnk0le/random "pipeline cycle test/doc/cortex_m7.md"
          (STM32H743) and quinapalus.com cm7cycles (STM32H730)
  chosen  no public figure; the comment says why the value was picked.

Latencies are "issue to issue" in cycles: a result with latency L written by an instruction
issued at cycle t can be read by an instruction issued at cycle t + L when that reader reads
the operand at the normal point (EX2 for integer ALU ops). A read *advance* a > 0 means the
operand is needed a cycles later than normal (reader may issue at t + L - a); a < 0 means it
is needed earlier (EX1 / issue), so the reader waits |a| cycles longer.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class M7Params:
    # ---- integer results -----------------------------------------------------------------
    alu_latency: int = 1                # [LLVM] WriteALU 1; [HW] dependent ALU chain 1/cycle
    cmp_shift_flags_latency: int = 2    # [LLVM] WriteCMPsi/WriteCMPsr latency 2
    mul_latency: int = 2                # [LLVM] MUL/MLA/SMULL 2; [HW] "one cycle later than ALU"
    mac_acc_advance: int = 1            # [LLVM] ReadMAC advance 1; [HW] MAC chain 1/cycle
    dsp_latency: int = 1                # [LLVM] M7WriteSIMD1 (SADD16, SXTB, UBFX, PKH, ...)
    early_alu_read_advance: int = -1    # [HW] jnk0le: sbfx/ubfx/rbit/rev* "execute in early alu
                                        # and can't source from late ALU of previous cycle";
                                        # bfi/pkh/sxta/uxta consume the extracted or shifted
                                        # register in early ALU; [LLVM] M7Read_ISS on them
    early_alu: bool = True              # [HW] jnk0le: "there is an early and late ALU one
                                        # cycle apart"; add/sub (register or simple constant)
                                        # and non-shifting mov/movw "can enter early alu from
                                        # older op only", and an "early alu [result] can be
                                        # forwarded to late alu in 0 cycles, or early alu next
                                        # cycle" (AGU included: "add.w r0, r2; eor.w r6, r0,
                                        # r6, ror #22; ldr.w r4, [r14, r0]" does not stall);
                                        # flags are still set in late ALU
    dsp_sat_latency: int = 2            # [LLVM] M7WriteSIMD2/ShSIMD2 (QADD, SSAT/USAT, USAD8)
    shift_read_advance: int = -1        # [LLVM] shifted register operand read in EX1
    div_cycles: int = 7                 # [LLVM] WriteDIV latency 7, single issue, "stall for
                                        # their latency"; hardware is data dependent (up to
                                        # 7), chosen: the published bound as a fixed cost
    # ---- loads and stores ----------------------------------------------------------------
    load_latency: int = 1               # [LLVM] WriteLd Latency 1 (the model-wide LoadLatency 2
                                        # is only a default); [HW] jnk0le: "word loads can be
                                        # consumed by late ALU in next cycle"
    load_narrow_latency: int = 2        # [LLVM] M7SlowLoad Latency 2; [HW] jnk0le: byte/half
                                        # loads "consumed in second cycle by late ALU (1 extra
                                        # cycle of result latency), or third in early ALU"
    word_load_early_penalty: int = 1    # [HW] jnk0le: multiplies and MACs "can't consume ldr
                                        # result from previous cycle", nor can instructions
                                        # with an operand consumed in early ALU (inline shifted
                                        # operand2, uxtab...), even for their late operands
                                        # (byte/half loads are not affected); [LLVM]
                                        # M7Ex1ReadNoFastBypass (advance -1 after WriteLd)
    fp_load_latency: int = 1            # [LLVM] M7LoadSP Latency 1 (VLDR.32 into the FP pipe),
                                        # as a word load into the core
    addr_read_advance: int = -1         # [LLVM] M7Read_ISS: address operands needed in EX1
    base_update_latency: int = 0        # [LLVM] M7BaseUpdate: writeback bypassed out of EX1
    store_data_advance: int = 1         # [LLVM] M7Read_EX2: store data read one cycle late
    fp_store_data_advance: int = 2      # [LLVM] M7Read_EX3 for VSTR
    multiple_regs_per_cycle: int = 2    # [HW] LDM/STM/PUSH/POP ceil(n/2) (64-bit path)
    narrow_store_interval: int = 2      # [HW] byte/half stores 2-4 cycles of throughput;
                                        # chosen: 2, the lower bound (no merging assumed
                                        # beyond it): the store port is busy that long
    pair_loads_known_other_bank: bool = True   # [HW] two loads pair iff different banks
    pair_loads_unknown_bank: bool = False      # chosen: statically unknown banks -> do not
                                               # pair (conservative; see docs/timing-model.md)
    # ---- branches and control ------------------------------------------------------------
    branch_flag_read_advance: int = 2   # chosen: a *predicted* branch does not wait for its
                                        # flags/register at issue; it is resolved later in
                                        # the pipe ([HW] mispredict 8 cycles, 6 when the flags
                                        # were set 3 cycles earlier => late resolution)
    loop_steady_state: bool = True     # chosen: a block whose last instruction branches back
                                        # to its first is costed with its own previous
                                        # iteration in flight (loop-carried latencies such as
                                        # an accumulator chain), since such loops run many
                                        # times; the first iteration is then charged as a
                                        # later one. Other blocks start from an idle pipe.
    tb_issue_cycles: int = 2            # [LLVM] TBB/TBH take two cycles to issue
    it_takes_slot: bool = True          # IT occupies an issue slot like an ALU op (it can
                                        # still pair): [HW] jnk0le "`it` instruction cannot be
                                        # tripple issued"
    nongp_latency: int = 3              # [LLVM] M7NonGeneralPurpose latency 3 (MRS/MSR,
                                        # barriers, hints, SVC): result latency
    barrier_cycles: int = 3             # chosen: DMB/DSB/ISB hold issue for the LLVM latency
                                        # of non-general-purpose instructions (3); the real
                                        # cost depends on outstanding memory traffic
    # ---- floating point (single precision) -----------------------------------------------
    fp_latency: int = 3                 # [LLVM][HW] VADD/VSUB/VMUL/VCVT/VABS 3, 1 per cycle
    fp_fma_latency: int = 5             # [LLVM] VFMA.F32 latency 5 ...
    fp_fma_acc_advance: int = 2         # [LLVM] ... accumulator read 2 late: chain every 3 [HW]
    fp_mla_latency: int = 6             # [LLVM] VMLA (non-fused) 6
    fp_mla_acc_advance: int = 3         # [LLVM] ReadFPMAC advance 3
    fp_div_latency: int = 16            # [HW] VDIV.F32 16 ([LLVM] 16)
    fp_sqrt_latency: int = 14           # [HW] VSQRT.F32 14 (measurement wins over LLVM 16)
    fp_divider_blocking: bool = True    # chosen: the iterative divide/sqrt unit accepts a new
                                        # VDIV/VSQRT only when the previous one is done; other
                                        # FP ops keep issuing ([LLVM] "effective latency 3")
    vmov_core_latency: int = 3          # [LLVM] WriteFPMOV 3; ref: single issue
    fp_mov_latency: int = 3             # [LLVM] VMOV Sd,Sm / VMOV #imm (FCONSTS) 3
    vcmp_flags_latency: int = 1         # chosen: [LLVM] says 0; VMRS is single issue anyway
    # ---- floating point (double precision: emulated by the simulator, costed as silicon) --
    dp_add_latency: int = 3             # [HW] VADD.F64 1-3 (LLVM 4; measurement wins,
                                        # chosen the upper end for a dependent chain)
    dp_mul_latency: int = 5             # [HW] VMUL.F64 5 (LLVM 7)
    dp_fma_latency: int = 11            # [LLVM] VFMA/VMLA.F64 11 (no measurement)
    dp_fma_acc_advance: int = 0         # [LLVM] ReadFPMAC 3 for VMLA.D is overridden to an
                                        # apparent latency of 3; chosen 0: full 11 per step
    dp_div_latency: int = 30            # [LLVM][HW] VDIV.F64 30
    dp_sqrt_latency: int = 30           # [LLVM] VSQRT.F64 30
    # ---- branch mispredicts (per branch, charged by the dynamic predictor) ----------------
    mispredict_penalty: int = 8         # [HW] branch mispredict 8 cycles
    mispredict_early_penalty: int = 6   # [HW] 6 when the flags were set early ...
    branch_pairs_with_next: bool = True  # [HW] jnk0le: "Predicted (any direction and length)
                                        # taken branch is capable of dual issuing with one
                                        # instruction at destination address"; "not-taken
                                        # branch can dual issue with following instruction"
                                        # (a correctly predicted branch that issued alone
                                        # gives its free slot to the first instruction of
                                        # the predicted path; applied per edge at run time)
    early_flags_cycles: int = 3         # [HW] ... at least 3 cycles before the branch
    # ---- exceptions / sleep (charged elsewhere; kept here for the docs) ------------------
    wfi_cycles: int = 1                 # chosen: the WFI itself; sleep time is the machine's
