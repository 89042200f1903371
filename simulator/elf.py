"""Firmware ELF: loadable segments, sections, symbols and DWARF line information."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from elftools.elf.elffile import ELFFile

    from .dwarf_lines import LineTable

EM_ARM = "EM_ARM"
#: The largest firmware file read. The loadable bytes of a firmware can be no more than the
#: chip's flash and RAM (a few MiB), but DWARF of a real project (-g3, FreeRTOS, HAL) can be
#: tens of times that; a bigger file is refused before it is read.
MAX_FILE_BYTES = 256 << 20


class FirmwareError(ValueError):
    """The firmware file cannot be used (one line, shown to the user)."""


@dataclass(frozen=True)
class Segment:
    paddr: int       # load address (where the bytes are placed at reset)
    vaddr: int
    data: bytes
    memsz: int
    flags: int


@dataclass(frozen=True)
class Section:
    name: str
    addr: int        # run (virtual) address
    load_addr: int   # where its bytes sit in the image (LMA)
    size: int
    alloc: bool
    write: bool
    execute: bool
    nobits: bool
    data: bytes = b""

    @property
    def end(self) -> int:
        return self.addr + self.size


@dataclass(frozen=True)
class Symbol:
    name: str
    addr: int
    size: int
    kind: str        # FUNC | OBJECT | NOTYPE


@dataclass
class Firmware:
    path: Path
    entry: int
    segments: list[Segment]
    sections: list[Section]
    symbols: dict[str, Symbol]
    functions: list[Symbol]                 # sorted by address
    mapping: list[tuple[int, str]]          # ARM mapping symbols ($t / $a / $d), sorted
    _elf_bytes: bytes = field(repr=False, default=b"")

    # --- lookups ---------------------------------------------------------------------------
    def symbol(self, name: str) -> Symbol | None:
        return self.symbols.get(name)

    def function_at(self, addr: int) -> Symbol | None:
        """The function containing ``addr``; for code without sized function symbols
        (assembly), the nearest label before it (within 4 KB)."""
        addr &= ~1
        i = bisect.bisect_right(self._func_addrs, addr) - 1
        nearest = None
        while i >= 0:
            f = self.functions[i]
            if f.size and f.addr <= addr < f.addr + f.size:
                return f
            if nearest is None and not f.size and addr - f.addr < 4096:
                nearest = f
            if addr - f.addr > 65536:
                break
            i -= 1
        return nearest

    @cached_property
    def _func_addrs(self) -> list[int]:
        return [f.addr for f in self.functions]

    def section(self, name: str) -> Section | None:
        for s in self.sections:
            if s.name == name:
                return s
        return None

    def describe(self, addr: int) -> str:
        """'function+0x12 (file.c:34)' for a code address, as well as can be said."""
        f = self.function_at(addr)
        where = f"{f.name}+{(addr & ~1) - f.addr:#x}" if f else f"{addr:#010x}"
        line = self.line_at(addr)
        return f"{where} ({Path(line[0]).name}:{line[1]})" if line else where

    def line_at(self, addr: int) -> tuple[str, int] | None:
        """(source file as a full path, line) of a code address, from DWARF."""
        table = self._line_table
        return table.lookup(addr & ~1) if table is not None else None

    def function_line(self, addr: int) -> tuple[str, int] | None:
        """The opening line of the function that starts at ``addr``."""
        table = self._line_table
        return table.first_at(addr & ~1) if table is not None else None

    @cached_property
    def _line_table(self) -> LineTable | None:
        """DWARF .debug_line without the sequences of linker-discarded functions, built on
        first use (simulator/dwarf_lines.py)."""
        code = [(s.addr, s.end) for s in self.sections
                if s.alloc and s.execute and s.size]

        def symbol_at(addr: int) -> tuple[str, int, int] | None:
            i = bisect.bisect_left(self._func_addrs, addr)
            if i < len(self.functions) and self.functions[i].addr == addr:
                f = self.functions[i]              # sorted by (addr, -size): the sized one
                return f.name, f.addr, f.size
            return None

        def build() -> LineTable | None:
            from .dwarf_lines import read_line_table
            try:
                return read_line_table(self._elf_bytes, code, symbol_at)
            except Exception:  # malformed debug info must never break a run
                return None

        from . import cache
        return cache.cached("lines", cache.key(self.sha256, cache.source_hash(
            "dwarf_lines.py", "elf.py")), build)

    @cached_property
    def sha256(self) -> str:
        """Hash of the ELF file (the key of everything cached about it: simulator/cache.py)."""
        import hashlib
        return hashlib.sha256(self._elf_bytes).hexdigest()

    def code_ranges(self) -> list[tuple[int, bytes]]:
        """(run address, bytes) of every executable allocated section (at its run address,
        so code that startup copies into ITCM is included)."""
        return [(s.addr, s.data) for s in self.sections
                if s.alloc and s.execute and not s.nobits and s.size]

    def thumb_ranges(self, start: int, end: int) -> list[tuple[int, int]]:
        """Sub-ranges of [start, end) that hold Thumb code per the ARM mapping symbols
        ($t code, $d data). With no mapping symbols the whole range is code."""
        marks = [(a, k) for a, k in self.mapping if start <= a < end]
        if not marks:
            return [(start, end)]
        out: list[tuple[int, int]] = []
        kind = "$t"
        # the kind in force at `start` is that of the last mark before it
        before = [k for a, k in self.mapping if a < start]
        if before:
            kind = before[-1]
        cur = start
        for a, k in marks + [(end, "$end")]:
            if kind == "$t" and a > cur:
                out.append((cur, a))
            cur, kind = a, k
        return out


def read_bounded(path: Path, limit: int, what: str) -> bytes:
    """The bytes of ``path`` if it is a regular file of at most ``limit`` bytes. A FIFO,
    device or folder is refused before it is opened for reading (``/dev/zero`` and a FIFO
    would otherwise be read forever or block); at most ``limit + 1`` bytes are ever read."""
    import os
    import stat

    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            kind = "a folder" if stat.S_ISDIR(st.st_mode) else "not a regular file"
            raise FirmwareError(f"{what} {_name(path)} is {kind}")
        if st.st_size > limit:
            raise FirmwareError(f"{what} {_name(path)} is {st.st_size:,} bytes; "
                                f"the limit is {limit:,}")
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):   # swapped since the stat
                raise FirmwareError(f"{what} {_name(path)} is not a regular file")
            # in pieces: one read(limit + 1) would allocate the whole limit up front
            chunks: list[bytes] = []
            size = 0
            while size <= limit:
                chunk = f.read(min(1 << 24, limit + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            raw = b"".join(chunks)
    except OSError as exc:
        raise FirmwareError(f"cannot read {what} {_name(path)}: {exc.strerror or exc}") from exc
    if len(raw) > limit:
        raise FirmwareError(f"{what} {_name(path)} is larger than {limit:,} bytes")
    return raw


def _name(path: Path) -> str:
    """A file name for a one-line message: control characters (a newline in the name)
    shown escaped."""
    text = str(path)
    return repr(text) if any(ord(c) < 32 or c == "\x7f" for c in text) else text


def load_firmware(path: str | Path) -> Firmware:
    path = Path(path)
    raw = read_bounded(path, MAX_FILE_BYTES, "firmware")
    shown = _name(path)
    if raw[:4] != b"\x7fELF":
        raise FirmwareError(f"{shown} is not an ELF file")
    import hashlib

    from . import cache
    digest = hashlib.sha256(raw).hexdigest()
    # parsed once per ELF content (the symbol table alone took ~0.05 CPU s through
    # pyelftools, and importing it ~0.03 s more): simulator/cache.py
    entry, segments, sections, symbols, functions, mapping = cache.cached(
        "elf", cache.key(digest, cache.source_hash("elf.py")), lambda: _parse(raw, shown))
    fw = Firmware(path, entry, segments, sections, symbols, functions, mapping, raw)
    fw.__dict__["sha256"] = digest              # the cached_property, already known
    return fw


def _parse(raw: bytes, shown: str) -> tuple:
    """(entry, segments, sections, symbols, functions, mapping) of an ELF image."""
    import io

    from elftools.common.exceptions import ELFError
    from elftools.elf.constants import SH_FLAGS
    from elftools.elf.elffile import ELFFile
    from elftools.elf.sections import SymbolTableSection

    try:
        elf = ELFFile(io.BytesIO(raw))
        if elf["e_machine"] != EM_ARM or elf.elfclass != 32:
            raise FirmwareError(f"{shown} is an ELF for {elf['e_machine']}, not 32-bit ARM")
        segments = []
        for seg in elf.iter_segments():
            if seg["p_type"] != "PT_LOAD":
                continue
            data = seg.data()
            if len(data) != seg["p_filesz"]:
                raise FirmwareError(f"{shown} is truncated (a segment ends past the file)")
            segments.append(Segment(seg["p_paddr"], seg["p_vaddr"], data, seg["p_memsz"],
                                    seg["p_flags"]))
        sections = []
        for sec in elf.iter_sections():
            flags = sec["sh_flags"]
            alloc = bool(flags & SH_FLAGS.SHF_ALLOC)
            nobits = sec["sh_type"] == "SHT_NOBITS"
            data = b""
            if alloc and not nobits:
                data = sec.data()
                if len(data) != sec["sh_size"]:
                    raise FirmwareError(f"{shown} is truncated (section {sec.name})")
            sections.append(Section(
                sec.name, sec["sh_addr"], _load_address(segments, sec), sec["sh_size"], alloc,
                bool(flags & SH_FLAGS.SHF_WRITE), bool(flags & SH_FLAGS.SHF_EXECINSTR), nobits,
                data))
        symbols: dict[str, Symbol] = {}
        functions: list[Symbol] = []
        mapping: list[tuple[int, str]] = []
        for sec in elf.iter_sections():
            if not isinstance(sec, SymbolTableSection):
                continue
            for sym in sec.iter_symbols():
                name = sym.name
                kind = sym["st_info"]["type"].replace("STT_", "")
                addr = sym["st_value"]
                if name in ("$t", "$a", "$d") or name.startswith(("$t.", "$a.", "$d.")):
                    mapping.append((addr, name[:2]))
                    continue
                if not name or kind in ("SECTION", "FILE"):
                    continue
                s = Symbol(name, addr & ~1 if kind == "FUNC" else addr, sym["st_size"], kind)
                symbols.setdefault(name, s)
                if kind == "FUNC" or (kind == "NOTYPE" and _in_code(elf, sym["st_shndx"])):
                    functions.append(Symbol(name, addr & ~1, sym["st_size"], kind))
    except FirmwareError:
        raise
    except (ELFError, ValueError, KeyError, IndexError, OSError) as exc:
        raise FirmwareError(f"{shown} is not a readable ELF file ({exc})") from exc
    except Exception as exc:  # pyelftools raises struct errors etc. on truncated files
        raise FirmwareError(f"{shown} is not a readable ELF file ({type(exc).__name__})") from exc
    if not segments:
        raise FirmwareError(f"{shown} has no loadable segments")
    functions.sort(key=lambda f: (f.addr, -f.size))
    mapping.sort()
    return elf["e_entry"], segments, sections, symbols, functions, mapping


def _in_code(elf: ELFFile, shndx) -> bool:
    from elftools.elf.constants import SH_FLAGS
    if not isinstance(shndx, int):
        return False
    try:
        return bool(elf.get_section(shndx)["sh_flags"] & SH_FLAGS.SHF_EXECINSTR)
    except Exception:
        return False


def _load_address(segments: list[Segment], sec) -> int:
    addr = sec["sh_addr"]
    for seg in segments:
        if seg.vaddr <= addr < seg.vaddr + max(seg.memsz, 1):
            return seg.paddr + (addr - seg.vaddr)
    return addr
