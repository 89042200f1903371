"""Functions written in LLVM IR by hand, compiled with llvmlite's MCJIT, object code cached.

For the few hot C callbacks where numba's ``cfunc`` C wrapper (a second call around the
compiled body, ~1.6 ns per call) is a measurable part of the work: Unicorn's region lookup
(simulator/uc_mapping.py) and the memory hook's aligned-TCM early exit (simulator/dcache.py).
The object code is kept in the on-disk cache (simulator/cache.py) under the caller's kind and
key (which must cover the source the IR is built from): loading it costs ~3 ms of CPU,
compiling ~12 ms.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable, Sequence

from llvmlite import ir

from . import cache

_ENGINES: list = []                 # MCJIT engines: the compiled code lives as long as they do


def compile_functions(kind: str, sources: Sequence[str], build: Callable[[], ir.Module],
                      names: Sequence[str]) -> dict[str, int] | None:
    """The addresses of the functions ``names`` of the module ``build()`` returns, from the
    on-disk cache (kind ``kind``, keyed by the package files ``sources``, llvmlite, Python and
    the host CPU) or compiled now and stored; None when llvmlite cannot give them all."""
    import llvmlite
    import llvmlite.binding as ll
    tm = host_target_machine()
    cpu, features = ll.get_host_cpu_name(), ll.get_host_cpu_features().flatten()
    entry_key = None
    if cache.directory() is not None:
        entry_key = cache.key(kind, cache.source_hash(*sources), llvmlite.__version__,
                              sys.version, cpu, features)
    obj = cache.load(kind, entry_key) if entry_key is not None else None
    if not isinstance(obj, bytes):
        mod = ll.parse_assembly(str(build()))
        mod.verify()
        obj = tm.emit_object(mod)
        if entry_key is not None:
            cache.store(kind, entry_key, obj)
    return load_object(obj, tm, names)


def host_target_machine():
    """An llvmlite target machine for this host's CPU and features, for MCJIT."""
    import llvmlite.binding as ll
    ll.initialize_native_target()
    ll.initialize_native_asmprinter()
    return ll.Target.from_default_triple().create_target_machine(
        cpu=ll.get_host_cpu_name(), features=ll.get_host_cpu_features().flatten(), opt=2,
        jit=True, codemodel="jitdefault")


def load_object(obj: bytes, tm, names: Sequence[str]) -> dict[str, int] | None:
    """The addresses of the functions ``names`` in the object code ``obj``, loaded with MCJIT
    (its engine kept for the life of the process); None when one is missing."""
    import llvmlite.binding as ll
    engine = ll.create_mcjit_compiler(ll.parse_assembly(""), tm)
    engine.add_object_file(ll.ObjectFileRef.from_data(obj))
    engine.finalize_object()
    out = {name: engine.get_function_address(name) for name in names}
    if not all(out.values()):
        return None
    _ENGINES.append(engine)
    return out


def call_i64(address: int) -> int:
    """Call an ``i64 f()`` compiled here (e.g. one that returns where its data is)."""
    return ctypes.CFUNCTYPE(ctypes.c_int64)(address)()
