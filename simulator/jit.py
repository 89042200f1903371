"""numba's decorators for the compiled hooks, or their machine code from the cache without numba.

Importing numba (0.68) costs ~0.25 CPU s and loading the hooks from numba's own cache ~0.15 s
more: ~40 % of a short run's start-up (docs/speed.md, round 4). The modules that hold
compiled hooks (``COMPILED``) take ``cfunc``, ``njit``, ``intrinsic``, ``carray`` and ``types``
from here instead of from numba. The first process compiles them with numba as before and
keeps the object code numba produced for every ``cfunc`` (a C callback Unicorn calls) in the
on-disk cache (simulator/cache.py, kind ``hooks``), keyed by the source of those modules, the
numba, llvmlite and Python versions and the host CPU (name and features: the code is compiled
for it). Later processes load those object files with llvmlite's MCJIT, as numba does with its
own cache, and hand Unicorn the same functions, byte for byte, without importing numba
(~0.05 s). The external symbols the code refers to (numba's error and refcount helpers, the
Python C API) are resolved explicitly; when one cannot be, or the entry cannot be read, the
process compiles with numba as before.

In a process that loaded the cache, ``njit`` functions exist only inside the compiled C
callbacks: Python must not call them (an ``njit`` function Python needs is wrapped in a
``cfunc`` and called through ctypes, like ``native._branch_before_exception_c``).
``H7SIM_CACHE=0`` (no cache) always compiles with numba.
"""

from __future__ import annotations

import ctypes
import importlib
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import cache

# the modules whose hooks are cached; their source (and this file's) keys the entry
COMPILED = ("native", "dcache", "mmio_native", "read_watch")
_SOURCES = (*(f"{m}.py" for m in COMPILED), "native_layout.py", "jit.py")
_KIND = "hooks"


class _AnyType:
    """Stands for ``numba.types`` where the code is not compiled: any attribute, any call."""

    def __getattr__(self, name: str) -> _AnyType:
        return self

    def __call__(self, *args: Any, **kwargs: Any) -> _AnyType:
        return self


class LoadedCFunc:
    """A ``cfunc`` whose machine code came from the cache: what Unicorn needs, its address."""

    def __init__(self, name: str, address: int) -> None:
        self.__name__ = name
        self.address = address


class _NotCompiled:
    """An ``njit`` function of a process that loaded the cache: it lives only inside the
    compiled C callbacks."""

    def __init__(self, fn: Callable) -> None:
        self.__name__ = fn.__name__
        self.__wrapped__ = fn

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"{self.__name__} is compiled code loaded from the hook cache "
                           "(simulator/jit.py): Python calls it through a cfunc")


def _numba_dir() -> Path | None:
    spec = importlib.util.find_spec("numba")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _entry_key() -> str | None:
    """The cache key of this process's compiled hooks, None when there is no cache."""
    if cache.directory() is None:
        return None
    import llvmlite
    import llvmlite.binding as ll
    numba_dir = _numba_dir()
    if numba_dir is None:
        return None
    version = (numba_dir / "_version.py").read_bytes() if (numba_dir / "_version.py").exists() \
        else b""
    return cache.key(_KIND, cache.source_hash(*_SOURCES), version, llvmlite.__version__,
                     sys.version, ll.get_host_cpu_name(), ll.get_host_cpu_features().flatten())


def _extension(numba_dir: Path, name: str, pattern: str) -> Any:
    """One of numba's C extension modules, loaded without importing the numba package."""
    if name in sys.modules:
        return sys.modules[name]
    path = next(iter(sorted(numba_dir.glob(pattern))), None)
    if path is None:
        return None
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _symbol_table() -> dict[str, int]:
    """The symbols numba adds to LLVM's table when it starts (numba/core/base.py
    _load_global_helpers, numba/core/runtime/nrt.py): its C helpers, the NRT functions,
    the built-in exception objects and None."""
    import builtins
    numba_dir = _numba_dir()
    table: dict[str, int] = {"_Py_NoneStruct": id(None)}
    for obj in vars(builtins).values():
        if isinstance(obj, type) and issubclass(obj, BaseException):
            table[f"PyExc_{obj.__name__}"] = id(obj)
    if numba_dir is None:
        return table
    helper = _extension(numba_dir, "numba._helperlib", "_helperlib*.so")
    dynfunc = _extension(numba_dir, "numba._dynfunc", "_dynfunc*.so")
    for mod in (helper, dynfunc):
        for name, addr in getattr(mod, "c_helpers", {}).items():
            table[f"numba_{name}"] = addr
    nrt = _extension(numba_dir, "numba.core.runtime._nrt_python",
                     "core/runtime/_nrt_python*.so")
    for name, addr in getattr(nrt, "c_helpers", {}).items():
        table[name if name.startswith("_") else f"NRT_{name}"] = addr
    return table


def _symbol_address(table: dict[str, int], name: str) -> int | None:
    """numba's own symbol, else the process's (the Python C API)."""
    if name in table:
        return table[name]
    try:
        return ctypes.addressof(ctypes.c_char.in_dll(ctypes.pythonapi, name))
    except ValueError:
        return None


def _load(entry: dict) -> dict[tuple[str, str], int] | None:
    """The addresses of the cached C callbacks, or None when they cannot all be loaded."""
    import llvmlite.binding as ll

    from .llvm_ir import host_target_machine, load_object
    tm = host_target_machine()
    table = _symbol_table()
    symbols: dict[str, int] = {}
    for name in sorted({s for item in entry.values() for s in item["undefined"]}):
        addr = _symbol_address(table, name)
        if addr is None:
            return None                 # LLVM would abort the process on an unresolved one
        symbols[name] = addr
    for name, addr in symbols.items():
        ll.add_symbol(name, addr)
    out: dict[tuple[str, str], int] = {}
    for key, item in entry.items():
        got = load_object(item["object"], tm, (item["symbol"],))
        if got is None:
            return None
        out[key] = got[item["symbol"]]
    return out


def _read_entry(key: str) -> dict | None:
    """The cached entry (a damaged one is removed: numba compiles and rewrites it)."""
    entry = cache.load(_KIND, key)
    return entry if isinstance(entry, dict) and entry else None


_KEY = _entry_key()
_ADDRESSES: dict[tuple[str, str], int] | None = None
if _KEY is not None:
    _entry = _read_entry(_KEY)
    if _entry is not None:
        try:
            _ADDRESSES = _load(_entry)
        except Exception:  # noqa: BLE001  e.g. an llvmlite without MCJIT: use numba
            _ADDRESSES = None
LOADED = _ADDRESSES is not None     # True: this process runs the cached code, numba unimported

if LOADED:
    types: Any = _AnyType()
    carray: Any = None

    def intrinsic(fn: Callable) -> Callable:
        return fn

    def njit(*args: Any, **kwargs: Any) -> Any:
        if len(args) == 1 and callable(args[0]) and not kwargs:
            return _NotCompiled(args[0])
        return _NotCompiled

    def cfunc(sig: Any, **kwargs: Any) -> Callable[[Callable], LoadedCFunc]:
        def decorate(fn: Callable) -> LoadedCFunc:
            addr = _ADDRESSES.get((fn.__module__, fn.__name__)) if _ADDRESSES else None
            if addr is None:
                raise ImportError(f"the hook cache entry {_KEY} has no {fn.__module__}."
                                  f"{fn.__name__}: delete it (simulator/cache.py says where)")
            return LoadedCFunc(fn.__name__, addr)
        return decorate
else:
    from . import lean_numba  # noqa: F401,I001  (before numba: see lean_numba.py)
    from numba import carray, njit, types  # noqa: F401
    from numba import cfunc as _numba_cfunc
    from numba.extending import intrinsic  # noqa: F401

    _CFUNCS: list = []
    _SAVED = [False]

    def _keep_object_code() -> bool:
        """Keep the object code of every library numba loads from its cache (it drops it
        once the code is in memory). False when numba's internals are not as expected."""
        try:
            from numba.core import codegen
            lib_cls = codegen.CPUCodeLibrary
            original = lib_cls._set_compiled_object
        except (ImportError, AttributeError):
            return False

        def keep(self, value):
            self._h7sim_object = value
            return original(self, value)

        lib_cls._set_compiled_object = keep
        return True

    _CAN_SAVE = _KEY is not None and _keep_object_code()

    class _CachingCFunc:
        """numba's CFunc; the first ``.address`` asked for writes the cache entry."""

        def __init__(self, compiled: Any) -> None:
            self._cf = compiled
            self.__name__ = compiled.__name__

        @property
        def address(self) -> int:
            if not _SAVED[0]:
                _SAVED[0] = True
                _save()
            return self._cf.address

        def __getattr__(self, name: str) -> Any:
            return getattr(self._cf, name)

    def cfunc(sig: Any, **kwargs: Any) -> Callable[[Callable], Any]:
        def decorate(fn: Callable) -> Any:
            compiled = _numba_cfunc(sig, **kwargs)(fn)
            if not _CAN_SAVE:
                return compiled
            _CFUNCS.append((fn.__module__, fn.__name__, compiled))
            return _CachingCFunc(compiled)
        return decorate

    def _object_code(compiled: Any) -> bytes | None:
        lib = getattr(compiled, "_library", None)
        obj = getattr(lib, "_h7sim_object", None) or getattr(lib, "_compiled_object", None)
        return bytes(obj) if obj else None

    def _undefined_symbols(obj: bytes) -> list[str]:
        import io

        from elftools.elf.elffile import ELFFile
        from elftools.elf.sections import SymbolTableSection
        out = []
        for section in ELFFile(io.BytesIO(obj)).iter_sections():
            if isinstance(section, SymbolTableSection):
                out += [s.name for s in section.iter_symbols()
                        if s.name and s.entry["st_shndx"] == "SHN_UNDEF"]
        return sorted(set(out))

    def _save() -> None:
        """Compile every module of COMPILED (the entry holds all their hooks) and store
        the object code of each C callback."""
        for name in COMPILED:
            importlib.import_module(f"{__package__}.{name}")
        entry: dict[tuple[str, str], dict] = {}
        for module, name, compiled in _CFUNCS:
            obj = _object_code(compiled)
            if obj is None:
                return                      # numba compiled it some other way: no entry
            entry[(module, name)] = {"symbol": compiled.native_name, "object": obj,
                                     "undefined": _undefined_symbols(obj)}
        if _KEY is not None and entry:
            cache.store(_KIND, _KEY, entry)
