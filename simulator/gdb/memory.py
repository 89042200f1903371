"""Debugger memory access: RAM and flash straight from the machine's buffers, peripheral
windows through the same register models the CPU reaches (so a read has the side effects a
read has on silicon, e.g. clearing a status flag), with no bus cycles charged to the core."""

from __future__ import annotations

from unicorn import UcError


class DebugMemoryError(Exception):
    """The address range is not backed by memory or a peripheral window."""


class DebugMemory:
    def __init__(self, machine) -> None:
        self.m = machine
        self._mmio_pages = {page for w in machine.platform.peripherals
                            for page in range(w.base & ~0x3FF, w.end, 0x400)}

    def _is_mmio(self, addr: int) -> bool:
        return (addr & ~0x3FF) in self._mmio_pages

    def _pieces(self, addr: int, n: int):
        """Split [addr, addr+n) into (start, length, mmio?) runs."""
        end = addr + n
        while addr < end:
            mmio = self._is_mmio(addr)
            nxt = min(end, (addr & ~0x3FF) + 0x400)
            while nxt < end and self._is_mmio(nxt) == mmio:
                nxt = min(end, nxt + 0x400)
            yield addr, nxt - addr, mmio
            addr = nxt

    def read(self, addr: int, n: int) -> bytes:
        out = bytearray()
        for start, length, mmio in self._pieces(addr & 0xFFFFFFFF, n):
            if mmio:
                out += self._read_mmio(start, length)
                continue
            try:
                out += bytes(self.m.uc.mem_read(start, length))
            except UcError as exc:
                if not out:
                    raise DebugMemoryError(f"cannot read {start:#010x}") from exc
                break                    # a partial read is a valid answer (GDB manual, m)
        return bytes(out)

    def _access_units(self, addr: int, n: int):
        """Register-sized accesses covering [addr, addr+n): one access of the requested size
        when it is 1, 2 or 4 bytes and aligned, else aligned words."""
        if n in (1, 2, 4) and addr % n == 0:
            yield addr, n
            return
        a = addr & ~3
        while a < addr + n:
            yield a, 4
            a += 4

    def _read_mmio(self, addr: int, n: int) -> bytes:
        buf = bytearray()
        base = None
        for a, size in self._access_units(addr, n):
            base = a if base is None else base
            p = self.m._window(a)
            value = p.read(a - p.base, size) if p is not None else 0
            buf += int(value & ((1 << (8 * size)) - 1)).to_bytes(size, "little")
        return bytes(buf[addr - base:addr - base + n])

    def write(self, addr: int, data: bytes) -> None:
        addr &= 0xFFFFFFFF
        off = 0
        for start, length, mmio in self._pieces(addr, len(data)):
            chunk = data[off:off + length]
            off += length
            if mmio:
                self._write_mmio(start, chunk)
            else:
                self._write_memory(start, chunk)

    def _write_memory(self, addr: int, data: bytes) -> None:
        m = self.m
        region = m.platform.region_at(addr, len(data))
        if region is not None and region.kind == "flash":
            # the CPU may not write flash (mapped read-only); the debugger programs it
            buf = m.memory[region.name]
            buf[addr - region.base:addr - region.base + len(data)] = bytearray(data)
        else:
            try:
                m.uc.mem_write(addr, bytes(data))
            except UcError as exc:
                raise DebugMemoryError(f"cannot write {addr:#010x}") from exc
        m.uc.ctl_remove_cache(addr & ~1, addr + len(data) + 1)   # code may have changed

    def _write_mmio(self, addr: int, data: bytes) -> None:
        # read-modify-write of whole words would touch registers the user did not name
        if not (len(data) in (1, 2, 4) and addr % len(data) == 0) and (addr % 4 or len(data) % 4):
            raise DebugMemoryError("peripheral writes must be 1, 2 or 4 aligned bytes, "
                                   "or whole words")
        for a, size in self._access_units(addr, len(data)):
            p = self.m._window(a)
            value = int.from_bytes(data[a - addr:a - addr + size], "little")
            if p is not None:
                p.write(a - p.base, size, value)
        self.m.request_dispatch()
