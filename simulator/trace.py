"""Instruction traces inside a window: which instruction ran at which cycle.

Outside the window nothing changes (the native block hook alone runs). Inside it a Python
``UC_HOOK_CODE`` records (pc, cycle) per instruction, limited to an address range when a
function is named (Unicorn only instruments code in the hook's range, so the rest of the
program keeps full speed). The window opens and closes through the machine's event queue,
and the translated code is flushed each time so the hook takes effect at once.

File format (little endian), see docs/profiling.md::

    magic   8 bytes  b"H7TRACE1"
    hlen    u32      length of the JSON header
    header  hlen     UTF-8 JSON: firmware, core_hz, window, count, first_cycle, truncated
    pcs     u32[count]   instruction addresses (Thumb bit clear)
    deltas  u32[count]   cycle of each instruction minus that of the one before
                         (the first relative to header.first_cycle)

Cycle of an instruction = the cycle its block started at + the stalls charged on entering
the block (I-cache line fills, a mispredict, estimated D-side stalls) + the stalls charged
inside it so far (peripheral bus, measured D-cache misses) + the static cost of the
instructions before it in the block (NativeCounter.cycle_at), never earlier than the
instruction before it (in-order issue). A gap the u32 delta cannot hold (a sleep of more than
2^32 cycles) ends the trace there, marked truncated.
"""

from __future__ import annotations

import json
import struct
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"H7TRACE1"


REG_NAMES = [f"r{i}" for i in range(13)] + ["sp", "lr"]
REG_RECORD = np.dtype([("insn", "<u4"), ("reg", "u1"), ("pad", "u1", 3), ("value", "<u4")])
MEM_RECORD = np.dtype([("insn", "<u4"), ("address", "<u4"), ("value", "<u4"), ("size", "u1"),
                       ("write", "u1"), ("pad", "<u2")])


@dataclass
class Trace:
    header: dict
    pcs: np.ndarray          # uint32
    cycles: np.ndarray       # int64, absolute
    registers: np.ndarray | None = None   # REG_RECORD: register writes of instruction `insn`
    memory: np.ndarray | None = None      # MEM_RECORD: data accesses of instruction `insn`

    def __len__(self) -> int:
        return len(self.pcs)


class TraceRecorder:
    """Attach to a Machine before ``run()``; call :meth:`write` after it."""

    def __init__(self, machine, start_cycle: int = 0, cycles: int | None = None,
                 max_insns: int = 1_000_000, function: str | None = None,
                 start_at: str | None = None,
                 address_range: tuple[int, int] | None = None,
                 registers: bool = False, memory: bool = False) -> None:
        self.m = machine
        self.want_regs = registers
        self.want_mem = memory
        self.reg_records: list[tuple[int, int, int]] = []
        self.mem_records: list[tuple[int, int, int, int, int]] = []
        self._last_regs: list[int] | None = None
        self._mem_hook = None
        from unicorn.arm_const import UC_ARM_REG_LR, UC_ARM_REG_R0, UC_ARM_REG_SP
        self._reg_ids = [UC_ARM_REG_R0 + i for i in range(13)] + [UC_ARM_REG_SP, UC_ARM_REG_LR]
        self.start = max(int(start_cycle), 0)
        self.cycles = int(cycles) if cycles else None
        self.end = self.start + self.cycles if self.cycles else None
        self.max = int(max_insns)
        self.function = function
        self.start_at = start_at
        if function is not None:
            sym = machine.fw.symbol(function)
            if sym is None or sym.kind not in ("FUNC", "NOTYPE"):
                raise ValueError(f"--trace-function: no function named {function!r}")
            size = sym.size or 2
            self.range = (sym.addr & ~1, (sym.addr & ~1) + size - 1)
        elif address_range is not None:
            self.range = (address_range[0] & ~1, address_range[1])
        else:
            self.range = (0, 0xFFFFFFFF)
        self.pcs: list[int] = []
        self.cyc: list[int] = []
        self.truncated = False
        self._hook = None
        self._done = False
        self._trigger = None
        if start_at is not None:
            # open the window when execution first reaches SYMBOL or ADDR
            addr = resolve_address(machine.fw, start_at)
            from unicorn import UC_HOOK_CODE
            self._trigger = machine.uc.hook_add(UC_HOOK_CODE, self._triggered, begin=addr,
                                                end=addr)
        elif self.start <= 0:
            self._on()
        else:
            machine.schedule(self.start, lambda _c: self._on())

    def _triggered(self, uc, address: int, size: int, _ud) -> None:
        # a code hook may not reshape hooks mid-block: open the window from the event loop
        if self._trigger is None:
            return
        # Stop before this instruction runs (the PC is exact in code hooks) and take back the
        # cost of the rest of its block, which runs again, counted, when the CPU resumes.
        self.m.counter.undo_rest_of_block(address)
        self.m.counter.forget_previous_block()     # its branch was already predicted
        self.start = self.m.now()
        if self.cycles:
            self.end = self.start + self.cycles
        self.m.schedule(self.m.now(), lambda _c: self._open_from_trigger())
        self.m._stop_requested = True
        uc.emu_stop()

    def _open_from_trigger(self) -> None:
        if self._trigger is not None:
            self.m.uc.hook_del(self._trigger)
            self._trigger = None
            self._on()

    def _flush(self) -> None:
        self.m.uc.ctl_remove_cache(0, 0xFFFFFFFF)

    def _on(self) -> None:
        if self._hook is not None or self._done:
            return
        from unicorn import UC_HOOK_CODE
        self._hook = self.m.uc.hook_add(UC_HOOK_CODE, self._record, begin=self.range[0],
                                        end=self.range[1])
        if self.want_mem:
            from unicorn import UC_HOOK_MEM_READ, UC_HOOK_MEM_WRITE
            self._mem_hook = self.m.uc.hook_add(UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE,
                                                self._record_mem)
        self._flush()
        if self.end is not None:
            self.m.schedule(self.end, lambda _c: self._off())

    def _off(self) -> None:
        self._done = True
        if self._hook is not None:
            self.m.uc.hook_del(self._hook)
            self._hook = None
            if self._mem_hook is not None:
                self.m.uc.hook_del(self._mem_hook)
                self._mem_hook = None
            self._flush()

    def _record_mem(self, uc, access: int, address: int, size: int, value: int, _ud) -> None:
        """A data access by the instruction recorded last (reads: the value in memory)."""
        from unicorn import UC_MEM_WRITE
        if not self.pcs or self._done or self.truncated:
            return
        write = access == UC_MEM_WRITE
        if not write:
            # Memory is read back for the value; a peripheral register is not (reading it
            # again could have side effects): its read value is recorded as 0.
            value = 0
            if self.m.platform.region_at(address, size) is not None:
                try:
                    value = int.from_bytes(bytes(uc.mem_read(address, size)), "little")
                except Exception:
                    value = 0
        self.mem_records.append((len(self.pcs) - 1, address & 0xFFFFFFFF,
                                 value & 0xFFFFFFFF, size, int(write)))

    def _record(self, uc, address: int, size: int, _ud) -> None:
        if self.truncated and self.pcs:
            return
        if len(self.pcs) >= self.max:
            if not self.truncated:
                self.truncated = True
                # close the window at the next block start (never from inside a hook)
                self.m.schedule(self.m.now(), lambda _c: self._off())
            return
        c = self.m.counter.cycle_at(address)
        if self.end is not None and c >= self.end:
            return
        if self.cyc:
            # in order: an instruction issues no earlier than the one before it (a block
            # entered dual-issued with the branch that led to it can start a cycle early)
            c = max(c, self.cyc[-1])
            if c - self.cyc[-1] > 0xFFFFFFFF:
                # the format's u32 delta cannot hold this gap (a sleep of > 2^32 cycles):
                # the trace ends here, marked truncated
                self.truncated = True
                self.m.schedule(self.m.now(), lambda _c: self._off())
                return
        if self.want_regs:
            # registers now hold what the previous recorded instruction wrote
            regs = [uc.reg_read(r) for r in self._reg_ids]
            if self._last_regs is not None and self.pcs:
                k = len(self.pcs) - 1
                for i, (old, new) in enumerate(zip(self._last_regs, regs)):
                    if old != new:
                        self.reg_records.append((k, i, new))
            self._last_regs = regs
        self.pcs.append(address & ~1)
        self.cyc.append(c)

    def trace(self) -> Trace:
        pcs = np.asarray(self.pcs, dtype=np.uint32)
        cyc = np.asarray(self.cyc, dtype=np.int64)
        header = {"format": 1, "firmware": str(self.m.fw.path), "core_hz": self.m.core_hz,
                  "window": {"start_cycle": self.start, "end_cycle": self.end,
                             "function": self.function, "max_instructions": self.max,
                             "start_at": self.start_at,
                             "address_range": [self.range[0], self.range[1]]},
                  "count": int(len(pcs)), "first_cycle": int(cyc[0]) if len(cyc) else 0,
                  "truncated": self.truncated}
        regs = mem = None
        if self.want_regs:
            regs = np.zeros(len(self.reg_records), dtype=REG_RECORD)
            for j, (k, r, v) in enumerate(self.reg_records):
                regs[j]["insn"], regs[j]["reg"], regs[j]["value"] = k, r, v & 0xFFFFFFFF
            header["register_records"] = int(len(regs))
        if self.want_mem:
            mem = np.zeros(len(self.mem_records), dtype=MEM_RECORD)
            for j, (k, a, v, size, w) in enumerate(self.mem_records):
                mem[j]["insn"], mem[j]["address"], mem[j]["value"] = k, a, v
                mem[j]["size"], mem[j]["write"] = size, w
            header["memory_records"] = int(len(mem))
        return Trace(header, pcs, cyc, regs, mem)

    def write(self, path: Path) -> Trace:
        self._off()
        t = self.trace()
        write_trace(path, t)
        return t


def resolve_address(fw, text: str) -> int:
    """A symbol name or a number (0x...) -> code address (Thumb bit clear)."""
    sym = fw.symbol(text)
    if sym is not None:
        return sym.addr & ~1
    try:
        return int(text, 0) & ~1
    except ValueError:
        raise ValueError(f"--trace-from: {text!r} is neither a symbol nor an address") from None


def parse_range(text: str) -> tuple[int, int]:
    """'LO:HI' (numbers, 0x...) -> inclusive address range."""
    try:
        lo, hi = (int(x, 0) for x in text.split(":", 1))
    except ValueError:
        raise ValueError(f"--trace-range wants LO:HI addresses, not {text!r}") from None
    if hi < lo:
        raise ValueError(f"--trace-range {text}: HI is below LO")
    return lo, hi


def write_trace(path: Path, t: Trace) -> None:
    deltas = np.diff(t.cycles, prepend=t.header["first_cycle"]) if len(t.cycles) else \
        np.zeros(0, dtype=np.int64)
    if len(deltas) and (deltas.min() < 0 or deltas.max() > 0xFFFFFFFF):
        raise ValueError("cycle deltas out of range for the trace format")
    head = json.dumps(t.header).encode()
    from .output import open_output
    with open_output(path, binary=True) as fh:
        fh.write(MAGIC)
        fh.write(struct.pack("<I", len(head)))
        fh.write(head)
        fh.write(t.pcs.astype("<u4").tobytes())
        fh.write(deltas.astype("<u4").tobytes())
        if t.registers is not None:
            fh.write(t.registers.tobytes())
        if t.memory is not None:
            fh.write(t.memory.tobytes())


MAX_TRACE_BYTES = 1 << 36       # 64 GiB: far beyond any --trace-max a host could record


def read_trace(path: Path) -> Trace:
    """Read a trace file; ValueError (one line) for anything that is not one: a FIFO or
    device is refused unread, a damaged header or a size that does not match it."""
    from .elf import FirmwareError, read_bounded

    try:
        data = read_bounded(Path(path), MAX_TRACE_BYTES, "trace")
    except FirmwareError as exc:
        raise ValueError(str(exc)) from None
    if data[:8] != MAGIC or len(data) < 12:
        raise ValueError(f"{path} is not an h7sim instruction trace")
    try:
        (hlen,) = struct.unpack_from("<I", data, 8)
        header = json.loads(data[12:12 + hlen].decode())
        n = int(header["count"])
        nr = int(header.get("register_records", 0))
        nm = int(header.get("memory_records", 0))
        first = int(header["first_cycle"])
    except (struct.error, UnicodeDecodeError, ValueError, KeyError, TypeError,
            AttributeError, OverflowError):
        raise ValueError(f"{path} is an h7sim trace with a damaged header") from None
    off = 12 + hlen
    want = off + 8 * n + nr * REG_RECORD.itemsize + nm * MEM_RECORD.itemsize
    if min(n, nr, nm) < 0 or len(data) != want:
        raise ValueError(f"{path} is truncated ({len(data)} bytes, expected {want})")
    pcs = np.frombuffer(data, dtype="<u4", count=n, offset=off).astype(np.uint32)
    deltas = np.frombuffer(data, dtype="<u4", count=n, offset=off + 4 * n).astype(np.int64)
    cycles = first + np.cumsum(deltas)
    off += 8 * n
    regs = mem = None
    if "register_records" in header:
        regs = np.frombuffer(data, dtype=REG_RECORD, count=nr, offset=off).copy()
        off += nr * REG_RECORD.itemsize
    if "memory_records" in header:
        mem = np.frombuffer(data, dtype=MEM_RECORD, count=nm, offset=off).copy()
    return Trace(header, pcs, cycles, regs, mem)


def dump_text(t: Trace, fw=None, limit: int | None = None, out=None) -> None:
    """One line per instruction: cycle, +delta, address, function+offset (source line),
    disassembly (when the firmware ELF is given)."""
    out = out if out is not None else sys.stdout
    md = None
    if fw is not None:
        from capstone import CS_ARCH_ARM, CS_MODE_MCLASS, CS_MODE_THUMB, Cs
        md = Cs(CS_ARCH_ARM, CS_MODE_THUMB | CS_MODE_MCLASS)
        code = {}
        for a, d in fw.code_ranges():
            code[a] = d
    cache: dict[int, str] = {}
    prev = None
    n = len(t) if limit is None else min(limit, len(t))
    extra: dict[int, list[str]] = {}
    if t.registers is not None:
        for rec in t.registers:
            r = int(rec["reg"])
            name = REG_NAMES[r] if r < len(REG_NAMES) else f"reg{r}"
            extra.setdefault(int(rec["insn"]), []).append(f"{name}={int(rec['value']):#x}")
    if t.memory is not None:
        for rec in t.memory:
            arrow = "<-" if rec["write"] else "->"
            extra.setdefault(int(rec["insn"]), []).append(
                f"[{int(rec['address']):#010x}]{int(rec['size'])} {arrow} {int(rec['value']):#x}")
    for i in range(n):
        pc = int(t.pcs[i])
        c = int(t.cycles[i])
        d = 0 if prev is None else c - prev
        prev = c
        text = cache.get(pc)
        if text is None:
            text = ""
            if fw is not None:
                where = fw.describe(pc)
                insn = ""
                for a, data in code.items():
                    if a <= pc < a + len(data):
                        for ins in md.disasm(data[pc - a:pc - a + 4], pc, 1):
                            insn = f"{ins.mnemonic} {ins.op_str}".strip()
                        break
                text = f"{where:<40} {insn}"
            cache[pc] = text
        more = extra.get(i)
        tail = ("   ; " + " ".join(more)) if more else ""
        out.write(f"{c:>14} +{d:<4} {pc:#010x}  {text}{tail}\n")
