"""Unicorn's "which memory region holds this address" lookup, cached per 1 KB page.

Every load or store Unicorn 2.1.3 serves on its slow path asks ``uc->memory_mapping(uc,
paddr)`` (qemu/unicorn_common.h ``find_memory_mapping``: a full ``address_space_translate``
through QEMU's flat view) for the region, only to test it for NULL (unmapped) and read its
permissions; a store to executable RAM (``notdirty_write``) asks twice. The slow path is every
access while a D-side window's memory hook is installed (simulator/dcache.py) and every store
to executable RAM always: 35 M lookups on an aligner run, ~6 % of its CPU time (perf,
docs/speed.md round 5).

:func:`install` puts :func:`_lookup` in that function pointer: a direct-mapped cache of 4,096
(page, region) entries per engine in front of the original function, which answers every miss.
The answer only changes when the memory map does, so the cache is emptied, and turned off
for the duration, around every libunicorn call that maps, unmaps or re-protects memory
(:data:`MAP_CALLS`, wrapped once per process on ``uclib``: Unicorn's own methods and the
simulator's direct ``uclib`` calls both go through it). Regions start and end on target pages
(uc_mem_map refuses anything else; Arm's smallest target page is 1 KB), so one entry per
1 KB page is exact. NULL (unmapped) answers are never cached.

The pointer is found by value: the one word of the engine's ``uc_struct`` holding the address
of libunicorn's exported ``find_memory_mapping_arm``. Anything unexpected (no such symbol,
zero or several such words, a full registry, ``H7SIM_MAPPING_CACHE=0``) leaves the engine as
it was: the cache changes how fast Unicorn finds a region, never what it finds.

The compiled lookup finds an engine's cache through a registry: a process-wide table of
(engine, cache) pairs whose address the lookup keeps in a word of its own compiled code
(:func:`_registry_word`), set once by calling the lookup with a NULL engine.
"""

from __future__ import annotations

import ctypes
import os
import weakref

import numpy as np
from llvmlite import ir
from unicorn.unicorn_py3 import unicorn as _ucmod

from .jit import carray, cfunc, intrinsic, types  # numba's, or the cache's (jit.py)
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

#: libunicorn calls after which the region of an address may differ
MAP_CALLS = ("uc_mem_map", "uc_mem_map_ptr", "uc_mmio_map", "uc_mem_unmap", "uc_mem_protect",
             "uc_context_restore")


@intrinsic
def _cache_words(typingctx):
    """The cache: an array in the compiled lookup's own data (one per process), so the
    lookup reaches it without following a pointer."""
    sig = types.CPointer(types.int64)()

    def codegen(context, builder, signature, args):
        module = builder.module
        name = "h7sim_uc_mapping_cache"
        try:
            gv = module.get_global(name)
        except KeyError:
            ty = ir.ArrayType(ir.IntType(64), _WORDS)
            gv = ir.GlobalVariable(module, ty, name)
            gv.linkage = "internal"
            gv.initializer = ir.Constant(ty, None)
            gv.align = 64
        return builder.bitcast(gv, ir.IntType(64).as_pointer())

    return sig, codegen


@intrinsic
def _load_acquire(typingctx, ptr, index):
    """``ptr[index]`` as an acquire load: neither the compiler nor the CPU moves the loads
    after it before it (the generation is read before the owner)."""
    sig = types.int64(ptr, index)

    def codegen(context, builder, signature, args):
        return builder.load_atomic(builder.gep(args[0], [args[1]]), "acquire", 8)

    return sig, codegen


@intrinsic
def _call_mapping(typingctx, fn, uc, addr):
    """Call ``MemoryRegion *memory_mapping(struct uc_struct *, hwaddr)`` through its address."""
    sig = types.int64(types.int64, types.voidptr, types.uint64)

    def codegen(context, builder, signature, args):
        i8p = ir.IntType(8).as_pointer()
        fnty = ir.FunctionType(i8p, [i8p, ir.IntType(64)])
        f = builder.inttoptr(args[0], fnty.as_pointer())
        return builder.ptrtoint(builder.call(f, [args[1], args[2]]), ir.IntType(64))

    return sig, codegen


@intrinsic
def _address_of(typingctx, ptr):
    """A pointer as an int64."""
    sig = types.int64(ptr)

    def codegen(context, builder, signature, args):
        return builder.ptrtoint(args[0], ir.IntType(64))

    return sig, codegen


@cfunc(types.int64(types.voidptr, types.uint64), nopython=True, cache=True)
def _lookup(uc, addr):
    words = _cache_words()
    tab = carray(words, _WORDS)
    engine = _address_of(uc)
    gen = _load_acquire(words, _GEN)
    if gen == 0 or tab[_OWNER] != engine or (addr >> np.uint64(32)) != 0:
        if engine == 0:                 # set-up call from Python: where the cache is
            return _address_of(words)
        return _call_mapping(tab[_ORIG], uc, addr)
    page = addr >> np.uint64(PAGE_SHIFT)
    hi = page >> np.uint64(_INDEX_BITS)
    i = _FIRST + np.int64((page ^ (hi * np.uint64(_MIX))) & np.uint64(ENTRIES - 1))
    key = (np.uint64(gen) << np.uint64(_HI_BITS)) | hi
    e = np.uint64(tab[i])
    if (e >> np.uint64(_PTR_BITS)) == key:
        return np.int64((e & np.uint64((1 << _PTR_BITS) - 1)) << np.uint64(3))
    region = _call_mapping(tab[_ORIG], uc, addr)
    r = np.uint64(region)
    if region != 0 and (r & np.uint64(7)) == 0 and (r >> np.uint64(_PTR_BITS + 3)) == 0:
        tab[i] = np.int64((key << np.uint64(_PTR_BITS)) | (r >> np.uint64(3)))
    return region


class _Cache:
    """The process's one cache (used by one engine at a time: the last to claim it) and the
    wrapped calls that change a memory map."""

    def __init__(self, original: int) -> None:
        setup = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_void_p, ctypes.c_uint64)(
            _lookup.address)
        self.words = (ctypes.c_int64 * _WORDS).from_address(setup(None, 0))
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
        _CACHE = _Cache(original)
    _CACHE.field = field
    engine = uc_handle(uc)
    words[field] = _lookup.address
    weakref.finalize(uc, _CACHE.release, engine)
    _CACHE.claim(engine, new=True)
    return True


def claim(uc) -> None:
    """The cache serves this engine from now on (a machine calls it when it starts running:
    the engine that runs is the one that gains)."""
    if _CACHE is not None:
        _CACHE.claim(uc_handle(uc))
