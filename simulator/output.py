"""Writing an output file the way users expect (every ``--json``/``--callgrind``/... writer).

* ``-`` is standard output.
* A path that is this process's own stdout or stderr (``/dev/stdout``, ``/dev/fd/2``, or a
  file the shell redirected stdout to) is written through that stream, in order, never
  truncated or replaced.
* Pipes, FIFOs, character devices and sockets are opened and written directly.
* Existing symlinks are followed: the file they point to is written, the link stays.
* Regular files (new or existing) are written to a temporary file beside the target and
  renamed over it: a reader never sees half a file, and a failed run leaves the old one. The
  new file gets the mode a plain ``open()`` would give it (0666 minus the umask: 0644 usually);
  a replaced file keeps its mode, as with a shell's ``>``.
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

STDOUT = "-"


def is_stdout(path: str | os.PathLike | None) -> bool:
    """True when ``path`` names standard output (``-``, or a path to the same file)."""
    if path is None:
        return False
    if str(path) == STDOUT:
        return True
    return _same_as_fd(path, 1)


@contextlib.contextmanager
def open_output(path: str | os.PathLike, binary: bool = False) -> Iterator[IO]:
    """A file object for ``path`` following the rules above; on an exception inside the block
    a regular file target is left untouched."""
    p = str(path)
    for fd, stream in ((1, sys.stdout), (2, sys.stderr)):
        if (p == STDOUT and fd == 1) or (p != STDOUT and _same_as_fd(p, fd)):
            stream.flush()
            if binary:
                out = os.fdopen(os.dup(fd), "wb")
                try:
                    yield out
                finally:
                    out.close()
            else:
                yield _NoClose(stream)
                stream.flush()
            return
    try:
        st = os.stat(p)                        # follows symlinks
    except FileNotFoundError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode):
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(21, "Is a directory", p)
        with open(p, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8"})) as f:
            yield f
        return
    target = os.path.realpath(p)               # the file a symlink points to
    folder = os.path.dirname(target) or "."
    tmp, fd = _create_temp(folder, os.path.basename(target))
    try:
        if st is not None:                     # replacing a file keeps its mode, like `>`
            os.chmod(tmp, stat.S_IMODE(st.st_mode))
        with os.fdopen(fd, "wb" if binary else "w",
                       **({} if binary else {"encoding": "utf-8"})) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_text(path: str | os.PathLike, text: str) -> None:
    with open_output(path) as f:
        f.write(text)


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with open_output(path, binary=True) as f:
        f.write(data)


def check_writable(path: str | os.PathLike) -> str | None:
    """Why ``path`` cannot be written (a one-line reason), or None. Checked before a long run
    so that it does not fail at the end."""
    p = str(path)
    if p == STDOUT:
        return None
    try:
        st = os.stat(p)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        return exc.strerror or str(exc)
    if st is not None and stat.S_ISDIR(st.st_mode):
        return "it is a folder"
    if st is not None and not stat.S_ISREG(st.st_mode):
        return None
    folder = os.path.dirname(os.path.realpath(p)) or "."
    if not os.path.isdir(folder):
        return f"folder {Path(p).parent} does not exist"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"folder {Path(p).parent} is not writable"
    return None


def _same_as_fd(path: str | os.PathLike, fd: int) -> bool:
    try:
        a = os.stat(path)
        b = os.fstat(fd)
    except (OSError, ValueError):
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def _create_temp(folder: str, name: str) -> tuple[str, int]:
    """O_EXCL with mode 0666, so the umask gives the usual mode (mkstemp would give 0600)."""
    for _ in range(100):
        tmp = os.path.join(folder, f".{name}.{os.urandom(4).hex()}.tmp")
        try:
            return tmp, os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
    raise FileExistsError(f"cannot create a temporary file in {folder}")


class _NoClose(io.TextIOBase):
    """A text stream wrapper whose close() does not close the process's stdout/stderr."""

    def __init__(self, stream: IO[str]) -> None:
        self._s = stream

    def write(self, s: str) -> int:
        return self._s.write(s)

    def flush(self) -> None:
        self._s.flush()

    def writable(self) -> bool:
        return True
