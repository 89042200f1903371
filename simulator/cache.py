"""An on-disk cache for what a run derives from its inputs alone: the parsed ELF, the static
code tables of a firmware (instruction starts, costs, stalls), its DWARF line table, the
load/store sites of its blocks (simulator/access_sites.py), a resampled audio clip, the
phone classes of a transcript (simulator/apps/aligner.py: eSpeak NG is not started), the
platform's TOML files, the machine code of the compiled hooks (simulator/jit.py: loaded
without importing numba; simulator/llvm_ir.py), and where libunicorn keeps the exclusive
monitor and the CPU state (simulator/exclusive_monitor.py, env_layout.py: keyed by the library
file).

Each entry is keyed by a hash of the input bytes (the ELF file, the clip's samples) and of the
source of the code that computes it (so a change to the timing model or the DWARF reader
invalidates it), and written atomically. A damaged or unreadable entry is recomputed. The cache
lives in ``$H7SIM_CACHE_DIR``, else ``$XDG_CACHE_HOME/h7sim``, else ``~/.cache/h7sim``;
``H7SIM_CACHE=0`` turns it off. Nothing in it changes a result: it only saves the time of
computing the same thing again (docs/speed.md, start-up).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
_PACKAGE = Path(__file__).resolve().parent
FORMAT = 1                      # bump when an entry's layout changes


def directory() -> Path | None:
    """The cache folder, or None when caching is off."""
    if os.environ.get("H7SIM_CACHE", "1") == "0":
        return None
    env = os.environ.get("H7SIM_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "h7sim"


@cache
def source_hash(*relative: str) -> str:
    """Hash of the named source files or folders (``*.py`` in them) of this package."""
    h = hashlib.sha256()
    for rel in relative:
        p = _PACKAGE / rel
        files = sorted(p.rglob("*.py")) if p.is_dir() else [p]
        for f in files:
            h.update(str(f.relative_to(_PACKAGE)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


@cache
def dist_version(package: str) -> str:
    """An installed package's version for a cache key, from its metadata folder
    (``NAME-X.Y.Z.dist-info`` beside the package) rather than by importing it (capstone and
    scipy cost milliseconds that a cached run does not otherwise pay); by importing it when
    that folder is not found."""
    import importlib.util
    spec = importlib.util.find_spec(package)
    if spec is not None and spec.origin:
        site = Path(spec.origin).parent.parent
        found = sorted(site.glob(f"{package}-*.dist-info"))
        if len(found) == 1:
            return found[0].name[len(package) + 1:-len(".dist-info")]
    return str(importlib.import_module(package).__version__)


def unicorn_layout_key(source: str) -> str | None:
    """Key for facts found by probing Unicorn's internal layout (kind ``uc_layout``): the
    libunicorn file (path, size, time) and the probing module's source; None when there is
    no cache directory or the library file cannot be found."""
    if directory() is None:
        return None
    try:
        from unicorn.unicorn_py3 import unicorn as _ucmod
        lib = str(_ucmod.uclib._name)
        st = os.stat(lib)
    except (OSError, AttributeError, TypeError, ImportError):
        return None
    return key(source, lib, st.st_size, st.st_mtime_ns, source_hash(source))


def key(*parts: object) -> str:
    h = hashlib.sha256(repr((FORMAT, *parts)).encode())
    return h.hexdigest()[:32]


_MISSING = object()


def load(kind: str, entry_key: str, default: object = None) -> object:
    """The value stored under (kind, key), else ``default`` (no cache, no entry, or a damaged
    entry, which is removed so that the next store rewrites it)."""
    folder = directory()
    if folder is None:
        return default
    path = folder / kind / f"{entry_key}.pickle"
    if not path.is_file():
        return default
    try:
        with path.open("rb") as f:
            return pickle.load(f)
    except Exception:  # noqa: BLE001  a damaged entry is recomputed and overwritten
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
        return default


def cached(kind: str, entry_key: str, compute: Callable[[], T]) -> T:
    """``compute()``, or the value stored under (kind, key) by an earlier call."""
    value = load(kind, entry_key, _MISSING)
    if value is not _MISSING:
        return value  # type: ignore[return-value]
    value = compute()
    store(kind, entry_key, value)
    return value


def store(kind: str, entry_key: str, value: object) -> None:
    """Write ``value`` under (kind, key), atomically; nothing when caching is off or the
    folder cannot be written."""
    folder = directory()
    if folder is None:
        return
    path = folder / kind / f"{entry_key}.pickle"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError:
        pass                    # read-only home, full disk: run without the cache


def toml(text: str) -> dict:
    """``tomllib.loads(text)``, kept in the cache by the text's hash: the platform's register
    file alone took ~0.06 CPU s to parse at every start-up. A TOML error is raised as by
    ``tomllib`` (nothing is stored)."""
    import tomllib
    digest = hashlib.sha256(text.encode()).hexdigest()
    return cached("toml", key(digest), lambda: tomllib.loads(text))
