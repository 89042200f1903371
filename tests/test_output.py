"""The one output helper every writer uses (simulator/output.py): '-', pipes, devices,
symlinks, atomic replacement and file modes, checked through the file system itself."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from simulator import output

ROOT = Path(__file__).resolve().parent.parent


def _child(code: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, **kw)


def test_dash_is_stdout(capfd):
    output.write_text("-", "hello\n")
    assert capfd.readouterr().out == "hello\n"
    assert not Path("-").exists()


def test_dev_stdout_stays_a_symlink_and_gets_the_text():
    r = _child("from simulator import output; print('first', flush=True);"
               "output.write_text('/dev/stdout', 'json\\n'); print('last')",
               capture_output=True, text=True)
    assert r.stdout == "first\njson\nlast\n"           # in order, nothing truncated
    assert os.path.islink("/dev/stdout")


def test_shell_redirected_stdout_file_is_appended_not_replaced(tmp_path):
    f = tmp_path / "out.txt"
    with open(f, "w") as fh:
        _child(f"from simulator import output; print('console', flush=True);"
               f"output.write_text({str(f)!r}, 'report\\n')", stdout=fh)
    assert f.read_text() == "console\nreport\n"


def test_fifo_is_written_directly(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    output.write_bytes(fifo, b"\x00binary\xff")
    reader.join(10)
    assert got == [b"\x00binary\xff"]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)        # still a FIFO, not a regular file


def test_dev_null_is_written_directly():
    output.write_text("/dev/null", "x" * 100)
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_symlink_is_followed(tmp_path):
    target = tmp_path / "real.json"
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    output.write_text(link, "new")
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == "new"
    dangling = tmp_path / "dangling.json"
    dangling.symlink_to(tmp_path / "made.json")
    output.write_text(dangling, "made")
    assert dangling.is_symlink() and (tmp_path / "made.json").read_text() == "made"


def test_new_file_gets_the_umask_mode_and_replacement_keeps_the_mode(tmp_path):
    old = os.umask(0o022)
    try:
        f = tmp_path / "r.json"
        output.write_text(f, "{}")
        assert stat.S_IMODE(f.stat().st_mode) == 0o644
        f.chmod(0o600)
        output.write_text(f, "{}\n")
        assert stat.S_IMODE(f.stat().st_mode) == 0o600
        os.umask(0o077)
        g = tmp_path / "private.json"
        output.write_text(g, "{}")
        assert stat.S_IMODE(g.stat().st_mode) == 0o600
    finally:
        os.umask(old)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["private.json", "r.json"]


def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    f = tmp_path / "r.json"
    f.write_text("old")
    with pytest.raises(RuntimeError), output.open_output(f) as fh:
        fh.write("half")
        raise RuntimeError("run failed")
    assert f.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_check_writable(tmp_path):
    assert output.check_writable("-") is None
    assert output.check_writable(tmp_path / "new.json") is None
    assert "does not exist" in output.check_writable(tmp_path / "no" / "r.json")
    assert "folder" in output.check_writable(tmp_path)
    assert output.check_writable("/dev/null") is None
