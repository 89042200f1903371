"""ARM semihosting (``BKPT 0xAB`` on M-profile): console, exit, clock, sandboxed files.

Operation numbers and parameter blocks: Arm "Semihosting for AArch32 and AArch64" v3.0.
File access is allowed only below ``root`` (``--semihosting-root``); everything else is
refused with EACCES, so firmware can never touch the host outside that folder.

A firmware bug must end as a firmware error, never as a simulator crash: every pointer and
length the firmware passes is checked against the target's memory map before anything is
read, written or allocated on the host (a bad one fails with EFAULT, as a debugger's host
returns -1 for an inaccessible buffer); only regular files are opened (never a FIFO or a
device, which could block the simulator past --timeout); names holding NUL fail with EINVAL;
open files and bytes written to the host are bounded.
"""

from __future__ import annotations

import errno
import os
import stat
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Callable

SYS_OPEN, SYS_CLOSE, SYS_WRITEC, SYS_WRITE0, SYS_WRITE, SYS_READ, SYS_READC = 1, 2, 3, 4, 5, 6, 7
SYS_ISERROR, SYS_ISTTY, SYS_SEEK, SYS_FLEN, SYS_TMPNAM, SYS_REMOVE, SYS_RENAME = 8, 9, 0xA, 0xC, 0xD, 0xE, 0xF
SYS_CLOCK, SYS_TIME, SYS_SYSTEM, SYS_ERRNO, SYS_GET_CMDLINE, SYS_HEAPINFO = 0x10, 0x11, 0x12, 0x13, 0x15, 0x16
SYS_EXIT, SYS_EXIT_EXTENDED, SYS_ELAPSED, SYS_TICKFREQ = 0x18, 0x20, 0x30, 0x31

ADP_STOPPED_APPLICATION_EXIT = 0x20026
ADP_STOPPED_RUNTIME_ERROR_UNKNOWN = 0x20023
FEATURES_MAGIC = b"SHFB"
FEATURE_EXIT_EXTENDED = 0x01
FEATURE_STDOUT_STDERR = 0x02
MODES = ["rb", "rb", "r+b", "r+b", "wb", "wb", "w+b", "w+b", "ab", "ab", "a+b", "a+b"]
# SYS_TIME: fixed epoch so that runs are deterministic (2026-01-01T00:00:00Z).
TIME_EPOCH = 1767225600
#: Host-side bounds (a firmware in a loop must not exhaust the host): the longest file name
#: (Linux PATH_MAX), files open at once, and bytes the firmware may write to host files per run.
MAX_NAME = 4096
MAX_OPEN_FILES = 64
MAX_WRITE_BYTES = 256 << 20
_ACCMODE = [os.O_RDONLY] * 2 + [os.O_RDWR] * 2 + [os.O_WRONLY | os.O_CREAT | os.O_TRUNC] * 2 \
    + [os.O_RDWR | os.O_CREAT | os.O_TRUNC] * 2 + [os.O_WRONLY | os.O_CREAT | os.O_APPEND] * 2 \
    + [os.O_RDWR | os.O_CREAT | os.O_APPEND] * 2


class _BadPointer(Exception):
    """The firmware passed a buffer outside target memory: the call fails with EFAULT."""


class SemihostingExit(Exception):
    def __init__(self, code: int, reason: int) -> None:
        super().__init__(code)
        self.code = code
        self.reason = reason


@dataclass
class Memory:
    """How semihosting reaches target memory and registers (a thin view of the machine)."""

    read: Callable[[int, int], bytes]
    write: Callable[[int, bytes], None]
    #: whether [address, address + length) is target memory (RAM, flash): checked before any
    #: host buffer is sized from a firmware-given length
    valid: Callable[[int, int], bool] = lambda address, length: True


@dataclass
class Semihosting:
    mem: Memory
    out: Callable[[int, bytes], None]          # (fd 1 or 2, bytes): console output
    now_seconds: Callable[[], float]
    cycles: Callable[[], int]
    core_hz: Callable[[], float]
    root: Path | None = None
    stdin: Callable[[int], bytes] = lambda n: b""
    heapinfo: tuple[int, int, int, int] = (0, 0, 0, 0)
    cmdline: str = "firmware"
    errno: int = 0
    calls: dict[int, int] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)
    _files: dict[int, BinaryIO | str] = field(default_factory=dict)
    _next_fd: int = 3
    _written: int = 0

    def __post_init__(self) -> None:
        self._files = {0: ":stdin", 1: ":stdout", 2: ":stderr"}

    # --- helpers ---------------------------------------------------------------------------
    def _read(self, addr: int, n: int) -> bytes:
        if n == 0:
            return b""
        if not self.mem.valid(addr, n):
            raise _BadPointer
        try:
            return bytes(self.mem.read(addr, n))
        except Exception as exc:             # the CPU model refused the access
            raise _BadPointer from exc

    def _write(self, addr: int, data: bytes) -> None:
        if not data:
            return
        if not self.mem.valid(addr, len(data)):
            raise _BadPointer
        try:
            self.mem.write(addr, data)
        except Exception as exc:
            raise _BadPointer from exc

    def _words(self, addr: int, n: int) -> tuple[int, ...]:
        return struct.unpack(f"<{n}I", self._read(addr, 4 * n))

    def _string(self, addr: int, length: int | None = None) -> bytes:
        if length is not None:
            return self._read(addr, length)
        out = bytearray()
        while len(out) < MAX_NAME:
            try:
                chunk = self._read(addr + len(out), 64)
            except _BadPointer:
                chunk = self._read(addr + len(out), 1)   # the string may end near a boundary
            nul = chunk.find(b"\0")
            if nul >= 0:
                out += chunk[:nul]
                break
            out += chunk
        return bytes(out)

    def _name(self, ptr: int, length: int) -> str | int:
        """A file name the firmware passed, or the errno to fail with."""
        if length > MAX_NAME:
            return errno.ENAMETOOLONG
        raw = self._string(ptr, length)
        if b"\0" in raw:
            return errno.EINVAL
        return raw.decode(errors="replace")

    def _sandboxed(self, name: str) -> Path | None:
        if self.root is None:
            self.refused.append(name)
            return None
        try:
            root = self.root.resolve()
            p = (root / name).resolve()
        except (OSError, RuntimeError, ValueError):      # a symlink loop, a bad name
            self.refused.append(name)
            return None
        if p != root and root not in p.parents:
            self.refused.append(name)
            return None
        return p

    def _fail(self, code: int) -> int:
        self.errno = code
        return 0xFFFFFFFF

    # --- dispatch --------------------------------------------------------------------------
    def call(self, op: int, arg: int) -> int:
        """Perform operation ``op`` with parameter ``arg`` (r1); returns the value for r0."""
        self.calls[op] = self.calls.get(op, 0) + 1
        try:
            return self._call(op, arg)
        except _BadPointer:
            return self._fail(errno.EFAULT)
        except OSError as exc:                   # a host file operation failed
            return self._fail(exc.errno or errno.EIO)

    def _call(self, op: int, arg: int) -> int:
        if op == SYS_WRITEC:
            self.out(1, self._read(arg, 1))
            return 0
        if op == SYS_WRITE0:
            self.out(1, self._string(arg))
            return 0
        if op == SYS_WRITE:
            fd, buf, n = self._words(arg, 3)
            data = self._read(buf, n)
            f = self._files.get(fd)
            if f in (":stdout", ":stderr"):
                self.out(2 if f == ":stderr" else 1, data)
                return 0
            if f is None or isinstance(f, str):
                self._fail(errno.EBADF)
                return n
            if self._written + len(data) > MAX_WRITE_BYTES:
                self._fail(errno.EFBIG)
                return n
            self._written += len(data)
            f.write(data)
            return 0
        if op == SYS_READ:
            fd, buf, n = self._words(arg, 3)
            f = self._files.get(fd)
            if n and not self.mem.valid(buf, n):      # before sizing a host buffer from n
                return self._fail(errno.EFAULT)
            if f == ":stdin":
                data = self.stdin(n)
            elif f is None or isinstance(f, str):
                self._fail(errno.EBADF)
                return n
            else:
                data = f.read(n)
            self._write(buf, data)
            return n - len(data)
        if op == SYS_READC:
            data = self.stdin(1)
            return data[0] if data else 0xFFFFFFFF
        if op == SYS_OPEN:
            return self._open(arg)
        if op == SYS_CLOSE:
            (fd,) = self._words(arg, 1)
            f = self._files.pop(fd, None)
            if f is None:
                return self._fail(errno.EBADF)
            if not isinstance(f, str):
                f.close()
            return 0
        if op == SYS_ISTTY:
            (fd,) = self._words(arg, 1)
            return 1 if isinstance(self._files.get(fd), str) else 0
        if op == SYS_ISERROR:
            (status,) = self._words(arg, 1)
            return 1 if status & 0x80000000 else 0
        if op == SYS_SEEK:
            fd, pos = self._words(arg, 2)
            f = self._files.get(fd)
            if f is None or isinstance(f, str):
                return self._fail(errno.EBADF)
            f.seek(pos)
            return 0
        if op == SYS_FLEN:
            (fd,) = self._words(arg, 1)
            f = self._files.get(fd)
            if f is None or isinstance(f, str):
                return self._fail(errno.EBADF)
            if isinstance(f, _Features):
                return len(f.getvalue())
            return os.fstat(f.fileno()).st_size
        if op == SYS_CLOCK:
            return int(self.now_seconds() * 100) & 0xFFFFFFFF
        if op == SYS_TIME:
            return (TIME_EPOCH + int(self.now_seconds())) & 0xFFFFFFFF
        if op == SYS_ELAPSED:
            c = self.cycles()
            self._write(arg, struct.pack("<II", c & 0xFFFFFFFF, (c >> 32) & 0xFFFFFFFF))
            return 0
        if op == SYS_TICKFREQ:
            return int(self.core_hz())
        if op == SYS_ERRNO:
            return self.errno
        if op == SYS_HEAPINFO:
            (block,) = self._words(arg, 1)
            self._write(block, struct.pack("<4I", *self.heapinfo))
            return 0
        if op == SYS_GET_CMDLINE:
            buf, n = self._words(arg, 2)
            text = self.cmdline.encode()[: max(n - 1, 0)] + b"\0"
            self._write(buf, text)
            self._write(arg + 4, struct.pack("<I", len(text) - 1))
            return 0
        if op == SYS_EXIT:
            # AArch32: r1 is the reason itself; the status is lost unless EXIT_EXTENDED is used.
            code = 0 if arg == ADP_STOPPED_APPLICATION_EXIT else 1
            raise SemihostingExit(code, arg)
        if op == SYS_EXIT_EXTENDED:
            reason, sub = self._words(arg, 2)
            if reason == ADP_STOPPED_APPLICATION_EXIT:
                code = sub if sub < 0x80000000 else sub - (1 << 32)
            else:
                code = 1
            raise SemihostingExit(code, reason)
        if op in (SYS_SYSTEM, SYS_TMPNAM):
            self.refused.append(f"operation {op:#x}")
            return self._fail(errno.EACCES)
        if op in (SYS_REMOVE, SYS_RENAME):
            return self._remove_rename(op, arg)
        return self._fail(errno.ENOSYS)

    def _open(self, arg: int) -> int:
        name_ptr, mode, length = self._words(arg, 3)
        name = self._name(name_ptr, length)
        if isinstance(name, int):
            return self._fail(name)
        if len(self._files) >= MAX_OPEN_FILES:
            return self._fail(errno.EMFILE)
        if name == ":tt":
            tag = ":stdin" if mode < 4 else (":stdout" if mode < 8 else ":stderr")
            return self._add(tag)
        if name == ":semihosting-features":
            return self._add(_Features(FEATURES_MAGIC + bytes([FEATURE_EXIT_EXTENDED | FEATURE_STDOUT_STDERR])))
        path = self._sandboxed(name)
        if path is None or mode > 11:
            return self._fail(errno.EACCES)
        try:
            f = _open_regular(path, mode)
        except OSError as exc:
            return self._fail(exc.errno or errno.EIO)
        return self._add(f)

    def _remove_rename(self, op: int, arg: int) -> int:
        if op == SYS_REMOVE:
            ptr, n = self._words(arg, 2)
            name = self._name(ptr, n)
            if isinstance(name, int):
                return self._fail(name)
            p = self._sandboxed(name)
            if p is None:
                return self._fail(errno.EACCES)
            try:
                p.unlink()
            except OSError as exc:
                return self._fail(exc.errno or errno.EIO)
            return 0
        p1, n1, p2, n2 = self._words(arg, 4)
        na, nb = self._name(p1, n1), self._name(p2, n2)
        if isinstance(na, int) or isinstance(nb, int):
            return self._fail(na if isinstance(na, int) else nb)
        a, b = self._sandboxed(na), self._sandboxed(nb)
        if a is None or b is None:
            return self._fail(errno.EACCES)
        try:
            a.rename(b)
        except OSError as exc:
            return self._fail(exc.errno or errno.EIO)
        return 0

    def _add(self, f: BinaryIO | str) -> int:
        fd = self._next_fd
        self._next_fd += 1
        self._files[fd] = f
        return fd

    def close_all(self) -> None:
        for fd, f in list(self._files.items()):
            if not isinstance(f, str):
                f.close()
            del self._files[fd]


def _open_regular(path: Path, mode: int) -> BinaryIO:
    """Open ``path`` in semihosting ``mode`` (0..11) only if it is a regular file: opened
    non-blocking first, so a FIFO or device can never block the simulator, then checked."""
    fd = os.open(path, _ACCMODE[mode] | os.O_NONBLOCK | os.O_CLOEXEC, 0o644)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EACCES, "not a regular file")
        os.set_blocking(fd, True)
        return os.fdopen(fd, MODES[mode])
    except BaseException:
        os.close(fd)
        raise


class _Features:
    """The in-memory ':semihosting-features' file."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0

    def read(self, n: int) -> bytes:
        out = self._data[self._pos:self._pos + n]
        self._pos += len(out)
        return out

    def write(self, data: bytes) -> None:
        raise OSError(errno.EBADF, "read-only")

    def seek(self, pos: int) -> None:
        self._pos = pos

    def getvalue(self) -> bytes:
        return self._data

    def close(self) -> None:
        pass
