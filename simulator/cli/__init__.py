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
import os
import sys
from collections.abc import Sequence

# Before NumPy loads OpenBLAS: one BLAS thread unless the user chose. The simulator does no
# BLAS work, and each extra OpenBLAS worker busy-waits for work for a while after it starts
# (~30 ms of CPU per `simulate` process on this machine: docs/speed.md round 6).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from ..api import (  # noqa: E402, F401
    EXIT_BUDGET,
    EXIT_FAULT,
    EXIT_FIRMWARE_FAILED,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_USAGE,
)
from .options import run_parser, whole_number  # noqa: E402, F401

# subcommand name -> module (imported only when used, so `simulate --help` stays fast)
SUBCOMMANDS: dict[str, str] = {
    "sweep": "sweep",
    "profile": "profile",
    "diff": "diff",
    "trace-dump": "trace_dump",
    "batch": "batch",
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run a subcommand. Whatever happens ends in an exit code CI can use and at most one
    line on stderr: Ctrl-C / SIGTERM 130 / 143 (simulator/interrupt.py), a closed stdout is
    not an error (cli/streams.py), and an exception nothing else caught is a simulator bug:
    EXIT_INTERNAL (5), its traceback only with SIMULATE_DEBUG=1."""
    from .. import interrupt
    from . import collector
    from .streams import stdout_failed

    owns_process = argv is None           # the `simulate` command or python -m simulator.cli
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--version" in argv or argv[:1] == ["-V"]:
        from .streams import product_on_stdout
        status = [0]
        with product_on_stdout(status):
            print(version_text())
        return status[0]
    if owns_process and not (argv and argv[0] in SUBCOMMANDS):
        collector.own_process()           # one run in this process (cli/collector.py)
    try:
        with interrupt.handling():
            if argv and argv[0] in SUBCOMMANDS:
                module = importlib.import_module(f".{SUBCOMMANDS[argv[0]]}", __name__)
                return module.main(argv[1:])
            from . import run
            return run.main(argv)
    except SystemExit as exc:             # argparse: --help (0), a usage error (2)
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        print(exc.code, file=sys.stderr)
        return EXIT_USAGE
    except interrupt.Interrupted as exc:
        print(f"simulate: interrupted ({exc})", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("simulate: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError as exc:
        stdout_failed(exc)
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, exit 5
        return _internal_error(exc)
    finally:
        collector.process_ends()


def _internal_error(exc: BaseException) -> int:
    import os
    import traceback

    from .options import one_line

    if os.environ.get("SIMULATE_DEBUG"):
        traceback.print_exc()
    tb = traceback.extract_tb(exc.__traceback__)
    where = f" at {os.path.basename(tb[-1].filename)}:{tb[-1].lineno}" if tb else ""
    text = one_line(str(exc))[:200]
    print(f"simulate: internal error: {type(exc).__name__}{where}: {text} (a simulator bug; "
          "please report it with SIMULATE_DEBUG=1 output)", file=sys.stderr)
    return EXIT_INTERNAL


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
