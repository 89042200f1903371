"""ARMv7-M exception model: priorities, pending/active state, entry, return, tail-chaining.

Unicorn executes instructions but delivers no exceptions on M-profile; everything here is
ours (ARMv7-M ARM B1.5). Entry pushes the basic or extended (FP) frame, sets LR to
EXC_RETURN and IPSR to the exception number, and jumps through VTOR. Return is signalled by
Unicorn as EXCP_EXCEPTION_EXIT when handler code branches to an EXC_RETURN value.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING, Callable

from unicorn import UcError
from unicorn.arm_const import (
    UC_ARM_REG_BASEPRI, UC_ARM_REG_CONTROL, UC_ARM_REG_EPSR, UC_ARM_REG_FAULTMASK,
    UC_ARM_REG_FPSCR, UC_ARM_REG_IPSR, UC_ARM_REG_LR, UC_ARM_REG_MSP, UC_ARM_REG_PC,
    UC_ARM_REG_PRIMASK,
    UC_ARM_REG_PSP, UC_ARM_REG_R0, UC_ARM_REG_R1, UC_ARM_REG_R2, UC_ARM_REG_R3,
    UC_ARM_REG_R12, UC_ARM_REG_S0, UC_ARM_REG_XPSR, UC_ARM_REG_XPSR_NZCVQG,
)

from . import privilege
from .exclusive_monitor import ExclusiveMonitor
from .regbatch import RegBatches, RegReader

if TYPE_CHECKING:
    from unicorn import Uc


class Exc(IntEnum):
    """Exception numbers (ARMv7-M ARM B1.5.2)."""

    RESET = 1
    NMI = 2
    HARDFAULT = 3
    MEMMANAGE = 4
    BUSFAULT = 5
    USAGEFAULT = 6
    SVCALL = 11
    DEBUGMON = 12
    PENDSV = 14
    SYSTICK = 15


# CFSR bits (ARMv7-M ARM B3.2.15)
IACCVIOL, DACCVIOL, MUNSTKERR, MSTKERR, MLSPERR, MMARVALID = 1 << 0, 1 << 1, 1 << 3, 1 << 4, 1 << 5, 1 << 7
IBUSERR, PRECISERR, IMPRECISERR, UNSTKERR, STKERR, LSPERR, BFARVALID = (
    1 << 8, 1 << 9, 1 << 10, 1 << 11, 1 << 12, 1 << 13, 1 << 15)
UNDEFINSTR, INVSTATE, INVPC, NOCP, UNALIGNED, DIVBYZERO = (
    1 << 16, 1 << 17, 1 << 18, 1 << 19, 1 << 24, 1 << 25)
# HFSR bits
HFSR_VECTTBL, HFSR_FORCED, HFSR_DEBUGEVT = 1 << 1, 1 << 30, 1 << 31

CFSR_NAMES = {
    IACCVIOL: "IACCVIOL (instruction access violation)",
    DACCVIOL: "DACCVIOL (data access violation)",
    MSTKERR: "MSTKERR (stacking)", MUNSTKERR: "MUNSTKERR (unstacking)",
    IBUSERR: "IBUSERR (instruction bus error)", PRECISERR: "PRECISERR (precise data bus error)",
    IMPRECISERR: "IMPRECISERR (imprecise data bus error)", STKERR: "STKERR (stacking)",
    UNSTKERR: "UNSTKERR (unstacking)",
    UNDEFINSTR: "UNDEFINSTR (undefined instruction)", INVSTATE: "INVSTATE (invalid EPSR state)",
    INVPC: "INVPC (invalid EXC_RETURN)", NOCP: "NOCP (coprocessor disabled)",
    UNALIGNED: "UNALIGNED (unaligned access trap)", DIVBYZERO: "DIVBYZERO (divide by zero trap)",
}

#: The fault class a report names for each CFSR cause bit (ARMv7-M ARM B3.2.15).
FAULT_CLASS = {
    IACCVIOL: "MemManage: instruction access violation",
    DACCVIOL: "MemManage: data access violation",
    MSTKERR: "MemManage: stacking error", MUNSTKERR: "MemManage: unstacking error",
    IBUSERR: "bus fault: instruction fetch", PRECISERR: "bus fault: precise data access",
    IMPRECISERR: "bus fault: imprecise data access (buffered store)",
    STKERR: "bus fault: stacking", UNSTKERR: "bus fault: unstacking",
    UNDEFINSTR: "usage fault: undefined instruction",
    INVSTATE: "usage fault: invalid state (INVSTATE, Thumb bit clear)",
    INVPC: "usage fault: invalid EXC_RETURN (INVPC)",
    NOCP: "usage fault: coprocessor disabled (NOCP)",
    UNALIGNED: "usage fault: unaligned access (CCR.UNALIGN_TRP)",
    DIVBYZERO: "usage fault: divide by zero (CCR.DIV_0_TRP)",
}

FAULT_OF_BIT = {}
for _b in (IACCVIOL, DACCVIOL, MSTKERR, MUNSTKERR):
    FAULT_OF_BIT[_b] = Exc.MEMMANAGE
for _b in (IBUSERR, PRECISERR, IMPRECISERR, STKERR, UNSTKERR):
    FAULT_OF_BIT[_b] = Exc.BUSFAULT
for _b in (UNDEFINSTR, INVSTATE, INVPC, NOCP, UNALIGNED, DIVBYZERO):
    FAULT_OF_BIT[_b] = Exc.USAGEFAULT
SHCSR_ENABLE_BIT = {Exc.MEMMANAGE: 16, Exc.BUSFAULT: 17, Exc.USAGEFAULT: 18}

# Entry and return latencies in cycles with a zero-wait stack (ARMv7-M, Cortex-M7 TRM;
# shared/reference/cortex-m7-timing.md "Exception entry and return").
ENTRY_CYCLES = 12
RETURN_CYCLES = 12
TAILCHAIN_CYCLES = 6

_BASIC = (UC_ARM_REG_R0, UC_ARM_REG_R1, UC_ARM_REG_R2, UC_ARM_REG_R3, UC_ARM_REG_R12, UC_ARM_REG_LR)
_S = tuple(UC_ARM_REG_S0 + i for i in range(16))
# what entry reads, in one batch: PC, CONTROL, the basic frame's registers, xPSR, both stack
# pointers and the extended frame's (read always: reading has no side effect)
_ENTRY_READ = (UC_ARM_REG_PC, UC_ARM_REG_CONTROL, *_BASIC, UC_ARM_REG_XPSR, UC_ARM_REG_MSP,
               UC_ARM_REG_PSP, *_S, UC_ARM_REG_FPSCR)
_MASKS = (UC_ARM_REG_BASEPRI, UC_ARM_REG_PRIMASK, UC_ARM_REG_FAULTMASK, UC_ARM_REG_CONTROL)
EPSR_T = 1 << 24        # the Thumb bit; with IT bits [26:25] and [15:10] zero
INFINITE_LOOP = 0xE7FE   # "b ." : the default handler of every startup file


class Lockup(Exception):
    """The core locked up (a fault it cannot take); the run ends."""


class UnhandledFault(Exception):
    """A fault whose handler is the default infinite loop (or missing); the run ends."""

    def __init__(self, exc: int, cfsr: int, hfsr: int, address: int | None, pc: int) -> None:
        super().__init__(exc)
        self.exc, self.cfsr, self.hfsr, self.address, self.pc = exc, cfsr, hfsr, address, pc


@dataclass
class FaultRecord:
    """One fault, for the report and for diagnostics."""

    exception: int
    cfsr_bits: int
    pc: int
    address: int | None
    escalated: bool
    cycle: int


@dataclass
class ExceptionStats:
    taken: dict[int, int] = field(default_factory=dict)
    tail_chains: int = 0
    faults: list[FaultRecord] = field(default_factory=list)


class ExceptionEngine:
    """Pending/active state and priorities of all exceptions; entry and return."""

    def __init__(self, uc: "Uc", n_irqs: int, priority_bits: int,
                 charge: Callable[[int], None], now: Callable[[], int]) -> None:
        self.uc = uc
        self._reg = RegReader(uc)
        self._batch = RegBatches(uc)    # register lists moved in one Unicorn call each
        self.monitor = ExclusiveMonitor(uc)
        self.n_irqs = n_irqs
        self.priority_mask = (0xFF << (8 - priority_bits)) & 0xFF
        self.charge = charge          # adds cycles (entry/return latency) to the core count
        self.now = now
        self.pending: set[int] = set()
        self.active: list[int] = []   # nesting order, innermost last
        self.enabled_irq: set[int] = set()
        self.irq_level: dict[int, bool] = {}
        self.irq_priority = bytearray(n_irqs)
        self.shpr = bytearray(16)     # priorities of system exceptions 4..15 (index = number)
        self.prigroup = 0
        self.vtor = 0
        self.shcsr = 0
        self.cfsr = 0
        self.hfsr = 0
        self.mmfar = 0
        self.bfar = 0
        # a pended asynchronous or derived fault: (exception, address, pc) until taken
        self.async_fault: tuple[int, int | None, int] | None = None
        # (frame address, size, write) -> whether the MPU forbids pushing / popping the frame
        self.stack_guard: Callable[[int, int, bool], bool] | None = None
        self.request_dispatch: Callable[[], None] | None = None    # something was pended
        # called with each FaultRecord once CFSR/HFSR/MMFAR/BFAR hold what the handler reads
        self.on_fault: list[Callable[[FaultRecord], None]] = []
        self.stats = ExceptionStats()
        self.event_register = False   # WFE/SEV event latch
        self.sevonpend = False
        self.on_return: list[Callable[[int], None]] = []   # called with the number returned from
        # (number, handler address, cycle the exception was taken or None when tail-chained)
        self.on_enter: list[Callable[[int, int, int | None], None]] = []
        self.on_returned: list[Callable[[bool], None]] = []   # after a return (tail-chained?)

    # --- priorities (ARMv7-M B1.5.4) --------------------------------------------------------
    def priority(self, n: int) -> int:
        if n == Exc.RESET:
            return -3
        if n == Exc.NMI:
            return -2
        if n == Exc.HARDFAULT:
            return -1
        if n >= 16:
            return self.irq_priority[n - 16] & self.priority_mask
        return self.shpr[n] & self.priority_mask

    def group_priority(self, prio: int) -> int:
        if prio < 0:
            return prio
        return prio & ~((2 << self.prigroup) - 1) & 0xFF

    def execution_priority(self) -> int:
        """Current execution priority: active exceptions and the mask registers."""
        prio = 256
        for n in self.active:
            prio = min(prio, self.group_priority(self.priority(n)))
        basepri, primask, faultmask = self.masks()
        basepri &= self.priority_mask
        if basepri:
            prio = min(prio, self.group_priority(basepri))
        if primask & 1:
            prio = min(prio, 0)
        if faultmask & 1:
            prio = min(prio, -1)
        return prio

    def masks(self) -> tuple[int, int, int]:
        """BASEPRI, PRIMASK, FAULTMASK (an unprivileged thread reads them as 0 through
        Unicorn: simulator/privilege.py)."""
        basepri, primask, faultmask, control = self._batch(_MASKS).read()
        if control & privilege.NPRIV and not self.active:
            with privilege.lift(self.uc, control):
                basepri, primask, faultmask, _ = self._batch(_MASKS).read()
        return basepri, primask, faultmask

    def read_control(self) -> int:
        return self._reg(UC_ARM_REG_CONTROL)

    def mask_basepri(self) -> None:
        """Drop the BASEPRI bits below the implemented priority bits (after an MSR BASEPRI or
        BASEPRI_MAX): like the priority fields, BASEPRI implements bits [7:8-n] only, the
        others read as zero and ignore writes (PM0253 / Cortex-M7 Generic User Guide 2.1.3)."""
        value = self._reg(UC_ARM_REG_BASEPRI)
        if value & ~self.priority_mask:
            self.uc.reg_write(UC_ARM_REG_BASEPRI, value & self.priority_mask)

    def _is_enabled(self, n: int) -> bool:
        if n >= 16:
            return (n - 16) in self.enabled_irq
        return True

    def highest_pending(self) -> int | None:
        """The pending, enabled exception that would be taken next (regardless of masking)."""
        best = None
        best_key = None
        for n in self.pending:
            if not self._is_enabled(n):
                continue
            key = (self.priority(n), n)
            if best_key is None or key < best_key:
                best, best_key = n, key
        return best

    def preempting(self) -> int | None:
        """The pending exception that can preempt now, if any."""
        n = self.highest_pending()
        if n is None:
            return None
        return n if self.group_priority(self.priority(n)) < self.execution_priority() else None

    def can_wake(self) -> bool:
        """WFI wakes on any pending enabled interrupt whose priority would preempt if
        PRIMASK were clear (ARMv7-M B1.5.19); FAULTMASK/PRIMASK do not keep the core asleep."""
        n = self.highest_pending()
        if n is None:
            return False
        prio = 256
        for a in self.active:
            prio = min(prio, self.group_priority(self.priority(a)))
        basepri = self.masks()[0] & self.priority_mask
        if basepri:
            prio = min(prio, self.group_priority(basepri))
        return self.group_priority(self.priority(n)) < prio

    # --- pending state -----------------------------------------------------------------------
    def set_pending(self, n: int) -> None:
        if n not in self.pending and self.sevonpend:
            self.event_register = True
        self.pending.add(n)

    def clear_pending(self, n: int) -> None:
        self.pending.discard(n)

    def set_irq_level(self, irq: int, level: bool) -> None:
        self.irq_level[irq] = level
        if level:
            self.set_pending(16 + irq)

    # --- entry ---------------------------------------------------------------------------
    def take(self, n: int, return_address: int | None = None) -> None:
        """Enter exception ``n`` from the current state (PC = the return address unless
        given)."""
        uc = self.uc
        v = self._batch(_ENTRY_READ).read()
        if v[1] & privilege.NPRIV and not self.active:
            # an unprivileged thread: Unicorn would read its MSP/PSP as 0 and ignore the
            # writes below; CONTROL.nPRIV is set again once in Handler mode
            with privilege.lift(uc, v[1]):
                self.take(n, return_address)
            return
        if return_address is None:
            return_address = v[0]
        handler_mode = bool(self.active)
        control = v[1]
        use_psp = (not handler_mode) and bool(control & 2)
        fp_frame = bool(control & 4)
        regs = v[2:8]
        xpsr = v[8]
        sp = v[10] if use_psp else v[9]
        size = 0x68 if fp_frame else 0x20
        frame = sp - size
        realign = frame & 4
        frame &= ~7
        # the stacked xPSR keeps EPSR.T as it was (0 after an interworking branch to an even
        # address: that is how an INVSTATE handler sees what happened)
        stacked_xpsr = (xpsr & ~(1 << 9)) | (1 << 9 if realign else 0)
        data = struct.pack("<8I", *regs, return_address & ~1, stacked_xpsr)
        if fp_frame:
            data += struct.pack("<16I", *v[11:27]) + struct.pack("<2I", v[27], 0)
        # a stacking fault (the MPU forbids the frame, or no memory there) is a derived
        # exception: entry goes on with SP moved as if the frame had been pushed
        stacking = MSTKERR if self.stack_guard is not None and \
            self.stack_guard(frame, size, True) else None
        if stacking is None:
            try:
                uc.mem_write(frame, data)
            except UcError:
                stacking = STKERR
        derived = None if stacking is None else self._stacking_fault(n, stacking, frame,
                                                                    return_address)
        if use_psp:                                  # handler runs on MSP
            self._batch((UC_ARM_REG_PSP, UC_ARM_REG_CONTROL)).write((frame, control & ~2 & ~4))
        else:
            self._batch((UC_ARM_REG_CONTROL, UC_ARM_REG_MSP)).write((control & ~4, frame))
        exc_return = 0xFFFFFFE1 if handler_mode else (0xFFFFFFED if use_psp else 0xFFFFFFE9)
        if not fp_frame:
            exc_return |= 0x10
        self.monitor.clear()             # B1.5.6 ExceptionTaken: ClearExclusiveLocal()
        self.event_register = True       # and SetEventRegister() (a WFE after it goes on)
        started = self.now()
        self.charge(ENTRY_CYCLES)        # before _enter: the handler's time starts after it
        self._enter(n, exc_return, started)
        if derived is not None:
            self.set_pending(derived)    # taken next if it preempts n (late arrival), else after
            if self.request_dispatch is not None:
                self.request_dispatch()

    def _enter(self, n: int, exc_return: int, started: int | None = None) -> None:
        uc = self.uc
        vector = self._read_vector(n)
        if vector is None:
            # A bus error on the vector fetch: a HardFault with HFSR.VECTTBL (ARMv7-M
            # B1.5.6, B3.2.16); when the HardFault vector cannot be fetched either, or the
            # failing fetch was for HardFault/NMI, the core locks up.
            self.hfsr |= HFSR_VECTTBL
            self.stats.faults.append(FaultRecord(Exc.HARDFAULT, 0, uc.reg_read(UC_ARM_REG_PC),
                                                 self.vtor + 4 * n, True, self.now()))
            failed = n
            if n not in (Exc.HARDFAULT, Exc.NMI):
                n = Exc.HARDFAULT
                vector = self._read_vector(n)
            if vector is None:
                raise Lockup(f"vector {failed} cannot be fetched from {self.vtor + 4 * failed:#010x}"
                             f" (VTOR {self.vtor:#010x} is not memory): HFSR.VECTTBL, the core "
                             "locks up")
        self.pending.discard(n)
        self.active.append(n)
        self.stats.taken[n] = self.stats.taken.get(n, 0) + 1
        if not vector & 1:
            uc.reg_write(UC_ARM_REG_LR, exc_return)
            uc.reg_write(UC_ARM_REG_IPSR, n)
            raise Lockup(f"vector {n} at {self.vtor + 4 * n:#010x} is {vector:#010x}, "
                         "not a Thumb address (INVSTATE on exception entry)")
        # EPSR.IT = 0 (ARMv7-M B1.5.6 ExceptionTaken): a handler entered from inside an IT
        # block runs unconditionally; the interrupted IT state is in the stacked xPSR
        self._batch((UC_ARM_REG_LR, UC_ARM_REG_IPSR, UC_ARM_REG_EPSR, UC_ARM_REG_PC)).write(
            (exc_return, n, EPSR_T, vector))
        for cb in self.on_enter:
            cb(n, vector, started)

    def _read_vector(self, n: int) -> int | None:
        try:
            return struct.unpack("<I", self.uc.mem_read(self.vtor + 4 * n, 4))[0]
        except UcError:
            return None

    def handler_address(self, n: int) -> int:
        """The handler of exception ``n``; 1 (not an infinite loop, so the exception is
        taken and the vector fetch fails there) when the vector table is not readable."""
        vector = self._read_vector(n)
        return 1 if vector is None else vector & ~1

    # --- return --------------------------------------------------------------------------
    def exception_return(self, exc_return: int) -> None:
        """Handle a branch to EXC_RETURN in handler mode (Unicorn's EXCP_EXCEPTION_EXIT)."""
        uc = self.uc
        exc_return |= 1
        if not self.active or exc_return & 0x0FFFFFE0 != 0x0FFFFFE0 or (exc_return & 0xF) not in (1, 9, 0xD):
            raise Lockup(f"invalid EXC_RETURN {exc_return:#010x}")
        n = self.active.pop()
        self.monitor.clear()             # B1.5.8 ExceptionReturn: ClearExclusiveLocal()
        self.event_register = True       # B1.5.18: an exception return sets the event register
        if n >= 16 and self.irq_level.get(n - 16):
            self.pending.add(n)      # level-sensitive line still asserted: pend again
        for cb in self.on_return:
            cb(n)
        to_thread = bool(exc_return & 8)
        # Tail-chaining (B1.5.12): a pending exception that would preempt the context being
        # returned to is entered with the frame still on the stack.
        nxt = self.preempting()
        if nxt is not None:
            self.stats.tail_chains += 1
            self.charge(TAILCHAIN_CYCLES)
            self._enter(nxt, exc_return)
            for cb in self.on_returned:
                cb(True)
            return
        use_psp = bool(exc_return & 4)
        fp_frame = not exc_return & 0x10
        msp, psp, control = self._batch((UC_ARM_REG_MSP, UC_ARM_REG_PSP,
                                         UC_ARM_REG_CONTROL)).read()
        sp = psp if use_psp else msp
        size = 0x68 if fp_frame else 0x20
        forbidden = self.stack_guard is not None and self.stack_guard(sp, size, False)
        raw = None
        if not forbidden:
            try:
                raw = bytes(uc.mem_read(sp, size))
            except UcError:
                pass
        if raw is None:
            self._unstacking_fault(MUNSTKERR if forbidden else UNSTKERR, sp, exc_return)
            return
        vals = struct.unpack("<8I", raw[:32])
        ids: tuple[int, ...] = _BASIC
        out = list(vals[:6])
        pc, xpsr = vals[6], vals[7]
        if fp_frame:
            s = struct.unpack("<18I", raw[32:])
            ids += (*_S, UC_ARM_REG_FPSCR)
            out += s[:17]
        new_sp = sp + size + (4 if xpsr & (1 << 9) else 0)
        control = (control & ~4) | (4 if fp_frame else 0)
        # the order of the single writes this replaces: SP, xPSR, IPSR, CONTROL, PC last
        # xPSR with the GE bits (B1.5.8 PopStack restores APSR<19:16> on a core with the DSP
        # extension; Unicorn's plain XPSR write leaves them as the handler left them)
        ids += (UC_ARM_REG_PSP if use_psp else UC_ARM_REG_MSP, UC_ARM_REG_XPSR_NZCVQG,
                UC_ARM_REG_IPSR, UC_ARM_REG_CONTROL, UC_ARM_REG_PC)
        out += [new_sp, (xpsr & ~(1 << 9)) | EPSR_T, 0 if to_thread else xpsr & 0x1FF,
                control | 2 if use_psp and to_thread else control, pc | 1]
        if to_thread and control & privilege.NPRIV:
            # back to an unprivileged thread: the CONTROL write after IPSR = 0 must still be
            # privileged (it restores SPSEL and FPCA, and nPRIV with them)
            with privilege.lift(uc, control):
                self._batch(ids).write(out)
        else:
            self._batch(ids).write(out)
        self.charge(RETURN_CYCLES)
        for cb in self.on_returned:
            cb(False)

    # --- faults --------------------------------------------------------------------------
    def fault(self, bit: int, pc: int, address: int | None = None,
              return_address: int | None = None) -> None:
        """Raise a fault (a CFSR bit) at instruction ``pc``: route it to its handler, escalate
        to HardFault (HFSR.FORCED) when that handler is disabled or cannot preempt, lock up
        when even HardFault cannot be taken."""
        exc = FAULT_OF_BIT[bit]
        self.cfsr |= bit
        if address is not None:
            if exc == Exc.BUSFAULT and bit == PRECISERR:
                self.bfar = address
                self.cfsr |= BFARVALID
            elif exc == Exc.MEMMANAGE and bit == DACCVIOL:
                self.mmfar = address
                self.cfsr |= MMARVALID
        escalated = False
        target = exc
        enabled = bool(self.shcsr & (1 << SHCSR_ENABLE_BIT[exc]))
        if bit == IMPRECISERR:
            self._asynchronous_fault(enabled, pc, address, return_address)
            return
        if self._escalates(exc):
            target = Exc.HARDFAULT
            escalated = True
        self._record_fault(FaultRecord(target, bit, pc, address, escalated, self.now()),
                           f"{CFSR_NAMES.get(bit, hex(bit))} at {pc:#010x}")
        if self.handler_address(target) == 0 or self._is_infinite_loop(self.handler_address(target)):
            raise UnhandledFault(target, self.cfsr, self.hfsr, address, pc)
        self.take(target, return_address if return_address is not None else pc)

    def _asynchronous_fault(self, enabled: bool, pc: int, address: int | None,
                            return_address: int | None) -> None:
        """An imprecise BusFault (a buffered store's bus error) is asynchronous: it is pended,
        or HardFault (HFSR.FORCED) is pended instead when BusFault is disabled; never
        escalated for priority and never a lockup (Cortex-M7 Devices Generic User Guide 2.4.3;
        BFSR.IMPRECISERR: "the BusFault becomes pending and becomes active only when the
        processor returns from all higher priority processes"). The program goes on after
        the store until the pended exception can preempt."""
        target = Exc.BUSFAULT if enabled else Exc.HARDFAULT
        if not enabled:
            self.hfsr |= HFSR_FORCED
        self.stats.faults.append(FaultRecord(target, IMPRECISERR, pc, address, not enabled,
                                             self.now()))
        self._notify_fault()
        if self.group_priority(self.priority(target)) < self.execution_priority():
            if self._is_infinite_loop(self.handler_address(target)):
                raise UnhandledFault(target, self.cfsr, self.hfsr, address, pc)
            self.take(target, return_address if return_address is not None else pc)
            return
        self.set_pending(target)
        self.async_fault = (target, address, pc)
        if return_address is not None:
            self.uc.reg_write(UC_ARM_REG_PC, return_address | 1)

    def _stacking_fault(self, n: int, bit: int, frame: int, pc: int) -> int | None:
        """The frame of exception ``n`` could not be pushed (MSTKERR: the MPU forbids it;
        STKERR: no memory there): CFSR records it (no MMFAR/BFAR: B3.2.15) and the derived
        MemManage/BusFault is returned to be pended, or HardFault (HFSR.FORCED) when it is
        disabled or cannot preempt the context being left (B1.5.6 DerivedLateArrival, B1.5.15).
        None when ``n`` is that fault itself ("a BusFault on stacking when entering a BusFault
        handler does not escalate": Cortex-M7 DGUG 2.4.2) or HardFault/NMI: the handler runs
        with the stack as it is."""
        self.cfsr |= bit
        target = Exc.MEMMANAGE if bit == MSTKERR else Exc.BUSFAULT
        derived: int | None = target
        escalated = False
        if n in (target, Exc.HARDFAULT, Exc.NMI):
            derived = None
        elif self._escalates(target):
            derived, escalated = Exc.HARDFAULT, True
            self.hfsr |= HFSR_FORCED
        self.stats.faults.append(FaultRecord(derived or n, bit, pc, frame, escalated,
                                             self.now()))
        self._notify_fault()
        if derived is not None:
            self.async_fault = (derived, frame, pc)
        return derived

    def _unstacking_fault(self, bit: int, sp: int, exc_return: int) -> None:
        """The frame to return to cannot be read (MUNSTKERR: the MPU forbids it; UNSTKERR: no
        memory there). B3.2.15: "this fault is chained to the handler": the MemManage/BusFault
        handler is entered as by tail-chaining, SP not adjusted and the frame left where it
        is; HardFault (HFSR.FORCED) when that fault is disabled or cannot preempt the context
        being returned to, a lockup when that is HardFault or NMI."""
        self.cfsr |= bit
        target = Exc.MEMMANAGE if bit == MUNSTKERR else Exc.BUSFAULT
        escalated = False
        if self._escalates(target):
            target, escalated = Exc.HARDFAULT, True
        self._record_fault(FaultRecord(target, bit, exc_return, sp, escalated, self.now()),
                           f"{CFSR_NAMES[bit]} returning to a frame at {sp:#010x}")
        if self._is_infinite_loop(self.handler_address(target)):
            raise UnhandledFault(target, self.cfsr, self.hfsr, sp, exc_return)
        self.stats.tail_chains += 1
        self.charge(TAILCHAIN_CYCLES)
        self._enter(target, exc_return)
        for cb in self.on_returned:
            cb(True)

    def check_async_handler(self, n: int) -> None:
        """Before taking a pended asynchronous fault: a default `b .` handler ends the run
        with the fault's diagnostic (as for synchronous faults)."""
        if self.async_fault is None or self.async_fault[0] != n:
            return
        _, address, pc = self.async_fault
        self.async_fault = None
        if self._is_infinite_loop(self.handler_address(n)):
            raise UnhandledFault(n, self.cfsr, self.hfsr, address, pc)

    def _escalates(self, exc: int) -> bool:
        """A configurable fault is taken as HardFault (HFSR.FORCED) when it is disabled in
        SHCSR or cannot preempt the current execution priority (ARMv7-M ARM B1.5.15)."""
        return (not self.shcsr & (1 << SHCSR_ENABLE_BIT[exc])
                or self.group_priority(self.priority(exc)) >= self.execution_priority())

    def _record_fault(self, record: FaultRecord, what: str) -> None:
        """Log a fault about to be taken and tell the listeners. Taken as HardFault it sets
        HFSR.FORCED, or locks the core up when HardFault or NMI is running (``what`` starts the
        lockup message)."""
        self.stats.faults.append(record)
        if record.exception == Exc.HARDFAULT:
            if self.execution_priority() <= -1:
                self._notify_fault()
                raise Lockup(f"{what} while in HardFault/NMI: the core locks up")
            self.hfsr |= HFSR_FORCED
        self._notify_fault()

    def _notify_fault(self) -> None:
        for cb in self.on_fault:
            cb(self.stats.faults[-1])

    def hard_fault(self, hfsr_bit: int, pc: int, why: str) -> None:
        self.hfsr |= hfsr_bit
        self.stats.faults.append(FaultRecord(Exc.HARDFAULT, 0, pc, None, False, self.now()))
        self._notify_fault()
        if self.execution_priority() <= -1:
            raise Lockup(f"{why} at {pc:#010x} while in HardFault/NMI: the core locks up")
        if self._is_infinite_loop(self.handler_address(Exc.HARDFAULT)):
            raise UnhandledFault(Exc.HARDFAULT, self.cfsr, self.hfsr, None, pc)
        self.take(Exc.HARDFAULT, pc)

    def _is_infinite_loop(self, addr: int) -> bool:
        try:
            return struct.unpack("<H", self.uc.mem_read(addr & ~1, 2))[0] == INFINITE_LOOP
        except UcError:
            return True
