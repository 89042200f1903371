"""Self-contained HTML reports (``--html FILE``): one run, a clock sweep, two runs compared,
a batch. Each page inlines plotly.js from the ``plotly`` package and opens offline.

    from simulator.html_report import run_page, write_page
    write_page(run_page(report, extras), "report.html")
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .page import Page
from .run_page import run_page

__all__ = ["Page", "run_page", "write_page", "write_run_html"]


def write_page(page: Page, path: Path | str) -> None:
    """Render and write (simulator.output: atomic for a regular file, '-' is stdout)."""
    from ..output import write_text
    write_text(path, page.render())


def write_run_html(path: Path | str, machine: Any, result: Any, report: dict[str, Any],
                   profile: Any = None, top: int = 15) -> None:
    """The page of a finished run: ``report`` plus what only the live run has (the waveform,
    every clock change, the calling contexts when ``profile`` is given)."""
    from .extras import extras_from_run
    write_page(run_page(report, extras_from_run(machine, result, report, profile, top)), path)
