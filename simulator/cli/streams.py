"""Standard output that went away: ``simulate ... | head`` (EPIPE) or ``> /dev/full``
(ENOSPC). The run is not the output: it goes on, its reports are still written and its exit
code is kept; output to stdout stops, quietly for a closed pipe (as ``cat`` and ``grep`` do),
with one line on stderr for any other write error."""

from __future__ import annotations

import errno
import os
import sys

_failed = False


def stdout_failed(exc: OSError) -> None:
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
    if exc.errno != errno.EPIPE:
        print(f"simulate: warning: cannot write to standard output "
              f"({exc.strerror or exc}); the run continues", file=sys.stderr)


def failed() -> bool:
    return _failed


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
