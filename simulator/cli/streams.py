"""Standard output that went away: ``simulate ... | head`` (EPIPE) or ``> /dev/full``
(ENOSPC). The run is not the output: it goes on, its reports are still written and its exit
code is kept; output to stdout stops, quietly for a closed pipe (as ``cat`` and ``grep`` do),
with one line on stderr for any other write error."""

from __future__ import annotations

import contextlib
import errno
import os
import sys

_failed = False


def stdout_failed(exc: OSError, warn: bool = True) -> None:
    """Stop writing to stdout: point file descriptor 1 at /dev/null, so later writes and the
    interpreter's final flush cannot fail again."""
    global _failed
    if _failed:
        return
    _failed = True
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
    if warn and exc.errno != errno.EPIPE:
        print(f"simulate: warning: cannot write to standard output "
              f"({exc.strerror or exc}); the run continues", file=sys.stderr)


def failed() -> bool:
    return _failed


@contextlib.contextmanager
def product_on_stdout(status: list[int]):
    """For a command whose product is what it prints (``diff``, ``trace-dump``,
    ``--version``): a reader that closed the pipe early (``| head``) ends the output quietly
    with the command's status; any other write error (``> /dev/full``) is one line on stderr
    and status 2 (``status[0]`` is updated). Never a traceback."""
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError as exc:
        stdout_failed(exc)
    except OSError as exc:
        stdout_failed(exc, warn=False)
        print(f"simulate: error: cannot write to standard output: {exc.strerror or exc}",
              file=sys.stderr)
        status[0] = 2


def stdout_console():
    """A rich Console on stdout whose closed pipe raises BrokenPipeError (rich's own reaction
    is ``SystemExit(1)``, the exit status of a failed firmware)."""
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            raise BrokenPipeError(errno.EPIPE, "Broken pipe")

    return _Console()


def echo_to(stream=None):
    """Live console output of the firmware (Machine's echo): never raises, even from inside
    a Unicorn callback, where an exception would be swallowed or corrupt the run."""
    def echo(source: str, data: bytes) -> None:
        if _failed:
            return
        out = stream if stream is not None else sys.stdout
        try:
            out.write(data.decode("utf-8", errors="replace"))
            out.flush()
        except OSError as exc:
            stdout_failed(exc)
        except ValueError:               # the stream was closed
            stdout_failed(OSError(errno.EPIPE, "closed"))
    return echo
