"""One rule for stdout and stderr (simulator/cli/console.py): the firmware console on stdout,
everything the simulator says on stderr; and the progress bar, drawn on a real terminal (a
pty read by the pyte terminal emulator), never overwrites a firmware line."""

from __future__ import annotations

import json
import os
import pty
import select
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEXT = "hello world"

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                reason="espeak-ng not installed (makes the clip)")


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    wav = tmp_path_factory.mktemp("console") / "clip.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(wav), TEXT], check=True)
    return wav


def _cmd(firmware_build: Path, clip: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "simulator.cli", str(firmware_build / "aligner.elf"),
            "--audio", str(clip), "--text", TEXT, *extra]


def test_stdout_is_the_firmware_console_and_the_summary_is_on_stderr(firmware_build, clip,
                                                                      tmp_path):
    js = tmp_path / "r.json"
    p = subprocess.run(_cmd(firmware_build, clip, "--json", str(js)), cwd=ROOT,
                       capture_output=True, check=True)
    console = json.loads(js.read_text())["console"]["USART3"]
    assert "A 0 " in console and "# stats" in console
    assert p.stdout.decode() == console              # exactly what the firmware printed
    err = p.stderr.decode()
    assert "peak RAM" in err and "energy" in err     # the summary
    assert "# stats" not in err


def test_json_to_stdout_moves_the_firmware_console_to_stderr(firmware_build, clip):
    p = subprocess.run(_cmd(firmware_build, clip, "--json", "-"), cwd=ROOT,
                       capture_output=True, check=True)
    report = json.loads(p.stdout)                    # stdout is one JSON document
    assert report["console"]["USART3"] in p.stderr.decode()


def test_progress_bar_never_overwrites_firmware_lines(firmware_build, clip, tmp_path):
    import pyte

    js = tmp_path / "r.json"
    cols, rows = 200, 400
    screen = pyte.Screen(cols, rows)
    stream = pyte.ByteStream(screen)
    # the pty from openpty and the child from subprocess (not pty.fork: forking a
    # multi-threaded pytest process may deadlock the child; Python 3.12+ warns about it)
    fd, slave = pty.openpty()
    env = dict(os.environ, COLUMNS=str(cols), LINES=str(rows), TERM="xterm-256color")
    proc = subprocess.Popen(_cmd(firmware_build, clip, "--json", str(js)), cwd=ROOT, env=env,
                            stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
    os.close(slave)
    raw = b""
    while True:
        ready, _, _ = select.select([fd], [], [], 120)
        if not ready:
            break
        try:
            chunk = os.read(fd, 65536)
        except OSError:                              # the child closed the pty
            break
        if not chunk:
            break
        raw += chunk
    os.close(fd)
    assert proc.wait(timeout=120) == 0
    stream.feed(raw)
    shown = [line.rstrip() for line in screen.display]
    console = json.loads(js.read_text())["console"]["USART3"]
    lines = [ln.rstrip("\r") for ln in console.split("\n") if ln.strip()]
    assert lines
    missing = [ln for ln in lines if ln.rstrip() not in shown]
    assert missing == []
    assert b"simulating" in raw                      # the bar was really drawn
