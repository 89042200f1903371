"""Render an HTML file in headless Chromium (Debian's ``chromium``) and look at what it drew.

``render(path)`` loads the page with networking off, lets its scripts run (virtual time), and
returns the DOM after scripts (``--dump-dom``) and every console message the page produced
(Chromium logs them to stderr as ``CONSOLE`` lines with --enable-logging). ``drawn_marks(dom)``
counts, per plot container, the SVG paths plotly.js drew for the data (inside trace groups and
icicle slices, with a non-degenerate outline), and the text labels drawn in them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0", "--hide-scrollbars",
         # any request leaving the machine fails: the page must not need one
         "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>"]


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class Rendered:
    dom: str
    console: list[str]


def render(path: Path, screenshot: Path | None = None, width: int = 1300,
           height: int = 2000, budget_ms: int = 30000) -> Rendered:
    exe = chromium()
    assert exe, "chromium not installed (scripts/apt-packages.txt)"
    with tempfile.TemporaryDirectory(prefix="h7chrome-") as profile:
        args = [exe, *FLAGS, f"--user-data-dir={profile}", f"--virtual-time-budget={budget_ms}",
                f"--window-size={width},{height}"]
        if screenshot is not None:
            args.append(f"--screenshot={screenshot}")
        else:
            args.append("--dump-dom")
        proc = subprocess.run([*args, Path(path).resolve().as_uri()], capture_output=True,
                              text=True, timeout=300, stdin=subprocess.DEVNULL, check=False)
    console = [ln for ln in proc.stderr.splitlines() if ":CONSOLE" in ln]
    return Rendered(proc.stdout, console)


@dataclass
class Plot:
    marks: int = 0                              # data paths drawn
    texts: list[str] = field(default_factory=list)


class _Walker(HTMLParser):
    VOID: frozenset[str] = frozenset({"path", "rect", "line", "circle", "image", "br", "img",
                                      "input", "meta", "link"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, str, str | None]] = []   # (tag, class, plot id)
        self.plots: dict[str, Plot] = {}

    def _plot(self) -> str | None:
        return self.stack[-1][2] if self.stack else None

    def _in_data(self) -> bool:
        return any(c.startswith("trace") or c.split(" ")[0] == "slice"
                   for t, c, _ in self.stack if t == "g")

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = a.get("class") or ""
        plot = self._plot()
        if tag == "div" and "js-plotly-plot" in cls.split():
            plot = a.get("id")
            self.plots[plot] = Plot()
        if plot and tag == "path" and self._in_data() and _real_outline(a.get("d") or ""):
            self.plots[plot].marks += 1
        if tag not in self.VOID:
            self.stack.append((tag, cls, plot))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        plot = self._plot()
        if plot and self.stack and self.stack[-1][0] in ("text", "tspan") and data.strip():
            self.plots[plot].texts.append(data.strip())


def _real_outline(d: str) -> bool:
    """An outline that covers something: its points span a non-zero width or height
    (plotly writes 'M0,0Z' for an empty bar, and zero-width bars have one x)."""
    xs: set[float] = set()
    ys: set[float] = set()
    x = y = 0.0
    for cmd, args in re.findall(r"([MLHVZCSQTA])([^MLHVZCSQTA]*)", d.upper()):
        nums = [float(n) for n in re.findall(r"-?\d*\.?\d+(?:e-?\d+)?", args)]
        if cmd in "ML" and len(nums) >= 2:
            for k in range(0, len(nums) - 1, 2):
                x, y = nums[k], nums[k + 1]
                xs.add(x)
                ys.add(y)
        elif cmd == "H" and nums:
            xs.update(nums)
        elif cmd == "V" and nums:
            ys.update(nums)
        elif cmd in "CSQTA" and len(nums) >= 2:
            xs.update(nums[0::2])
            ys.update(nums[1::2])
    return len(xs) >= 2 or len(ys) >= 2


def drawn_marks(dom: str) -> dict[str, Plot]:
    w = _Walker()
    w.feed(dom)
    return w.plots
