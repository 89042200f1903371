"""Regenerate docs/report-aligner.png: the aligner's HTML report, photographed by headless
Chromium.

    python scripts/report_screenshot.py [--out docs/report-aligner.png] [--keep DIR]

Makes the demo clip with espeak-ng ("the quick brown fox jumps over the lazy dog", en-us, 160
words per minute, as scripts/demo.sh), runs `simulate profile firmware/build/aligner.elf
--audio clip.wav --text ... --html report.html`, and has Chromium take a full-page picture.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEXT = "the quick brown fox jumps over the lazy dog"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                  "--virtual-time-budget=30000"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "report-aligner.png")
    ap.add_argument("--keep", type=Path, help="keep the clip, report.html and report.json here")
    ap.add_argument("--height", type=int, default=5600, help="page height in pixels")
    args = ap.parse_args()
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        sys.exit("chromium not found (scripts/apt-packages.txt)")
    work = Path(tempfile.mkdtemp(prefix="h7report_")) if args.keep is None else args.keep
    work.mkdir(parents=True, exist_ok=True)
    wav = work / "clip.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "160", "-w", str(wav), TEXT], check=True)
    html = work / "report.html"
    subprocess.run([sys.executable, "-m", "simulator.cli", "profile",
                    str(ROOT / "firmware" / "build" / "aligner.elf"), "--audio", str(wav),
                    "--text", TEXT, "--json", str(work / "report.json"), "--html", str(html),
                    "-q"], check=True, cwd=ROOT)
    with tempfile.TemporaryDirectory(prefix="h7chrome-") as profile:
        subprocess.run([exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                        f"--window-size=1300,{args.height}",
                        f"--screenshot={args.out.resolve()}", html.resolve().as_uri()],
                       check=True, capture_output=True)
    print(f"wrote {args.out}")
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
