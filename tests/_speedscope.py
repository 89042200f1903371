"""Open a profile in speedscope's own importer: its release bundle (npm package, installed by
scripts/fetch_speedscope.py) in headless Chromium, loaded the way its command line
`speedscope FILE` does (a script calling ``speedscope.loadFileFromBase64`` named in the
``#localProfilePath=`` fragment). Returns the page title speedscope set and what its importer
logged to the console (warnings about events it had to repair, import failures)."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from _chromium import FLAGS, chromium

VERSION = "1.25.0"
# Chromium's own messages about its software WebGL: not speedscope's
NOISE = re.compile(r"WebGL|GL Driver Message|GPU stall")


@dataclass
class Imported:
    title: str
    console: list[str]            # speedscope's console messages, Chromium's WebGL notes aside


def app_dir() -> Path:
    d = Path(sys.prefix) / "share" / f"speedscope-{VERSION}"
    assert (d / "index.html").is_file(), (
        f"speedscope {VERSION} is not installed in {d}: run scripts/setup.sh "
        "(or python scripts/fetch_speedscope.py)")
    return d


def import_profile(profile: Path) -> Imported:
    exe = chromium()
    assert exe, "chromium not installed (scripts/apt-packages.txt)"
    app = app_dir()
    with tempfile.TemporaryDirectory(prefix="h7speedscope-") as tmp:
        js = Path(tmp) / "load.js"
        js.write_text(f"speedscope.loadFileFromBase64({json.dumps(profile.name)}, "
                      f"{json.dumps(base64.b64encode(profile.read_bytes()).decode())})")
        url = (app / "index.html").as_uri() + f"#localProfilePath={js}"
        proc = subprocess.run([exe, *FLAGS, f"--user-data-dir={tmp}/chrome",
                               "--virtual-time-budget=20000", "--window-size=1300,900",
                               "--dump-dom", url], capture_output=True, text=True,
                              timeout=300, stdin=subprocess.DEVNULL, check=False)
    console = []
    for ln in proc.stderr.splitlines():
        if ":CONSOLE" not in ln:
            continue
        m = re.search(r'CONSOLE[^\]]*\] "(.*)", source:', ln)
        msg = m.group(1) if m else ln
        if not NOISE.search(msg):
            console.append(msg)
    t = re.search(r"<title>([^<]*)</title>", proc.stdout)
    return Imported(t.group(1) if t else "", console)
