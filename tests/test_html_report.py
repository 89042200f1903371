"""The HTML reports, rendered by headless Chromium (Debian's ``chromium``, installed by
scripts/setup.sh from scripts/apt-packages.txt): no console message, every plot drew data, and
what the plots show agrees with what other writers produced (the alignment JSON, the profile
JSON, the reference manual's region sizes)."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from _chromium import drawn_marks, render

from simulator.cli import main as cli_main

WORDS = "one two three four"

# RM0433 rev 7, table 7 (memory map): ITCM 64 KB, DTCM 128 KB, AXI SRAM 512 KB
REGION_SIZES = {"ITCM": 64 * 1024, "DTCM": 128 * 1024, "AXI_SRAM": 512 * 1024}


def _figures(html: str) -> list[dict]:
    m = re.search(r'<script type="application/json" id="h7-figures">(.*?)</script>', html,
                  re.DOTALL)
    assert m, "no figure data in the page"
    return json.loads(m.group(1))


@pytest.fixture(scope="module")
def aligner_page(firmware_build, tmp_path_factory):
    if shutil.which("espeak-ng") is None:
        pytest.fail("espeak-ng is not installed (scripts/setup.sh installs it)")
    d = tmp_path_factory.mktemp("html")
    wav = d / "clip.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(wav), WORDS], check=True)
    html, js, words = d / "report.html", d / "report.json", d / "words.json"
    code = cli_main(["profile", str(firmware_build / "aligner.elf"), "--audio", str(wav),
                     "--text", WORDS, "--json", str(js), "--html", str(html),
                     "--alignment-out", str(words), "-q"])
    assert code == 0
    return html, json.loads(js.read_text()), json.loads(words.read_text()), render(html)


def test_page_is_one_self_contained_file(aligner_page):
    html, *_ = aligner_page
    text = html.read_text()
    assert not re.search(r"<script[^>]+src=", text)         # plotly.js is inline
    assert not re.search(r"<link[^>]+href=", text)
    assert "plotly.js v" in text[:200_000]


def test_chromium_draws_every_plot_without_console_messages(aligner_page):
    html, _rep, _words, shown = aligner_page
    assert shown.console == []
    figures = _figures(html.read_text())
    plots = drawn_marks(shown.dom)
    # summary-less sections do not exist here: RAM bars, stack timeline, power, icicle,
    # stalls (total and per function), audio
    assert len(figures) == 7
    assert sorted(plots) == sorted(f["id"] for f in figures)
    for fid, plot in plots.items():
        assert plot.marks > 0, f"{fid} drew no data"


def test_audio_plot_names_every_aligned_word(aligner_page):
    html, _rep, words, shown = aligner_page
    figures = _figures(html.read_text())
    audio = next(f["id"] for f in figures if "aligned words" in json.dumps(f["layout"]))
    plot = drawn_marks(shown.dom)[audio]
    found = [w["text"] for w in words["words"] if w["found"]]
    assert found == WORDS.split()                     # the aligner placed every word
    for w in found:
        assert w in plot.texts
    # one confidence bar per placed word, plus the waveform's two outlines
    assert plot.marks >= len(found) + 2


def test_icicle_and_hot_loops_name_the_profile_hot_spots(aligner_page):
    html, rep, _words, shown = aligner_page
    figures = _figures(html.read_text())
    icicle = next(f["id"] for f in figures if f["data"] and f["data"][0]["type"] == "icicle")
    hottest = next(f["name"] for f in rep["profile"]["functions"] if f["name"] != "[sleep]")
    assert hottest in drawn_marks(shown.dom)[icicle].texts
    loop = rep["profile"]["loops"][0]
    assert loop["location"] in shown.dom
    # the hot loop's source line, read from the firmware sources
    func, _, line = loop["location"].rpartition(":")
    fn = next(f for f in rep["profile"]["functions"] if f["name"] == func)
    text = Path(fn["file"]).read_text().splitlines()[int(line) - 1].strip()
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert text and escaped in shown.dom


def test_ram_table_gives_each_region_against_its_reference_manual_size(aligner_page):
    _html, rep, _words, shown = aligner_page
    for name, peak in ((n, r["peak_bytes"]) for n, r in rep["memory"]["regions"].items()):
        size = REGION_SIZES[name]
        assert re.search(rf"<td class=\"t\">{name}</td><td>{peak:,}</td><td>{size:,}</td>"
                         rf"<td>{100 * peak / size:.1f} %</td>", shown.dom), name


def test_terminal_summary_shows_the_page_headline_figures(aligner_page):
    from rich.console import Console

    from simulator.report import print_summary

    _html, rep, _words, shown = aligner_page
    cards = re.findall(r'<div class="l">([^<]*)</div><div class="v">([^<]*)</div>', shown.dom)
    assert {label for label, _ in cards} >= {"outcome", "peak RAM", "CPU busy",
                                             "real-time factor", "energy", "words aligned"}
    assert "mW average at 3.3 V" in shown.dom          # the default supply (simulate --help)
    out = io.StringIO()
    print_summary(rep, Console(file=out, width=200))
    text = out.getvalue()
    for label, value in cards:
        value = value.replace("&amp;", "&")
        assert re.search(rf"{re.escape(label)}\s+{re.escape(value)}", text), (label, value)


def test_sweep_and_diff_pages_draw(firmware_build, tmp_path):
    fw = str(firmware_build / "hello.elf")
    sweep = tmp_path / "sweep.html"
    assert cli_main(["sweep", fw, "--freqs", "100,400", "--html", str(sweep)]) == 0
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert cli_main(["profile", fw, "--cpu-freq", "100", "--json", str(a), "-q"]) == 0
    assert cli_main(["profile", fw, "--cpu-freq", "400", "--json", str(b), "-q"]) == 0
    diff = tmp_path / "diff.html"
    assert cli_main(["diff", str(a), str(b), "--html", str(diff)]) == 0
    for page in (sweep, diff):
        shown = render(page)
        assert shown.console == [], page
        plots = drawn_marks(shown.dom)
        assert plots and all(p.marks > 0 for p in plots.values()), page
    # flash use of both firmwares as binutils counts it (text + data: what is loaded to flash)
    size = subprocess.run(["arm-none-eabi-size", fw], capture_output=True, text=True,
                          check=True).stdout.splitlines()[1].split()
    flash = int(size[0]) + int(size[1])
    assert (f'<td class="t">flash</td><td>{flash:,} B</td><td>{flash:,} B</td>'
            in diff.read_text())
    # the sweep plot has one point per clock on each of its two lines
    fig = _figures(sweep.read_text())[0]
    assert [len(t["x"]) for t in fig["data"][:2]] == [2, 2]
