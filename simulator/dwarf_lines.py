"""The DWARF line table (address -> source file and line), cleaned of what the linker discarded.

With ``-ffunction-sections -Wl,--gc-sections`` the linker drops unused functions but keeps
their ``.debug_line`` sequences, relocated against the dropped section: they start at address
0. Code placed in ITCM also runs at address 0, so a naive table answers "which line is at
0x10" with whichever discarded function sorts last (docs/profiling.md, "Source lines"). This
module reads every line sequence, keeps those that lie in executable code, and when
sequences overlap keeps only the one that really describes the code there: the sequence
whose compilation unit defines (DW_TAG_subprogram, same name and address) the ELF function
symbol at the sequence's start, and which covers that whole function.

File names are full paths (the compilation directory joined with the line program's
include directory and file name, normalised), so tools such as callgrind_annotate can open
them."""

from __future__ import annotations

import bisect
import io
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass



@dataclass
class Sequence:
    """One DWARF line sequence: rows (address, file, line) over [start, end)."""
    cu: int                                  # index of its compilation unit
    start: int
    end: int
    rows: list[tuple[int, str, int]]


@dataclass
class LineTable:
    """Sorted rows; ``lookup`` answers for the last row at or before an address, inside its
    sequence."""
    addrs: list[int]
    rows: list[tuple[str, int, int]]         # (file, line, end of its sequence)
    dropped_sequences: int = 0               # discarded-function sequences removed

    def lookup(self, addr: int) -> tuple[str, int] | None:
        i = bisect.bisect_right(self.addrs, addr) - 1
        if i < 0:
            return None
        file, line, end = self.rows[i]
        return (file, line) if addr < end else None

    def first_at(self, addr: int) -> tuple[str, int] | None:
        """The first row at exactly ``addr`` (a function's opening line: later rows at the
        same address are usually the first inlined call), else :meth:`lookup`."""
        i = bisect.bisect_left(self.addrs, addr)
        if i < len(self.addrs) and self.addrs[i] == addr:
            file, line, _ = self.rows[i]
            return file, line
        return self.lookup(addr)


# (name, address, size) of the sized function symbol starting at an address, or None
SymbolAt = Callable[[int], "tuple[str, int, int] | None"]


def read_line_table(elf_bytes: bytes, code: Iterable[tuple[int, int]],
                    symbol_at: SymbolAt) -> LineTable | None:
    """Build the table. ``code``: [start, end) run-address ranges of executable sections;
    ``symbol_at(addr)``: the sized function symbol that starts at ``addr``, if any."""
    from elftools.elf.elffile import ELFFile

    elf = ELFFile(io.BytesIO(elf_bytes))
    if not elf.has_dwarf_info():
        return None
    dwarf = elf.get_dwarf_info()
    cus = list(dwarf.iter_CUs())
    seqs: list[Sequence] = []
    code = sorted(code)
    for k, cu in enumerate(cus):
        lp = dwarf.line_program_for_CU(cu)
        if lp is None:
            continue
        names = _file_names(lp, _comp_dir(cu))
        rows: list[tuple[int, str, int]] = []
        for entry in lp.get_entries():
            st = entry.state
            if st is None:
                continue
            if st.end_sequence:
                if rows:
                    seqs.append(Sequence(k, rows[0][0], st.address, rows))
                rows = []
                continue
            rows.append((st.address, names.get(st.file, "?"), st.line))
    kept = [s for s in seqs if s.end > s.start and _in_code(code, s.start, s.end)]
    dropped = len(seqs) - len(kept)
    kept.sort(key=lambda s: (s.start, -s.end))
    final: list[Sequence] = []
    subprograms: dict[int, dict[str, set[int]]] = {}
    i = 0
    while i < len(kept):                        # clusters of overlapping sequences
        j, hi = i + 1, kept[i].end
        while j < len(kept) and kept[j].start < hi:
            hi = max(hi, kept[j].end)
            j += 1
        cluster = kept[i:j]
        if len(cluster) > 1:
            good = [s for s in cluster
                    if _describes_code(s, symbol_at, lambda k: _subprograms(cus[k], subprograms,
                                                                            k))]
            if not good:                        # assembly: no subprogram DIEs to check against
                good = [s for s in cluster
                        if not _subprograms(cus[s.cu], subprograms, s.cu)]
            dropped += len(cluster) - len(good)
            cluster = good
        final.extend(cluster)
        i = j
    if not final:
        return None
    out: list[tuple[int, str, int, int]] = []
    for s in final:
        out.extend((a, f, ln, s.end) for a, f, ln in s.rows)
    out.sort(key=lambda r: r[0])               # stable: rows at one address keep their order
    return LineTable([r[0] for r in out], [(r[1], r[2], r[3]) for r in out], dropped)


def _describes_code(s: Sequence, symbol_at: SymbolAt, subs_of) -> bool:
    """The sequence's CU defines the function symbol at its start, and the sequence covers it.
    A discarded function's sequence starts at 0 too, but its CU does not define the ITCM
    function that sits there, or (same CU) it is shorter than that function."""
    sym = symbol_at(s.start)
    if sym is None:
        return False
    name, addr, size = sym
    return addr + size <= s.end and addr in subs_of(s.cu).get(name, ())


def _subprograms(cu, cache: dict, k: int) -> dict[str, set[int]]:
    got = cache.get(k)
    if got is None:
        got = {}
        for die in cu.get_top_DIE().iter_children():
            if die.tag != "DW_TAG_subprogram" or "DW_AT_low_pc" not in die.attributes:
                continue
            name = die.attributes.get("DW_AT_name")
            if name is None:
                continue
            got.setdefault(name.value.decode(errors="replace"), set()).add(
                die.attributes["DW_AT_low_pc"].value & ~1)
        cache[k] = got
    return got


def _in_code(code: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(lo <= start and end <= hi for lo, hi in code)


def _comp_dir(cu) -> str:
    try:
        a = cu.get_top_DIE().attributes.get("DW_AT_comp_dir")
    except Exception:
        return ""
    return a.value.decode(errors="replace") if a is not None else ""


def _file_names(lp, comp_dir: str) -> dict[int, str]:
    """Line-program file index -> full normalised path (DWARF 2-4: 1-based files, directory 0
    is the compilation directory; DWARF 5: 0-based, directory 0 is the compilation directory
    itself)."""
    version = lp.header["version"]
    dirs = [d.decode(errors="replace") if isinstance(d, bytes) else
            d.DW_LNCT_path.decode(errors="replace") for d in lp["include_directory"]]
    out: dict[int, str] = {}
    for n, fe in enumerate(lp["file_entry"]):
        idx = n if version >= 5 else n + 1
        try:
            name = fe.name.decode(errors="replace")
            d = fe.dir_index
        except AttributeError:
            name = fe.DW_LNCT_path.decode(errors="replace")
            d = getattr(fe, "DW_LNCT_directory_index", 0)
        if version >= 5:
            base = dirs[d] if 0 <= d < len(dirs) else comp_dir
        else:
            base = comp_dir if d == 0 else (dirs[d - 1] if d - 1 < len(dirs) else "")
        if not os.path.isabs(base):
            base = os.path.join(comp_dir, base)
        out[idx] = os.path.normpath(os.path.join(base, name))
    return out
