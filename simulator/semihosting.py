"""ARM semihosting (``BKPT 0xAB`` on M-profile): console, exit, clock, sandboxed files.

Operation numbers and parameter blocks: Arm "Semihosting for AArch32 and AArch64" v3.0.
File access is allowed only below ``root`` (``--semihosting-root``); everything else is
refused with EACCES, so firmware can never touch the host outside that folder.
"""

from __future__ import annotations

import errno
import os
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

    def __post_init__(self) -> None:
        self._files = {0: ":stdin", 1: ":stdout", 2: ":stderr"}

    # --- helpers ---------------------------------------------------------------------------
    def _words(self, addr: int, n: int) -> tuple[int, ...]:
        return struct.unpack(f"<{n}I", self.mem.read(addr, 4 * n))

    def _string(self, addr: int, length: int | None = None) -> bytes:
        if length is not None:
            return self.mem.read(addr, length)
        out = bytearray()
        while len(out) < 4096:
            chunk = self.mem.read(addr + len(out), 64)
            nul = chunk.find(b"\0")
            if nul >= 0:
                out += chunk[:nul]
                break
            out += chunk
        return bytes(out)

    def _sandboxed(self, name: str) -> Path | None:
        if self.root is None:
            self.refused.append(name)
            return None
        root = self.root.resolve()
        p = (root / name).resolve()
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
        if op == SYS_WRITEC:
            self.out(1, self.mem.read(arg, 1))
            return 0
        if op == SYS_WRITE0:
            self.out(1, self._string(arg))
            return 0
        if op == SYS_WRITE:
            fd, buf, n = self._words(arg, 3)
            data = self.mem.read(buf, n) if n else b""
            f = self._files.get(fd)
            if f in (":stdout", ":stderr"):
                self.out(2 if f == ":stderr" else 1, data)
                return 0
            if f is None or isinstance(f, str):
                self._fail(errno.EBADF)
                return n
            f.write(data)
            return 0
        if op == SYS_READ:
            fd, buf, n = self._words(arg, 3)
            f = self._files.get(fd)
            if f == ":stdin":
                data = self.stdin(n)
            elif f is None or isinstance(f, str):
                self._fail(errno.EBADF)
                return n
            else:
                data = f.read(n)
            if data:
                self.mem.write(buf, data)
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
            self.mem.write(arg, struct.pack("<II", c & 0xFFFFFFFF, c >> 32))
            return 0
        if op == SYS_TICKFREQ:
            return int(self.core_hz())
        if op == SYS_ERRNO:
            return self.errno
        if op == SYS_HEAPINFO:
            (block,) = self._words(arg, 1)
            self.mem.write(block, struct.pack("<4I", *self.heapinfo))
            return 0
        if op == SYS_GET_CMDLINE:
            buf, n = self._words(arg, 2)
            text = self.cmdline.encode()[: max(n - 1, 0)] + b"\0"
            self.mem.write(buf, text)
            self.mem.write(arg + 4, struct.pack("<I", len(text) - 1))
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
        name = self._string(name_ptr, length).decode(errors="replace")
        if name == ":tt":
            tag = ":stdin" if mode < 4 else (":stdout" if mode < 8 else ":stderr")
            return self._add(tag)
        if name == ":semihosting-features":
            return self._add(_Features(FEATURES_MAGIC + bytes([FEATURE_EXIT_EXTENDED | FEATURE_STDOUT_STDERR])))
        path = self._sandboxed(name)
        if path is None or mode > 11:
            return self._fail(errno.EACCES)
        try:
            f = open(path, MODES[mode])  # noqa: SIM115 - closed by SYS_CLOSE or at the end
        except OSError as exc:
            return self._fail(exc.errno or errno.EIO)
        return self._add(f)

    def _remove_rename(self, op: int, arg: int) -> int:
        if op == SYS_REMOVE:
            ptr, n = self._words(arg, 2)
            p = self._sandboxed(self._string(ptr, n).decode(errors="replace"))
            if p is None:
                return self._fail(errno.EACCES)
            try:
                p.unlink()
            except OSError as exc:
                return self._fail(exc.errno or errno.EIO)
            return 0
        p1, n1, p2, n2 = self._words(arg, 4)
        a = self._sandboxed(self._string(p1, n1).decode(errors="replace"))
        b = self._sandboxed(self._string(p2, n2).decode(errors="replace"))
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
