"""The GDB stub: execution control on the machine's run loop, and the RSP commands.

How it meets the run loop (it is an attachment, simulator/attachments: Machine._execute calls
``before_execute`` -> ``between_blocks``, ``cpu_stopped`` -> ``after_cpu``, and Machine.run
``finish`` -> ``finished``):

``between_blocks()``
    The CPU is stopped at a block boundary, due events have run and pending exceptions have
    been taken. The stub halts here for the first instruction (waiting for a client), for a
    Ctrl-C, and for a watchpoint hit. Halting here takes no simulated time.
``after_cpu()``
    ``emu_start`` returned. If a breakpoint or single-step code hook stopped the CPU in the
    middle of a translated block, the stub serves gdb and returns True: the machine goes
    straight back into ``emu_start``, so no event fires in the middle of a block, and the
    native block hook is told to skip the rest of that block once (its cost was counted on
    entry; ``native.SKIP_BLOCK``). A run with a debugger that stops and resumes therefore
    counts exactly the cycles of a run without one.
``finished()``
    The run ended: gdb hears ``W`` (exit status) or, after a fault, a SIGSEGV stop it can
    inspect first.

Breakpoints and single steps are Unicorn code hooks, present only while gdb has breakpoints
inserted or is stepping (a run with ``--gdb`` and no breakpoint translates exactly the code
of a run without it). Watchpoints are Unicorn memory hooks over the watched bytes only; a hit
asks the native hook to stop at the start of the next block (the only safe stop from a
memory callback; docs/architecture.md), so the stop lands just after the accessing
instruction's block, as a Cortex-M DWT watchpoint lands a few instructions late.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from unicorn import (
    UC_HOOK_CODE,
    UC_HOOK_MEM_READ,
    UC_HOOK_MEM_WRITE,
    UcError,
)
from unicorn.arm_const import UC_ARM_REG_PC, UC_ARM_REG_XPSR, UC_ARM_REG_XPSR_NZCVQG

from .. import native
from ..attachments import Attachment
from .memory import DebugMemory, DebugMemoryError
from .rsp import INTERRUPT, Connection, Listener, unescape
from .target import PC_INDEX, REGISTERS, XPSR_T, memory_map_xml, target_xml, xfer_slice

SIGINT, SIGTRAP, SIGSEGV = 2, 5, 11
WATCH_KINDS = {2: "watch", 3: "rwatch", 4: "awatch"}


@dataclass
class Stop:
    signal: int
    detail: str = ""            # e.g. "watch:20000010;" or "hwbreak:;"

    def reply(self) -> str:
        return f"T{self.signal:02x}{self.detail}"


@dataclass
class Step:
    origin: int                 # PC the step started from
    depth: int                  # exceptions active when it started
    consumed: bool = False      # the instruction at origin has been reached (or preempted)


class GdbServer(Attachment):
    """One debugging session on one machine (one of ``machine.attachments``)."""

    def __init__(self, machine, listener: Listener,
                 say: Callable[[str], None] | None = None) -> None:
        self.m = machine
        self.listener = listener
        self.say = say or (lambda text: print(text, file=sys.stderr, flush=True))
        self.mem = DebugMemory(machine)
        self.conn: Connection | None = None
        self.attached = True
        self.started = False
        self.breakpoints: dict[int, tuple[int, int]] = {}      # addr -> (hook, kinds bitmask)
        self.watchpoints: dict[tuple[int, int, int], int] = {}  # (type, addr, len) -> hook
        self._hit: Stop | None = None           # set by a code hook inside emu_start
        self._watch_hit: Stop | None = None     # set by a memory hook inside emu_start
        self._interrupt = threading.Event()
        self._step: Step | None = None
        self._step_hook: int | None = None
        self._ignore_bp_at: int | None = None
        self._last_stop = Stop(SIGTRAP)
        self._mid_block = False                 # halted inside a block counted on entry
        self._features: set[str] = set()
        # "over": an exception entered during a step runs to its return unseen (its cycles at
        # their own time), so stepping never wanders into interrupt handlers; "into": the
        # step stops at the handler's first instruction (monitor isr-step into|over)
        self.isr_step = "over"
        self._moved = False                     # gdb moved the PC (or reset) while halted
        self.halted_seconds = 0.0
        # how long a halt lasts for the blocks whose DBGMCU freeze bit is 0 (they keep
        # counting on silicon): "real" (the halt's wall time), "frozen" (none) or a fixed
        # number of seconds per halt (monitor halt-clock real|frozen|SECONDS)
        self.halt_clock: str | float = "real"
        machine.counter.state[native.SKIP_BLOCK] = -1

    # --- the attachment interface (simulator/attachments) ----------------------------------
    def before_execute(self, machine) -> None:
        self.between_blocks()

    def cpu_stopped(self, machine) -> bool:
        return self.after_cpu()

    def breakpoint_instruction(self, machine, pc: int) -> bool:
        return self.on_bkpt(pc)

    def finish(self, machine, result) -> None:
        self.finished()

    def between_blocks(self) -> None:
        if not self.attached:
            return
        pc = self._pc()
        if not self.started:
            self.started = True
            self._wait_for_client()
            if self.conn is not None:
                self._halt(Stop(SIGTRAP), mid_block=False, announce=False)
            return
        step = self._step
        if step is not None and not step.consumed and pc != step.origin \
                and (self.isr_step == "into" or self._depth() <= step.depth):
            step.consumed = True                # preempted: the next instruction is the stop
        if self._ignore_bp_at is not None and pc != self._ignore_bp_at:
            self._ignore_bp_at = None
        if self._watch_hit is not None:
            stop, self._watch_hit = self._watch_hit, None
            self._halt(stop, mid_block=False)
        elif self._interrupt.is_set():
            self._halt(Stop(SIGINT), mid_block=False)

    def after_cpu(self) -> bool:
        hit, self._hit = self._hit, None
        if hit is not None and self._watch_hit is not None:
            hit, self._watch_hit = self._watch_hit, None     # the access is the news
        if hit is None or not self.attached or self.m._exit is not None:
            return False
        st = self.m.counter.state
        # an immediate stop the machine asked for too (interrupt unmasked at this PC): let the
        # run loop see it, exactly as it would without a debugger
        other = self.m._stop_requested and st[native.DEADLINE] != 0
        pc = self._pc()
        self._halt(hit, mid_block=True)
        if self.m._exit is not None:
            return False
        new_pc = self._pc()
        if new_pc == pc and not self._moved:
            if other:
                return False
            st[native.SKIP_BLOCK] = pc        # its cost was counted when the block began
        else:
            self.m.counter.undo_rest_of_block(pc)
            self.m.counter.forget_previous_block()
        return True

    def finished(self) -> None:
        if not self.attached or self.conn is None or self.conn.closed:
            self._close()
            return
        from ..machine import ExitReason
        reason, code, _ = self.m._exit or (ExitReason.LOCKUP, 4, None)
        if reason in (ExitReason.FAULT, ExitReason.LOCKUP):
            self._halt(Stop(SIGSEGV), mid_block=False, final=True)
            if self.conn is not None and not self.conn.closed:
                self.conn.send(f"X{SIGSEGV:02x}")
        elif self.conn is not None and not self.conn.closed:
            status = code if reason in (ExitReason.EXIT, ExitReason.IDLE) else 4
            self.conn.send(f"W{status & 0xFF:02x}")
        self._close()

    # --- connection ------------------------------------------------------------------------
    def _wait_for_client(self) -> None:
        self.say(f"simulate: gdb server listening on 127.0.0.1:{self.listener.port}; "
                 f"waiting for a client (gdb: target remote :{self.listener.port})")
        t0 = time.monotonic()
        self.conn = self.listener.accept()
        self.halted_seconds += time.monotonic() - t0
        self.conn.on_interrupt = self._on_interrupt
        self.say("simulate: gdb client connected")

    def _on_interrupt(self) -> None:
        """From the reader thread: stop at the next block boundary (re-asserted for a while
        in case the run loop was rewriting the deadline at that moment)."""
        self._interrupt.set()

        def nag() -> None:
            for _ in range(200):
                if not self._interrupt.is_set():
                    return
                self.m.counter.stop_soon()
                time.sleep(0.02)
        threading.Thread(target=nag, daemon=True, name="gdb-interrupt").start()

    def _close(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.listener.close()

    # --- halted: serve gdb ------------------------------------------------------------------
    def _halt(self, stop: Stop, mid_block: bool, final: bool = False,
              announce: bool = True) -> None:
        """Report ``stop`` (``announce``: gdb is waiting for a stop reply) and serve
        commands until gdb resumes, detaches or kills."""
        self._interrupt.clear()
        self._mid_block = mid_block
        self._moved = False
        self._step = None
        self._last_stop = stop
        t0 = time.monotonic()
        if announce:
            self.conn.send(stop.reply())
        try:
            while True:
                pkt = self.conn.receive()
                if pkt is None:                    # the client went away: detach
                    self._detach()
                    return
                if pkt == INTERRUPT:
                    continue
                action = self._command(pkt.decode("latin-1"), final)
                if action is not None:
                    if action in ("c", "s"):
                        self._resume(action)
                        self._unfrozen_blocks_ran(time.monotonic() - t0)
                    return
        finally:
            self.halted_seconds += time.monotonic() - t0

    def _unfrozen_blocks_ran(self, wall_s: float) -> None:
        """Timers and watchdogs whose DBGMCU freeze bit is 0 counted through the halt."""
        seconds = {"real": wall_s, "frozen": 0.0}.get(self.halt_clock, self.halt_clock)
        dbg = self.m.peripherals.get("DBGMCU")
        if seconds and dbg is not None and hasattr(dbg, "halted"):
            ran = dbg.halted(float(seconds), self.m.peripherals)
            if ran:
                self.m.log(f"gdb: halted {float(seconds):.3f} s; not frozen by DBGMCU, "
                           f"{', '.join(ran)} kept counting")

    def _resume(self, action: str) -> None:
        """``action``: "c", "s", "D" (detached), "k" (killed)."""
        pc = self._pc()
        if action == "s":
            self._step = Step(pc, self._depth())
            self._set_step_hook(True)
        else:
            self._set_step_hook(False)
            if action == "c" and pc in self.breakpoints:
                self._ignore_bp_at = pc

    # --- commands ----------------------------------------------------------------------------
    def _command(self, cmd: str, final: bool) -> str | None:
        """Answer one packet; return a resume action when gdb resumes the target."""
        c = self.conn
        head = cmd[:1]
        try:
            if cmd == "?":
                c.send(self._last_stop.reply())
            elif cmd.startswith("qSupported"):
                self._features = set(cmd.partition(":")[2].split(";"))
                c.send("PacketSize=4000;qXfer:features:read+;qXfer:memory-map:read+;"
                       "QStartNoAckMode+;swbreak+;hwbreak+;vContSupported+")
            elif cmd == "QStartNoAckMode":
                c.send("OK")
                c.no_ack = True
            elif cmd.startswith("qXfer:features:read:"):
                annex, _, rng = cmd[len("qXfer:features:read:"):].partition(":")
                if annex != "target.xml":
                    c.send("E00")
                else:
                    off, length = (int(x, 16) for x in rng.split(","))
                    c.send(xfer_slice(target_xml(), off, length))
            elif cmd.startswith("qXfer:memory-map:read::"):
                off, length = (int(x, 16) for x in cmd.rsplit(":", 1)[1].split(","))
                c.send(xfer_slice(memory_map_xml(self.m.platform), off, length))
            elif cmd == "qAttached" or cmd.startswith("qAttached:"):
                c.send("1")
            elif cmd == "qfThreadInfo":
                c.send("m1")
            elif cmd == "qsThreadInfo":
                c.send("l")
            elif cmd == "qC":
                c.send("QC1")
            elif cmd.startswith("qSymbol"):
                c.send("OK")
            elif cmd.startswith("qRcmd,"):
                from .monitor import monitor
                text = bytes.fromhex(cmd[6:]).decode("utf-8", errors="replace")
                out = monitor(self, text)
                if out:
                    c.send("O" + out.encode().hex())
                c.send("OK")
            elif head == "H" or head == "T":
                c.send("OK")
            elif head == "g":
                c.send("".join(self._reg_hex(i) for i in range(len(REGISTERS))))
            elif head == "G":
                self._write_all_registers(bytes.fromhex(cmd[1:]))
                c.send("OK")
            elif head == "p":
                n = int(cmd[1:], 16)
                c.send(self._reg_hex(n) if n < len(REGISTERS) else "E00")
            elif head == "P":
                n, _, val = cmd[1:].partition("=")
                n = int(n, 16)
                if n >= len(REGISTERS):
                    c.send("E00")
                else:
                    self._write_register(n, int.from_bytes(bytes.fromhex(val), "little"))
                    c.send("OK")
            elif head == "m":
                addr, n = (int(x, 16) for x in cmd[1:].split(","))
                c.send(self.mem.read(addr, n).hex())
            elif head == "M":
                where, _, data = cmd[1:].partition(":")
                addr, _n = (int(x, 16) for x in where.split(","))
                self.mem.write(addr, bytes.fromhex(data))
                c.send("OK")
            elif head == "X":
                where, _, data = cmd[1:].partition(":")
                addr, n = (int(x, 16) for x in where.split(","))
                if n:
                    self.mem.write(addr, unescape(data.encode("latin-1"))[:n])
                c.send("OK")
            elif head in "Zz" and len(cmd) > 1 and cmd[1] in "01234":
                c.send(self._breakpoint(cmd))
            elif cmd == "vCont?":
                c.send("vCont;c;C;s;S")
            elif cmd.startswith("vCont;"):
                actions = [a.split(":")[0] for a in cmd[6:].split(";")]
                if final:
                    return "final"
                return "s" if any(a[:1] in "sS" for a in actions) else "c"
            elif head in "cCsS":
                if final:
                    return "final"
                self._resume_address(cmd)
                return "s" if head in "sS" else "c"
            elif head == "D":
                c.send("OK")
                self._detach()
                return "D"
            elif head == "k" or cmd.startswith("vKill"):
                if cmd.startswith("vKill"):
                    c.send("OK")
                self._kill()
                return "k"
            else:
                c.send("")                       # not supported (GDB manual: empty reply)
        except DebugMemoryError:
            c.send("E0e")
        except (ValueError, IndexError, UcError):
            c.send("E01")
        return None

    def _resume_address(self, cmd: str) -> None:
        """``c ADDR`` / ``s ADDR``: resume at ADDR (``C sig;ADDR`` likewise)."""
        arg = cmd[1:]
        if cmd[0] in "CS":
            arg = arg.partition(";")[2]
        if arg:
            self._write_register(PC_INDEX, int(arg, 16))

    # --- registers -------------------------------------------------------------------------
    def _depth(self) -> int:
        return len(self.m.engine.active)

    def _pc(self) -> int:
        return int(self.m.uc.reg_read(UC_ARM_REG_PC)) & ~1

    def _reg_value(self, n: int) -> int:
        r = REGISTERS[n]
        v = int(self.m.uc.reg_read(r.uc))
        if r.uc == UC_ARM_REG_XPSR:
            v |= XPSR_T
        return v & ((1 << r.bits) - 1)

    def _reg_hex(self, n: int) -> str:
        return self._reg_value(n).to_bytes(REGISTERS[n].bits // 8, "little").hex()

    def _write_register(self, n: int, value: int) -> None:
        r = REGISTERS[n]
        if r.uc == UC_ARM_REG_XPSR:
            value |= XPSR_T
        if n == PC_INDEX:
            value &= ~1
            if value != self._pc():
                self._moved = True
        # xPSR with its GE bits (Unicorn's plain XPSR write leaves APSR<19:16> alone)
        self.m.uc.reg_write(UC_ARM_REG_XPSR_NZCVQG if r.uc == UC_ARM_REG_XPSR else r.uc, value)

    def _write_all_registers(self, data: bytes) -> None:
        off = 0
        for n, r in enumerate(REGISTERS):
            size = r.bits // 8
            if off + size > len(data):
                break
            value = int.from_bytes(data[off:off + size], "little")
            if value != self._reg_value(n):
                self._write_register(n, value)
            off += size

    # --- breakpoints and watchpoints -------------------------------------------------------
    def _breakpoint(self, cmd: str) -> str:
        insert = cmd[0] == "Z"
        kind = int(cmd[1])
        addr_s, length_s = cmd[3:].split(";")[0].split(",")[:2]
        addr, length = int(addr_s, 16), int(length_s, 16)
        uc = self.m.uc
        if kind in (0, 1):
            addr &= ~1
            bit = 1 << kind
            hook, kinds = self.breakpoints.get(addr, (None, 0))
            if insert:
                if hook is None:
                    hook = uc.hook_add(UC_HOOK_CODE, self._on_break, begin=addr, end=addr)
                    uc.ctl_remove_cache(addr, addr + 4)
                self.breakpoints[addr] = (hook, kinds | bit)
            elif hook is not None:
                kinds &= ~bit
                if kinds:
                    self.breakpoints[addr] = (hook, kinds)
                else:
                    uc.hook_del(hook)
                    del self.breakpoints[addr]
                    uc.ctl_remove_cache(addr, addr + 4)
            return "OK"
        key = (kind, addr, max(length, 1))
        if insert:
            if key not in self.watchpoints:
                types = {2: UC_HOOK_MEM_WRITE, 3: UC_HOOK_MEM_READ,
                         4: UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE}[kind]
                self.watchpoints[key] = uc.hook_add(types, self._on_watch, user_data=key,
                                                    begin=addr, end=addr + key[2] - 1)
                uc.ctl_flush_tb()           # loads and stores take the hook path from now on
        else:
            hook = self.watchpoints.pop(key, None)
            if hook is not None:
                uc.hook_del(hook)
                if not self.watchpoints:
                    self._unlink_deleted_hooks()
        return "OK"

    def _on_break(self, uc, address: int, size: int, user_data) -> None:
        if self._ignore_bp_at == address:
            self._ignore_bp_at = None           # resuming from this breakpoint
            return
        if self._step is not None:
            return                              # the step hook decides
        self._ignore_bp_at = None
        self._hit = Stop(SIGTRAP)
        uc.emu_stop()

    def _on_step(self, uc, address: int, size: int, user_data) -> None:
        step = self._step
        if step is None:
            return
        if self.isr_step == "over" and self._depth() > step.depth:
            return                              # inside a handler entered during the step
        if not step.consumed and address == step.origin:
            step.consumed = True
            self._ignore_bp_at = None
            return
        self._hit = Stop(SIGTRAP)
        uc.emu_stop()

    def on_bkpt(self, pc: int) -> bool:
        """A BKPT instruction (not semihosting): with a client, halt on it (the PC stays at
        the BKPT, as on silicon: gdb moves past it); without one the machine faults."""
        if not self.attached or self.conn is None or self.conn.closed:
            return False
        self._hit = Stop(SIGTRAP)
        self.m.uc.emu_stop()
        return True

    def _on_watch(self, uc, access: int, address: int, size: int, value: int, key) -> None:
        kind, start, _ = key
        if self._watch_hit is None:
            hit = max(address, start)
            self._watch_hit = Stop(SIGTRAP, f"{WATCH_KINDS[kind]}:{hit:x};")
            self.m.counter.stop_soon()

    def _set_step_hook(self, on: bool) -> None:
        uc = self.m.uc
        if on and self._step_hook is None:
            self._step_hook = uc.hook_add(UC_HOOK_CODE, self._on_step, begin=1, end=0)
            uc.ctl_flush_tb()
        elif not on and self._step_hook is not None:
            uc.hook_del(self._step_hook)
            self._step_hook = None
            self._unlink_deleted_hooks()

    def _unlink_deleted_hooks(self) -> None:
        """Unicorn unlinks deleted hooks only when uc_emu_start returns (and translates every
        load/store on the slow path while a memory hook is linked): an empty run unlinks them,
        a flush then retranslates without them, so the speed of a run without a debugger
        comes back (the same trick as simulator/dcache.py)."""
        st = self.m.counter.state
        saved = [int(st[i]) for i in (native.DEADLINE, native.STOPPED, native.SKIP_BLOCK)]
        st[native.DEADLINE], st[native.SKIP_BLOCK] = 0, -1
        pc = self._pc()
        try:
            self.m.uc.emu_start(pc | 1, pc)
        except UcError:
            pass
        st[native.DEADLINE], st[native.STOPPED], st[native.SKIP_BLOCK] = saved
        self.m.uc.ctl_flush_tb()

    def _remove_all(self) -> None:
        uc = self.m.uc
        for hook, _ in self.breakpoints.values():
            uc.hook_del(hook)
        for hook in self.watchpoints.values():
            uc.hook_del(hook)
        had = bool(self.breakpoints or self.watchpoints or self._step_hook is not None)
        if self._step_hook is not None:
            uc.hook_del(self._step_hook)
            self._step_hook = None
        self.breakpoints.clear()
        self.watchpoints.clear()
        self._step = None
        if had:
            self._unlink_deleted_hooks()

    def _detach(self) -> None:
        self._remove_all()
        self.attached = False
        self._close()
        self.say("simulate: gdb detached; the run continues")

    def _kill(self) -> None:
        self._remove_all()
        self.attached = False
        self.m._finish("killed", 4, f"killed by the debugger at {self.m.fw.describe(self._pc())}")
        self._close()
