"""Faults: how the machine turns what the CPU model reports into the faults silicon raises.

Unicorn reports a bad access, an undefined instruction, an SVC, a BKPT or an exception return
through its hooks (UC_HOOK_INTR, UC_HOOK_INSN_INVALID, invalid-memory hooks) or as a UcError
when it stops; these methods take the matching fault through the exception engine
(simulator/exceptions.py), record it for the report (class, function, line, call stack,
CFSR/HFSR/MMFAR/BFAR) and end the run with a diagnostic when the firmware has no handler.
CCR.DIV_0_TRP / UNALIGN_TRP are enforced with code hooks that exist only while enabled.

:class:`Faults` is the machine's fault part (``machine.faults``): it owns the fault state
(the fault pending from an invalid instruction or access, the fault log of the report, the
fault that ended the run, the CCR trap hooks) and reaches the CPU, the exception engine, the
counter and the firmware through the machine it belongs to.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

import numpy as np
from unicorn import (
    UC_ERR_FETCH_PROT, UC_ERR_FETCH_UNMAPPED, UC_ERR_INSN_INVALID, UC_ERR_READ_PROT,
    UC_ERR_READ_UNMAPPED, UC_ERR_WRITE_PROT, UC_ERR_WRITE_UNMAPPED, UC_HOOK_CODE,
    UC_HOOK_MEM_FETCH_PROT, UC_HOOK_MEM_FETCH_UNMAPPED, UC_HOOK_MEM_READ_PROT,
    UC_HOOK_MEM_READ_UNMAPPED, UC_HOOK_MEM_WRITE_PROT, UC_HOOK_MEM_WRITE_UNMAPPED, UcError,
)
from unicorn.arm_const import (
    UC_ARM_REG_PC, UC_ARM_REG_R0, UC_ARM_REG_R1, UC_ARM_REG_SP, UC_ARM_REG_XPSR,
)

from . import thumb
from .access_sites import decode_site
from .code_map import instruction_sites
from .exceptions import (
    CFSR_NAMES, DIVBYZERO, FAULT_CLASS, HFSR_DEBUGEVT, HFSR_VECTTBL, IACCVIOL, IBUSERR,
    IMPRECISERR, INVSTATE, NOCP, PRECISERR, UNALIGNED, UNDEFINSTR, Exc, Lockup, UnhandledFault,
)
from .exits import ExitReason
from .semihosting import SemihostingExit
from .tlb_fill import never_execute

MAX_FAULT_LOG = 100             # faults kept in the report (a fault loop must not grow it)

# QEMU exception numbers that Unicorn hands to UC_HOOK_INTR (target/arm/cpu.h)
EXCP_UDEF, EXCP_SWI, EXCP_PREFETCH_ABORT, EXCP_DATA_ABORT = 1, 2, 3, 4
EXCP_BKPT, EXCP_EXCEPTION_EXIT = 7, 8
EXCP_NOCP, EXCP_INVSTATE, EXCP_UNALIGNED, EXCP_DIVBYZERO = 17, 18, 22, 23


class Faults:
    """The fault side of a machine, with its own state."""

    def __init__(self, machine) -> None:
        self.m = machine
        self.log: list[dict] = []           # every fault raised, as its handler sees it
        self.info: dict | None = None       # the fault (or lockup) that ended the run
        # (CFSR bit, pc, address) of a fault an invalid instruction left for the UcError
        self.pending: tuple[int, int, int | None] | None = None
        self.mem_fault: tuple[int, int, int] | None = None   # (kind, address, size)
        self.last_store_fault: int | None = None    # address of the last imprecise store
        self._div_hooks: list = []                   # CCR.DIV_0_TRP code hooks
        self._unaligned_hooks: list = []             # CCR.UNALIGN_TRP code hooks
        self.left_out: tuple[tuple[int, int], ...] = ()   # see hook_invalid
        machine.engine.on_fault.append(self.record)

    def hook_invalid(self, left_out: Sequence[tuple[int, int]] = ()) -> None:
        """Hook :meth:`on_mem_invalid` (the address of an access Unicorn refuses) over the whole
        address space but the inclusive ranges ``left_out``: RAM no code runs from, whose
        stores can leave Unicorn's slow path only while no memory hook covers them
        (simulator/tlb_fill.py). Nothing there is refused while the MPU leaves it alone:
        :meth:`cover_left_out` hooks them too when it does not."""
        self.left_out = tuple(sorted(left_out))
        start = 0
        for first, last in (*self.left_out, (1 << 32, 1 << 32)):
            if first > start:
                self._hook_invalid_range(start, first - 1)
            start = max(start, last + 1)

    def cover_left_out(self) -> None:
        """From now on the hook covers the ranges :meth:`hook_invalid` left out (the MPU is
        about to restrict a page there; called between blocks)."""
        for first, last in self.left_out:
            self._hook_invalid_range(first, last)
        self.left_out = ()

    def _hook_invalid_range(self, first: int, last: int) -> None:
        self.m.uc.hook_add(UC_HOOK_MEM_READ_UNMAPPED | UC_HOOK_MEM_WRITE_UNMAPPED
                           | UC_HOOK_MEM_FETCH_UNMAPPED | UC_HOOK_MEM_READ_PROT
                           | UC_HOOK_MEM_WRITE_PROT | UC_HOOK_MEM_FETCH_PROT,
                           self.on_mem_invalid, None, first, last)

    def on_ccr_traps(self, old: int, new: int) -> None:
        """CCR.DIV_0_TRP: Unicorn's own CCR is out of reach, so when the firmware enables the
        trap, every SDIV/UDIV gets a (Python) code hook that checks the divisor; the
        translated code is flushed so the hooks take effect."""
        self._div_hooks = self._set_trap_hooks(self._div_hooks, bool(new & (1 << 4)),
                                               self._divide_sites, self._on_divide)
        self._unaligned_hooks = self._set_trap_hooks(self._unaligned_hooks, bool(new & (1 << 3)),
                                                     self._load_store_sites, self._on_load_store)

    def _set_trap_hooks(self, hooks: list, want: bool, sites, callback) -> list:
        """Install one code hook per (address, data) of ``sites()`` when a CCR trap turns on,
        remove them when it turns off; translated code is flushed so the change takes effect."""
        if want == bool(hooks):
            return hooks
        if want:
            hooks = [self.m.uc.hook_add(UC_HOOK_CODE, callback, user_data=data, begin=a, end=a)
                     for a, data in sites()]
        else:
            for h in hooks:
                self.m.uc.hook_del(h)
            hooks = []
        self.m.uc.ctl_remove_cache(0, 0xFFFFFFFF)
        return hooks

    def _divide_sites(self):
        """SDIV / UDIV (T1) instructions, with their divisor register number."""
        def divide(h: np.ndarray, nxt: np.ndarray) -> np.ndarray:
            return np.isin(h & 0xFFF0, (0xFB90, 0xFBB0)) & ((nxt & 0xF0F0) == 0xF0F0)

        for t, i in instruction_sites(self.m.code_tables, divide):
            yield t.base + 2 * i, int(t.halfwords[i + 1]) & 0xF

    def _trap(self, uc, bit: int, address: int) -> None:
        """Raise a UsageFault (CFSR ``bit``) for the instruction at ``address`` from a code
        hook, before it executes."""
        self.m.counter.undo_rest_of_block(address)
        try:
            self.m.engine.fault(bit, address)
        except (Lockup, UnhandledFault) as ex:
            self.on_fatal(ex)
            uc.emu_stop()

    def _load_store_sites(self):
        """Halfword and word LDR/STR (CCR.UNALIGN_TRP applies to them; ARMv7-M ARM A3.2.1),
        each with its access_sites.Site to compute the address."""
        for t in self.m.code_tables:
            data = t.halfwords.astype("<u2").tobytes()
            for i in np.flatnonzero(t.starts):
                insn = next(self.m._locator.disasm(data[2 * i:2 * i + 4], t.base + 2 * i), None)
                site = decode_site(insn) if insn is not None else None
                if site is not None and site.nbytes in (2, 4) and not site.multiple \
                        and not site.exclusive:
                    yield insn.address, site

    def _unaligned_exclusive(self, pc: int) -> bool:
        """The instruction at ``pc`` is an LDREX/STREX(H) at an unaligned address: QEMU
        checks their alignment (whatever CCR.UNALIGN_TRP says, as ARMv7-M A3.2.1 requires)
        but reports it as a data abort; on silicon it is a UsageFault (UNALIGNED)."""
        try:
            code = bytes(self.m.uc.mem_read(pc, 4))
        except UcError:
            return False
        insn = next(self.m._locator.disasm(code, pc), None)
        site = decode_site(insn) if insn is not None else None
        if site is None or not site.exclusive:
            return False
        ea = site.address(self.m.uc.reg_read)
        return ea is not None and bool(ea % site.nbytes)

    def _on_load_store(self, uc, address: int, size: int, site) -> None:
        ea = site.address(uc.reg_read)
        if ea is not None and ea & (site.nbytes - 1):   # literal loads (None) are aligned
            self._trap(uc, UNALIGNED, address)

    def _on_divide(self, uc, address: int, size: int, rm: int) -> None:
        if uc.reg_read(UC_ARM_REG_R0 + rm) == 0:
            self._trap(uc, DIVBYZERO, address)

    def on_interrupt(self, uc, intno: int, user_data) -> None:
        pc = self.m.reg(UC_ARM_REG_PC)
        try:
            if intno == EXCP_EXCEPTION_EXIT:
                self.m.engine.exception_return(pc)
                scb = self.m.core.scb
                if not self.m.engine.active and scb is not None and scb.reg("SCR") & 2:
                    self.m.sleeping = True            # SLEEPONEXIT
                    self.m._stop_requested = True
                    uc.emu_stop()
            elif intno == EXCP_SWI:
                self.m.engine.set_pending(Exc.SVCALL)
                if self.m.engine.preempting() == Exc.SVCALL:
                    self.m.engine.take(Exc.SVCALL, pc)
                else:
                    # SVC with priority not above the current level escalates (B1.5.14)
                    self.m.engine.clear_pending(Exc.SVCALL)
                    self.m.engine.hard_fault(1 << 30, pc - 2, "SVC at or below current priority")
            elif intno == EXCP_BKPT:
                self._on_bkpt(pc)
            elif intno in (EXCP_UDEF,):
                self.m.counter.undo_rest_of_block(pc)
                self.m.engine.fault(UNDEFINSTR, pc)
            elif intno == EXCP_INVSTATE:
                self.m.counter.undo_rest_of_block(pc)
                self.m.engine.fault(INVSTATE, pc)
            elif intno == EXCP_NOCP:
                self.m.counter.undo_rest_of_block(pc)
                self.m.engine.fault(NOCP, pc)
            elif intno == EXCP_UNALIGNED:
                self.m.counter.undo_rest_of_block(pc)
                self.m.engine.fault(UNALIGNED, pc)
            elif intno == EXCP_DIVBYZERO:
                self.m.counter.undo_rest_of_block(pc)
                self.m.engine.fault(DIVBYZERO, pc)
            elif intno == EXCP_PREFETCH_ABORT:
                self.m.counter.undo_rest_of_block(pc)
                self.m.engine.fault(IACCVIOL, pc)
            elif intno == EXCP_DATA_ABORT:
                self.m.counter.undo_rest_of_block(pc)
                self.m.engine.fault(UNALIGNED if self._unaligned_exclusive(pc) else PRECISERR, pc)
            else:
                self.m._finish(ExitReason.LOCKUP, 4, f"unexpected CPU exception {intno} at "
                             f"{self.m.fw.describe(pc)}")
                uc.emu_stop()
        except SemihostingExit as ex:
            self.m._finish(ExitReason.EXIT, ex.code, None)
            uc.emu_stop()
        except (Lockup, UnhandledFault) as ex:
            self.on_fatal(ex)
            uc.emu_stop()

    def _on_bkpt(self, pc: int) -> None:
        uc = self.m.uc
        insn = struct.unpack("<H", uc.mem_read(pc, 2))[0]
        if insn == 0xBEAB:
            op = uc.reg_read(UC_ARM_REG_R0)
            arg = uc.reg_read(UC_ARM_REG_R1)
            result = self.m.semihosting.call(op, arg)
            uc.reg_write(UC_ARM_REG_R0, result & 0xFFFFFFFF)
            uc.reg_write(UC_ARM_REG_PC, (pc + 2) | 1)
            return
        if any([a.breakpoint_instruction(self.m, pc) for a in self.m.attachments]):
            return              # a debugger is attached: BKPT halts the core (ARMv7-M C1.4)
        # A breakpoint with no debugger attached escalates to HardFault (ARMv7-M C1.4).
        self.m.engine.hard_fault(HFSR_DEBUGEVT, pc, f"BKPT {insn & 0xFF:#x}")

    def on_invalid(self, uc, user_data) -> bool:
        pc = uc.reg_read(UC_ARM_REG_PC)
        if self.m._dp is not None:
            try:
                if self.m._dp.try_execute(uc, pc):
                    return True
            except UcError:
                pass
        if self._after_wfe(uc, pc):
            # QEMU ends WFE with EXCP_YIELD, which Unicorn reports as an invalid instruction
            # (PC already after the WFE): stop there, and the run loop does what WFE does
            # (the event register, or sleep: Machine._execute)
            uc.emu_stop()
            return True
        # Unicorn reports an interworking branch to an even address (EPSR.T = 0) here too.
        thumb = uc.reg_read(UC_ARM_REG_XPSR) & (1 << 24)
        self.pending = (UNDEFINSTR if thumb else INVSTATE, pc, None)
        return False

    def _after_wfe(self, uc, pc: int) -> bool:
        """PC follows a WFE and holds a valid instruction (a genuinely undefined instruction
        right after a WFE is still a fault)."""
        if self.m.lowpower.stopped_at_wfx() != "wfe":
            return False
        try:
            code = bytes(uc.mem_read(pc, 4))
        except UcError:
            return False
        return next(self.m._locator.disasm(code, pc), None) is not None

    def on_mem_invalid(self, uc, access: int, address: int, size: int, value: int,
                        user_data) -> bool:
        self.mem_fault = (access, address, size)
        return False

    def record(self, rec) -> None:
        """A fault was raised: its class, where (function, source line, call stack) and the
        fault status registers as the firmware's handler reads them (SCB CFSR 0xE000ED28,
        HFSR 0xE000ED2C, MMFAR 0xE000ED34, BFAR 0xE000ED38)."""
        if len(self.log) >= MAX_FAULT_LOG:
            return
        from unicorn.arm_const import UC_ARM_REG_LR
        e = self.m.engine
        pc = rec.pc
        line = self.m.fw.line_at(pc)
        func = self.m.fw.function_at(pc)
        try:
            stack = self.m.ram.call_stack(pc, self.m.uc.reg_read(UC_ARM_REG_SP),
                                        self.m.uc.reg_read(UC_ARM_REG_LR))
        except Exception:  # noqa: BLE001 - a wild SP must not stop the diagnosis
            stack = [self.m.fw.describe(pc)]
        self.log.append({
            "class": FAULT_CLASS.get(rec.cfsr_bits, "HardFault") if rec.cfsr_bits else
            ("HardFault: vector table read (HFSR.VECTTBL)" if e.hfsr & HFSR_VECTTBL
             else "HardFault"),
            "handler": {3: "HardFault", 4: "MemManage", 5: "BusFault",
                        6: "UsageFault"}.get(int(rec.exception), str(rec.exception)),
            "escalated": rec.escalated, "cycle": rec.cycle, "pc": pc,
            "address": rec.address, "function": func.name if func else None,
            "file": line[0] if line else None, "line": line[1] if line else None,
            "call_stack": stack,
            "cfsr": e.cfsr, "hfsr": e.hfsr, "mmfar": e.mmfar, "bfar": e.bfar,
            "cfsr_bits": [name.split(" ")[0] for bit, name in CFSR_NAMES.items()
                          if e.cfsr & bit]})

    def on_fatal(self, ex: Exception) -> None:
        if isinstance(ex, UnhandledFault):
            bits = [name for bit, name in CFSR_NAMES.items() if ex.cfsr & bit]
            what = {3: "HardFault", 4: "MemManage", 5: "BusFault",
                    6: "UsageFault"}.get(ex.exc, str(ex.exc))
            forced = " (escalated: HFSR.FORCED)" if ex.hfsr & (1 << 30) and ex.exc == 3 else ""
            addr = f" at address {ex.address:#010x}" if ex.address is not None else ""
            msg = (f"{what}{forced}: {', '.join(bits) or 'no CFSR bits'}{addr}, "
                   f"pc {ex.pc:#010x} in {self.m.fw.describe(ex.pc)}; the firmware has no handler "
                   f"for it (default infinite loop)")
            self.info = {"exception": what, "cfsr": ex.cfsr, "hfsr": ex.hfsr,
                                "cfsr_bits": bits, "address": ex.address, "pc": ex.pc,
                                "location": self.m.fw.describe(ex.pc),
                                **self._last_fault_details()}
            self.m._finish(ExitReason.FAULT, 4, msg)
        else:
            self.info = {"exception": "lockup", "message": str(ex),
                                **self._last_fault_details()}
            self.m._finish(ExitReason.LOCKUP, 4, f"lockup: {ex}")

    def _last_fault_details(self) -> dict:
        """Class, function, line, call stack and MMFAR/BFAR of the fault that ended the run."""
        if not self.log:
            return {}
        last = self.log[-1]
        keys = ("class", "function", "file", "line", "call_stack", "cfsr", "hfsr", "mmfar",
                "bfar", "pc", "address")
        return {k: last[k] for k in keys}

    def from_error(self, err: UcError) -> None:
        """Turn a Unicorn error (the CPU stopped on a bad access or instruction) into the
        fault silicon would raise, and take it."""
        uc = self.m.uc
        pc = uc.reg_read(UC_ARM_REG_PC)
        code = err.errno
        mem = self.mem_fault
        self.mem_fault = None
        if mem is not None and code in (UC_ERR_READ_UNMAPPED, UC_ERR_READ_PROT,
                                        UC_ERR_WRITE_UNMAPPED, UC_ERR_WRITE_PROT):
            # Unicorn may leave the PC at the start of the block: the faulting load/store is
            # the one whose address is the one that failed
            at = self.m._access_pc(mem[1], code in (UC_ERR_WRITE_UNMAPPED, UC_ERR_WRITE_PROT))
            if at is not None:
                pc = at
        self.m.counter.undo_rest_of_block(pc)
        fetch = code in (UC_ERR_FETCH_UNMAPPED, UC_ERR_FETCH_PROT)
        write = code in (UC_ERR_WRITE_UNMAPPED, UC_ERR_WRITE_PROT)
        mpu_bit = (self.m.mpu_map.violation(fetch, write, mem[1] if mem else pc)
                   if self.m.mpu_map is not None and code in (UC_ERR_FETCH_PROT, UC_ERR_READ_PROT,
                                                            UC_ERR_WRITE_PROT) else None)
        try:
            if mpu_bit is not None:            # the MPU forbids it: MemManage (ARMv7-M B3.5)
                target = mem[1] if mem else pc
                self.m.engine.fault(mpu_bit, target if fetch else pc,
                                  None if fetch else target)
            elif code in (UC_ERR_FETCH_UNMAPPED, UC_ERR_FETCH_PROT):
                target = mem[1] if mem else pc
                # Never-execute regions of the default memory map take a MemManage fault;
                # a fetch from nothing at all is a bus error (ARMv7-M B3.1, B3.5.1).
                bit = IACCVIOL if never_execute(target) or code == UC_ERR_FETCH_PROT \
                    else IBUSERR
                self.m.engine.fault(bit, target)
            elif code in (UC_ERR_READ_UNMAPPED, UC_ERR_READ_PROT):
                self.m.engine.fault(PRECISERR, pc, mem[1] if mem else None)
            elif code in (UC_ERR_WRITE_UNMAPPED, UC_ERR_WRITE_PROT):
                # Stores are buffered on the M7: the error comes back after the store retired,
                # as an imprecise bus fault with no valid BFAR (Cortex-M7 TRM 3.5.3).
                nxt = pc + thumb.size(struct.unpack("<H", uc.mem_read(pc, 2))[0])
                self.last_store_fault = mem[1] if mem else None
                self.m.engine.fault(IMPRECISERR, pc, mem[1] if mem else None, return_address=nxt)
            elif code == UC_ERR_INSN_INVALID:
                bit, fpc, _ = self.pending or (UNDEFINSTR, pc, None)
                self.pending = None
                self.m.engine.fault(bit, fpc)
            else:
                self.m._finish(ExitReason.LOCKUP, 4, f"CPU error {err} at {self.m.fw.describe(pc)}")
        except (Lockup, UnhandledFault) as ex:
            self.on_fatal(ex)
