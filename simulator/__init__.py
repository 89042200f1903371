"""h7sim: an STM32H743 (Cortex-M7) firmware simulator.

The public entry points are :mod:`simulator.api` (``load_inputs``, ``simulate``),
:class:`simulator.machine.Machine` (load, run, inspect) and the ``simulate`` command
(:mod:`simulator.cli`).
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"


def version_info(platform: Any | None = None) -> dict[str, Any]:
    """What produced a result: this simulator's version, the Unicorn engine's, Python's, and
    the platform description file (path and SHA-256 of its bytes). ``simulate --version``
    prints it; every JSON report records it under ``simulator``."""
    import hashlib
    import platform as _py
    from pathlib import Path

    import unicorn

    info: dict[str, Any] = {"version": __version__, "unicorn": unicorn.__version__,
                            "python": _py.python_version()}
    if platform is None:
        from .platform import load_platform
        try:
            platform = load_platform()
        except Exception:  # noqa: BLE001  (--version must print even with a broken install)
            return info | {"platform_file": None, "platform_sha256": None}
    source = str(getattr(platform, "source", "") or "")
    path = Path(source)
    if source.startswith("simulator/"):            # bundled: inside this package
        path = Path(__file__).resolve().parent.joinpath(*Path(source).parts[1:])
    try:
        data = path.read_bytes()
        core = (getattr(platform, "chip", None) or {}).get("core")
        if core:                 # the core's blocks are part of the platform (platform.py)
            from .platform import core_file
            data += Path(__file__).resolve().parent.joinpath(
                "platforms", core_file(str(core))).read_bytes()
        digest = hashlib.sha256(data).hexdigest()
    except OSError:
        digest = None
    return info | {"platform": getattr(platform, "name", None), "platform_file": source,
                   "platform_sha256": digest}
