"""Semihosting calls with hostile arguments end as a firmware-visible error (r0 = -1, errno
set, as a debugger's host answers), never as a simulator crash, hang or host-memory blow-up.

Operation numbers and parameter blocks: Arm "Semihosting for AArch32 and AArch64" v3.0;
errno values are the host's (Linux <errno.h>), which is what SYS_ERRNO returns on a real
debug host too."""

from __future__ import annotations

import errno
import os
import signal
import struct
from pathlib import Path

import pytest

from simulator.semihosting import (
    SYS_CLOSE,
    SYS_ERRNO,
    SYS_GET_CMDLINE,
    SYS_OPEN,
    SYS_READ,
    SYS_REMOVE,
    SYS_WRITE,
    SYS_WRITE0,
    Memory,
    Semihosting,
)

BASE, SIZE = 0x20000000, 0x10000          # one 64 KiB RAM window, nothing else mapped
PARAMS, NAME, BUF = BASE, BASE + 0x100, BASE + 0x1000
FAIL = 0xFFFFFFFF


class Target:
    def __init__(self) -> None:
        self.ram = bytearray(SIZE)
        self.largest_read = 0

    def valid(self, a: int, n: int) -> bool:
        return BASE <= a and a + n <= BASE + SIZE

    def read(self, a: int, n: int) -> bytes:
        self.largest_read = max(self.largest_read, n)
        if not self.valid(a, n):
            raise MemoryError("the model would allocate this")   # what must never happen
        return bytes(self.ram[a - BASE:a - BASE + n])

    def write(self, a: int, d: bytes) -> None:
        assert self.valid(a, len(d))
        self.ram[a - BASE:a - BASE + len(d)] = d

    def put(self, a: int, data: bytes) -> None:
        self.ram[a - BASE:a - BASE + len(data)] = data


def _host(root: Path | None = None) -> tuple[Semihosting, Target, list]:
    t = Target()
    out: list = []
    sh = Semihosting(Memory(t.read, t.write, t.valid), lambda fd, b: out.append(b),
                     lambda: 0.0, lambda: 0, lambda: 64e6, root)
    return sh, t, out


def _call(sh, t, op, *words) -> int:
    t.put(PARAMS, struct.pack(f"<{len(words)}I", *words))
    return sh.call(op, PARAMS)


def _open(sh, t, name: bytes, mode: int) -> int:
    t.put(NAME, name + b"\0")
    return _call(sh, t, SYS_OPEN, NAME, mode, len(name))


def test_write_with_huge_length_fails_efault_without_reading(tmp_path):
    sh, t, out = _host()
    assert _call(sh, t, SYS_WRITE, 1, BUF, 0xFFFFFFF0) == FAIL
    assert sh.call(SYS_ERRNO, 0) == errno.EFAULT
    assert t.largest_read <= 16 and out == []


def test_read_into_unmapped_buffer_fails_efault(tmp_path):
    (tmp_path / "f").write_bytes(b"x" * 100)
    sh, t, _ = _host(tmp_path)
    fd = _open(sh, t, b"f", 0)
    assert fd != FAIL
    assert _call(sh, t, SYS_READ, fd, 0x60000000, 0x7FFFFFFF) == FAIL
    assert sh.call(SYS_ERRNO, 0) == errno.EFAULT
    assert _call(sh, t, SYS_READ, fd, BUF, 10) == 0         # the file still reads after it
    assert t.ram[BUF - BASE:BUF - BASE + 10] == b"x" * 10


def test_write0_from_bad_pointer_and_unterminated_string():
    sh, t, _ = _host()
    assert sh.call(SYS_WRITE0, 0x90000000) == FAIL
    assert sh.call(SYS_ERRNO, 0) == errno.EFAULT
    t.put(BASE + SIZE - 8, b"ABCDEFGH")                       # runs off the end of memory
    assert sh.call(SYS_WRITE0, BASE + SIZE - 8) == FAIL


def test_nul_in_file_name_is_einval_not_a_crash(tmp_path):
    sh, t, _ = _host(tmp_path)
    assert _open(sh, t, b"a\0b", 4) == FAIL
    assert sh.call(SYS_ERRNO, 0) == errno.EINVAL
    t.put(NAME, b"a\0b")
    assert _call(sh, t, SYS_REMOVE, NAME, 3) == FAIL
    assert not any(tmp_path.iterdir())


def test_fifo_in_the_root_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    sh, t, _ = _host(tmp_path)
    old = signal.signal(signal.SIGALRM, lambda *a: pytest.fail("SYS_OPEN on a FIFO blocked"))
    signal.alarm(20)
    try:
        for mode in (0, 4):                                   # read, write
            assert _open(sh, t, b"pipe", mode) == FAIL
            assert sh.call(SYS_ERRNO, 0) in (errno.EACCES, errno.ENXIO)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def test_name_longer_than_path_max_and_open_file_limit(tmp_path):
    sh, t, _ = _host(tmp_path)
    assert _call(sh, t, SYS_OPEN, NAME, 0, 0x7FFFFFFF) == FAIL
    assert sh.call(SYS_ERRNO, 0) == errno.ENAMETOOLONG
    fds = [_open(sh, t, b":tt", 0) for _ in range(200)]
    assert FAIL in fds and sh.call(SYS_ERRNO, 0) == errno.EMFILE
    for fd in fds:
        if fd != FAIL:
            _call(sh, t, SYS_CLOSE, fd)
    assert _open(sh, t, b":tt", 0) != FAIL


def test_cmdline_into_unmapped_buffer():
    sh, t, _ = _host()
    assert _call(sh, t, SYS_GET_CMDLINE, 0xA0000000, 0xFFFFFFFF) == FAIL
    assert sh.call(SYS_ERRNO, 0) == errno.EFAULT


def test_sandbox_and_ordinary_files_still_work(tmp_path):
    sh, t, _ = _host(tmp_path)
    fd = _open(sh, t, b"out.txt", 4)                          # "wb"
    t.put(BUF, b"hello")
    assert _call(sh, t, SYS_WRITE, fd, BUF, 5) == 0
    assert _call(sh, t, SYS_CLOSE, fd) == 0
    assert (tmp_path / "out.txt").read_bytes() == b"hello"
    assert _open(sh, t, b"../escape", 4) == FAIL
    assert sh.call(SYS_ERRNO, 0) == errno.EACCES
