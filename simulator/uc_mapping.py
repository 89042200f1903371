"""Unicorn's "which memory region holds this address" lookup, cached per 1 KB page.

Every load or store Unicorn 2.1.3 serves on its slow path asks ``uc->memory_mapping(uc,
paddr)`` (qemu/unicorn_common.h ``find_memory_mapping``: a full ``address_space_translate``
through QEMU's flat view) for the region, only to test it for NULL (unmapped) and read its
permissions; a store to executable RAM (``notdirty_write``) asks twice. The slow path is every
access while a D-side window's memory hook is installed (simulator/dcache.py) and every store
to executable RAM always: 35 M lookups on an aligner run, ~6 % of its CPU time (perf,
docs/speed.md round 5).

`install` puts a compiled lookup (:func:`_module`, LLVM IR compiled by llvmlite's MCJIT,
its object code kept in the on-disk cache) in that function pointer: a direct-mapped table of
4,096 (page, region) entries in front of the original function, which answers every miss.
The answer only changes when the memory map does, so the table is emptied, and not used while
the call runs (Unicorn asks for regions in the middle of a change), around every libunicorn
call that maps, unmaps or re-protects memory (:data:`MAP_CALLS`, wrapped once per process on
``uclib``: Unicorn's own methods and the simulator's direct ``uclib`` calls both go through
it). Regions start and end on target pages (uc_mem_map refuses anything else; Arm's smallest
target page is 1 KB), so one entry per 1 KB page is exact. NULL (unmapped) answers are never
kept. One table per process, used by the engine that last claimed it (``Machine.run``
claims it; the others ask the original function); every entry carries the generation it
was filled under, so an engine never reads entries filled for another.

The pointer is found by value: the one word of the engine's ``uc_struct`` holding the address
of libunicorn's exported ``find_memory_mapping_arm``. Anything unexpected (no such symbol,
zero or several such words, no MCJIT, ``H7SIM_MAPPING_CACHE=0``) leaves the engine as it was:
the cache changes how fast Unicorn finds a region, never what it finds.
"""

from __future__ import annotations

import ctypes
import os
import weakref
from typing import Any

import numpy as np
from llvmlite import ir
from unicorn.unicorn_py3 import unicorn as _ucmod

from . import llvm_ir
from .native import uc_handle

PAGE_SHIFT = 10                  # Arm's smallest target page (qemu target/arm/cpu-param.h)
_INDEX_BITS = 12
ENTRIES = 1 << _INDEX_BITS       # direct-mapped entries, one int64 each
# the cache's words: the engine that owns it, its generation (0: do not use the entries: before
# set-up, while a map changes), the original function, padding to a 64-byte line, then the
# entries. An entry packs generation (10 bits), page >> 12 (10 bits; the index gives the low
# 12) and region >> 3 (44 bits: user-space pointers are below 2**47 and 8-byte aligned).
_OWNER, _GEN, _ORIG, _FIRST = 0, 1, 2, 8
_WORDS = _FIRST + ENTRIES
_GEN_BITS, _HI_BITS, _PTR_BITS = 10, 10, 44
_SCAN_WORDS = 1024               # words of uc_struct searched for the pointer (~13 KB struct)
_MIX = 0x9E5                     # spreads the memories' pages (page >> 12) over the index
_LOOKUP, _WORDS_FN = "h7sim_memory_mapping", "h7sim_memory_mapping_words"
_KIND = "uc_mapping"             # on-disk cache kind of the compiled lookup (object code)

#: libunicorn calls after which the region of an address may differ
MAP_CALLS = ("uc_mem_map", "uc_mem_map_ptr", "uc_mmio_map", "uc_mem_unmap", "uc_mem_protect",
             "uc_context_restore")


def _module() -> ir.Module:
    """The lookup in LLVM IR (written by hand: a numba ``cfunc`` adds a C wrapper that calls
    the body, ~1.6 ns of ~20 per slow-path access; scratch micro-benchmark, docs/speed.md).

    ``i8* h7sim_memory_mapping(i8* uc, i64 addr)``: the cached region of ``addr`` when the
    cache is on (generation != 0, read first, with acquire ordering), ``uc`` owns it and the
    page's entry carries this generation; else the original function's answer, kept when it
    is a region (not NULL) whose pointer fits an entry. ``i64 h7sim_memory_mapping_words()``:
    where the cache is (it lives in the compiled code's own data)."""
    i64, i32, i8p = ir.IntType(64), ir.IntType(32), ir.IntType(8).as_pointer()
    mod = ir.Module(name="h7sim_uc_mapping")
    arr = ir.ArrayType(i64, _WORDS)
    words = ir.GlobalVariable(mod, arr, "h7sim_uc_mapping_cache")
    words.linkage = "internal"
    words.initializer = ir.Constant(arr, None)
    words.align = 64
    fnty = ir.FunctionType(i8p, [i8p, i64])
    fn = ir.Function(mod, fnty, _LOOKUP)
    uc, addr = fn.args

    def c(v: int) -> ir.Constant:
        return ir.Constant(i64, v)

    def word(b: ir.IRBuilder, k: int) -> Any:
        return b.gep(words, [ir.Constant(i32, 0), ir.Constant(i32, k)])

    b = ir.IRBuilder(fn.append_basic_block("entry"))
    gen = b.load_atomic(word(b, _GEN), "acquire", 8)
    owner = b.load(word(b, _OWNER))
    use = b.and_(b.and_(b.icmp_unsigned("!=", gen, c(0)),
                        b.icmp_unsigned("==", owner, b.ptrtoint(uc, i64))),
                 b.icmp_unsigned("==", b.lshr(addr, c(32)), c(0)))
    look, ask, hit, miss, keep, done = (fn.append_basic_block(n) for n in
                                        ("look", "ask", "hit", "miss", "keep", "done"))
    b.cbranch(use, look, ask)

    b.position_at_end(ask)                       # not ours to answer: the original function
    b.ret(b.call(b.inttoptr(b.load(word(b, _ORIG)), fnty.as_pointer()), [uc, addr], tail=True))

    b.position_at_end(look)
    page = b.lshr(addr, c(PAGE_SHIFT))
    hi = b.lshr(page, c(_INDEX_BITS))
    index = b.and_(b.xor(page, b.mul(hi, c(_MIX))), c(ENTRIES - 1))
    key = b.or_(b.shl(gen, c(_HI_BITS)), hi)
    slot = b.gep(words, [c(0), b.add(index, c(_FIRST))])
    entry = b.load(slot)
    b.cbranch(b.icmp_unsigned("==", b.lshr(entry, c(_PTR_BITS)), key), hit, miss)

    b.position_at_end(hit)
    b.ret(b.inttoptr(b.shl(b.and_(entry, c((1 << _PTR_BITS) - 1)), c(3)), i8p))

    b.position_at_end(miss)
    region = b.call(b.inttoptr(b.load(word(b, _ORIG)), fnty.as_pointer()), [uc, addr])
    r = b.ptrtoint(region, i64)
    fits = b.icmp_unsigned("==", b.and_(r, c(-(1 << (_PTR_BITS + 3)) | 7)), c(0))
    b.cbranch(b.and_(b.icmp_unsigned("!=", r, c(0)), fits), keep, done)

    b.position_at_end(keep)
    b.store(b.or_(b.shl(key, c(_PTR_BITS)), b.lshr(r, c(3))), slot)
    b.branch(done)

    b.position_at_end(done)
    b.ret(region)

    where = ir.Function(mod, ir.FunctionType(i64, []), _WORDS_FN)
    wb = ir.IRBuilder(where.append_basic_block("entry"))
    wb.ret(wb.ptrtoint(words, i64))
    return mod


def _compile() -> tuple[int, int] | None:
    """(lookup, cache words) addresses (simulator/llvm_ir.py: cached object code)."""
    out = llvm_ir.compile_functions(_KIND, ("uc_mapping.py", "llvm_ir.py"), _module,
                                    (_LOOKUP, _WORDS_FN))
    return None if out is None else (out[_LOOKUP], llvm_ir.call_i64(out[_WORDS_FN]))


class _Cache:
    """The process's one cache (used by one engine at a time: the last to claim it) and the
    wrapped calls that change a memory map."""

    def __init__(self, original: int, lookup: int, words: int) -> None:
        self.lookup = lookup
        self.words = (ctypes.c_int64 * _WORDS).from_address(words)
        self.view = np.frombuffer(self.words, dtype=np.int64)
        self.view[_ORIG] = original
        self.gen = 0
        self.field: int | None = None      # word index of memory_mapping in uc_struct
        for name in MAP_CALLS:
            self._wrap(name)

    def _next_gen(self) -> int:
        self.gen = self.gen % ((1 << _GEN_BITS) - 1) + 1           # 1..1023
        return self.gen

    def _reset(self, owner: int | None) -> None:
        """Empty the entries under a new generation (and owner)."""
        view = self.view
        on = view[_GEN] != 0
        view[_GEN] = 0
        if owner is not None:
            view[_OWNER] = owner
        view[_FIRST:] = 0
        if on or owner is not None:
            view[_GEN] = self._next_gen()

    def _wrap(self, name: str) -> None:
        lib = _ucmod.uclib
        original = getattr(lib, name, None)
        if original is None or getattr(original, "_h7sim_mapping", False):
            return
        view = self.view

        def changing_the_map(*args):
            gen = int(view[_GEN])
            view[_GEN] = 0                  # Unicorn asks for regions during the change
            try:
                return original(*args)
            finally:
                view[_FIRST:] = 0
                view[_GEN] = self._next_gen() if gen else 0

        changing_the_map._h7sim_mapping = True  # type: ignore[attr-defined]
        setattr(lib, name, changing_the_map)

    def claim(self, engine: int, new: bool = False) -> None:
        """From now on the cache serves ``engine`` (the others ask the original function).
        ``new``: the engine was just created, maybe where a closed one was (Machine.release
        closes an engine before its Python object goes): its entries are never kept."""
        if new or self.view[_OWNER] != engine or self.view[_GEN] == 0:
            self._reset(engine)

    def release(self, engine: int) -> None:
        """The engine is being closed."""
        if self.view[_OWNER] == engine:
            self.view[_GEN] = 0
            self.view[_OWNER] = 0


_CACHE: _Cache | None = None


def _original_address() -> int | None:
    try:
        return ctypes.cast(_ucmod.uclib.find_memory_mapping_arm, ctypes.c_void_p).value
    except AttributeError:
        return None


def install(uc) -> bool:
    """Give this engine the cached region lookup (after its first mapping: Unicorn sets the
    pointer up then) and claim the cache for it; False and nothing changed when it cannot."""
    global _CACHE
    if os.environ.get("H7SIM_MAPPING_CACHE", "1") == "0":
        return False
    original = _original_address()
    if not original:
        return False
    words = (ctypes.c_uint64 * _SCAN_WORDS).from_address(uc_handle(uc))
    if _CACHE is not None and _CACHE.field is not None:
        field = _CACHE.field
        if words[field] != original:
            return False
    else:
        found = [i for i in range(_SCAN_WORDS) if words[i] == original]
        if len(found) != 1:
            return False
        field = found[0]
    if _CACHE is None:
        try:
            compiled = _compile()
        except Exception:  # noqa: BLE001  e.g. an llvmlite without MCJIT: Unicorn's own lookup
            compiled = None
        if compiled is None:
            return False
        _CACHE = _Cache(original, *compiled)
    _CACHE.field = field
    engine = uc_handle(uc)
    words[field] = _CACHE.lookup
    weakref.finalize(uc, _CACHE.release, engine)
    _CACHE.claim(engine, new=True)
    return True


def claim(uc) -> None:
    """The cache serves this engine from now on (a machine calls it when it starts running:
    the engine that runs is the one that gains)."""
    if _CACHE is not None:
        _CACHE.claim(uc_handle(uc))
