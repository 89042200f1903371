"""The ``simulate`` command: one module per subcommand over :mod:`simulator.api`.

    simulate FIRMWARE.elf ...          simulator.cli.run
    simulate sweep ...                 simulator.cli.sweep
    simulate profile ...               simulator.cli.profile
    simulate diff A.json B.json        simulator.cli.diff
    simulate trace-dump TRACE          simulator.cli.trace_dump
    simulate batch FW MANIFEST         simulator.cli.batch

A new subcommand is a module with ``main(argv) -> int`` added to ``SUBCOMMANDS``; shared run
options live in :mod:`simulator.cli.options`.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

from ..api import EXIT_BUDGET, EXIT_FAULT, EXIT_FIRMWARE_FAILED, EXIT_OK, EXIT_USAGE  # noqa: F401
from .options import run_parser, whole_number  # noqa: F401

# subcommand name -> module (imported only when used, so `simulate --help` stays fast)
SUBCOMMANDS: dict[str, str] = {
    "sweep": "sweep",
    "profile": "profile",
    "diff": "diff",
    "trace-dump": "trace_dump",
    "batch": "batch",
}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--version" in argv or argv[:1] == ["-V"]:
        print(version_text())
        return 0
    try:
        if argv and argv[0] in SUBCOMMANDS:
            module = importlib.import_module(f".{SUBCOMMANDS[argv[0]]}", __name__)
            return module.main(argv[1:])
        from . import run
        return run.main(argv)
    except KeyboardInterrupt:
        print("simulate: interrupted", file=sys.stderr)
        return 130


def version_text(platform=None) -> str:
    """``simulate --version``: this simulator, the Unicorn engine, Python and the platform
    file (the JSON report records the same under ``simulator``)."""
    from .. import version_info

    v = version_info(platform)
    lines = [f"simulate (h7sim) {v['version']}", f"unicorn {v['unicorn']}",
             f"python {v['python']}"]
    if v.get("platform_file"):
        lines.append(f"platform {v.get('platform')} from {v['platform_file']}"
                     + (f" (sha256 {v['platform_sha256'][:16]})" if v.get("platform_sha256")
                        else ""))
    return "\n".join(lines)
