"""The profile exports of the real aligner firmware (ITCM code, inline assembly, interrupts,
tail calls), read by the tools that normally read them: valgrind's callgrind_annotate per
source line, speedscope's own file-format schema, and the nesting rules of Chrome trace
events. One `simulate profile` run of a short spoken clip feeds every test here."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEXT = "hello world"

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                reason="espeak-ng not installed (makes the clip)")


@pytest.fixture(scope="module")
def prof(firmware_build, tmp_path_factory) -> dict:
    from simulator.cli import main

    d = tmp_path_factory.mktemp("aligner_profile")
    wav = d / "clip.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(wav), TEXT], check=True)
    out = {k: d / n for k, n in (("cg", "callgrind.out.aligner"), ("ss", "p.speedscope.json"),
                                 ("pf", "p.trace.json"), ("js", "report.json"))}
    code = main(["profile", str(firmware_build / "aligner.elf"), "--audio", str(wav),
                 "--text", TEXT, "--top", "100000", "-q", "--callgrind", str(out["cg"]),
                 "--speedscope", str(out["ss"]), "--perfetto", str(out["pf"]),
                 "--json", str(out["js"])])
    assert code == 0
    out["report"] = json.loads(out["js"].read_text())
    out["elf"] = firmware_build / "aligner.elf"
    out["map"] = firmware_build / "aligner.map"
    return out


def test_inclusive_never_below_self(prof):
    fns = prof["report"]["profile"]["functions"]
    assert len(fns) > 50
    bad = [(f["name"], f["self_cycles"], f["inclusive_cycles"]) for f in fns
           if f["inclusive_cycles"] < f["self_cycles"]]
    assert bad == []


def test_chrome_trace_events_nest_inside_their_parents(prof):
    doc = json.loads(prof["pf"].read_text())
    xs = [e for e in doc["traceEvents"] if e["ph"] == "X"]
    assert len(xs) > 50
    # compare the ends as the readers compute them: ts + dur in doubles (speedscope and
    # Perfetto add them in JavaScript / C++ doubles; Python floats are the same IEEE doubles)
    iv = sorted(((e["ts"], e["ts"] + e["dur"], e["name"]) for e in xs),
                key=lambda t: (t[0], -t[1]))
    stack: list[tuple[int, int, str]] = []
    escapes = []
    for s, e, name in iv:
        while stack and s >= stack[-1][1]:
            stack.pop()
        if stack and e > stack[-1][1]:
            escapes.append((name, stack[-1][2], e - stack[-1][1]))
        stack.append((s, e, name))
    assert escapes == []
    total_ns = prof["report"]["summary"]["cycles"] / prof["report"]["summary"]["core_hz"] * 1e9
    roots_end = max(e for _, e, _ in iv)
    assert abs(1000 * roots_end - total_ns) <= 1


def test_speedscope_file_validates_against_speedscopes_schema(prof):
    import jsonschema

    schema = json.loads((ROOT / "tests/data/speedscope-file-format-schema.json").read_text())
    doc = json.loads(prof["ss"].read_text())
    jsonschema.validate(doc, schema)
    p = doc["profiles"][0]
    n = len(doc["shared"]["frames"])
    assert len(p["samples"]) == len(p["weights"])
    assert all(0 <= i < n for s in p["samples"] for i in s)
    assert sum(p["weights"]) == pytest.approx(prof["report"]["summary"]["cycles"], abs=1)
    assert p["endValue"] == pytest.approx(sum(p["weights"]))


def _annotate(cg: Path) -> tuple[str, dict[str, dict[int, int]]]:
    """callgrind_annotate's per-line output: {source path: {line: Ir}} of annotated files."""
    res = subprocess.run(["callgrind_annotate", "--auto=yes", "--threshold=100",
                          "--show=Ir", str(cg)], capture_output=True, text=True, check=True,
                         cwd=ROOT)
    files: dict[str, dict[int, int]] = {}
    cur: dict[int, int] | None = None
    line = 0
    for text in res.stdout.splitlines():
        m = re.match(r"-- Auto-annotated source: (.*)$", text)
        if m:                   # paths below the current folder are shown relative to it
            cur = files.setdefault(str(Path(m[1].strip()).resolve()), {})
            line = 1
            continue
        if cur is None:
            continue
        m = re.match(r"-- line (\d+) -+$", text)
        if m:
            line = int(m[1])
            continue
        if text.startswith("-----"):
            continue
        if text.startswith("The following files"):
            cur = None
            continue
        if re.match(r"\s*[\d,]+ \([\s\d.]+%\)\s+=> ", text):
            continue                            # inclusive cost of the calls on that line
        m = re.match(r"\s*([\d,]+|\.)\s", text)
        if m is None or text.startswith("Ir"):
            continue
        if m[1] != ".":
            cur[line] = cur.get(line, 0) + int(m[1].replace(",", ""))
        line += 1
    return res.stdout, files


def _span(source: list[str], name: str) -> range | None:
    """Lines (1-based) of the definition of function ``name`` in C source: from the line
    naming it to its closing brace."""
    for i, text in enumerate(source):
        if re.search(rf"\b{re.escape(name)}\s*\(", text) and not text.startswith((" ", "\t")) \
                and not text.rstrip().endswith(";"):
            depth, opened = 0, False
            for j in range(i, len(source)):
                depth += source[j].count("{") - source[j].count("}")
                opened = opened or "{" in source[j]
                if opened and depth == 0:
                    return range(i + 1, j + 2)
    return None


@pytest.mark.skipif(shutil.which("callgrind_annotate") is None,
                    reason="valgrind's callgrind_annotate not installed")
def test_callgrind_annotate_finds_the_firmware_sources(prof):
    text, files = _annotate(prof["cg"])
    assert "PROGRAM TOTALS" in text
    # every firmware source it chose to annotate was found (paths it can open)
    missing = text.split("could not be found:")[1] if "could not be found:" in text else ""
    assert str(ROOT / "firmware") not in missing
    ours = {Path(f) for f in files if f.startswith(str(ROOT / "firmware"))}
    for name in ("fft.c", "nnet.c", "frontend.c", "viterbi.c", "main.c"):
        assert any(p.name == name for p in ours), (name, sorted(ours))


@pytest.mark.skipif(shutil.which("callgrind_annotate") is None,
                    reason="valgrind's callgrind_annotate not installed")
def test_itcm_functions_are_attributed_to_their_own_source_file(prof):
    """Functions running from ITCM (address 0, like the DWARF lines of every function the
    linker discarded) are listed by callgrind_annotate under the .c file that defines them
    (plus headers they inline), never under unrelated .c files."""
    itcm = _itcm_functions(prof["elf"])
    res = subprocess.run(["callgrind_annotate", "--threshold=100", str(prof["cg"])],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    seen: dict[str, set[str]] = {}
    for m in re.finditer(r"^\s*[\d,]+ \([\s\d.]+%\)\s+[\d,]+ \([\s\d.]+%\)\s+(\S+):(\w+)$",
                         res.stdout, re.M):
        if m[2] in itcm:
            seen.setdefault(m[2], set()).add(Path(m[1]).name)
    assert set(seen) == itcm
    for name, files in seen.items():
        defining = {p.name for p in (ROOT / "firmware").rglob("*.c")
                    if re.search(rf"^(?:\w[\w ]*\s)?\**{name}\s*\(", p.read_text(), re.M)}
        assert len(defining) == 1, (name, defining)
        assert {f for f in files if not f.endswith(".h")} == defining, (name, files)


def _itcm_functions(elf: Path) -> set[str]:
    nm = subprocess.run(["arm-none-eabi-nm", "-n", str(elf)], capture_output=True,
                        text=True, check=True).stdout
    return {ln.split()[2] for ln in nm.splitlines()
            if len(ln.split()) == 3 and ln.split()[1] in "tT" and int(ln.split()[0], 16) < 0x10000
            and ln.split()[2].isidentifier() and not ln.split()[2].startswith("_")}


@pytest.mark.skipif(shutil.which("callgrind_annotate") is None,
                    reason="valgrind's callgrind_annotate not installed")
def test_itcm_code_lines_lie_in_its_own_functions(prof):
    """The code copied to ITCM (address 0...) is the FFT and the two int8 layers: every
    instruction executed in fft.c / nnet.c lands on a line of a function defined there that
    has a symbol in the ELF, or of a helper inlined into one (static inline); the lines of
    al_cfft256 and al_rfft512 (discarded by the linker, their DWARF lines at 0) get nothing."""
    itcm = _itcm_functions(prof["elf"])
    assert {"rfft512_post", "al_cfft256_br"} <= itcm
    _, files = _annotate(prof["cg"])
    src = ROOT / "firmware/aligner/fft.c"
    lines = src.read_text().splitlines()
    live = [_span(lines, n) for n in ("rfft512_post", "al_cfft256_br", "al_rfft512_br",
                                      "fft_stage_wide")]
    costed = files[str(src)]
    assert costed
    outside = [ln for ln in costed if not any(ln in s for s in live if s)]
    assert outside == []


def test_no_audio_lost_at_400_mhz(prof):
    """The firmware's own statistics say it lost nothing; neither does the simulator."""
    r = prof["report"]
    stats = re.search(r"# stats .*\blost=(\d+) late=(\d+)", r["console"]["USART3"])
    assert stats and stats[1] == "0"
    assert (r["dma"]["unread_halves"], r["dma"]["rewritten_halves"],
            r["dma"]["lost_interrupts"]) == (0, 0, 0)


def test_long_lists_say_they_are_truncated(prof):
    r = prof["report"]
    cut = r["truncated"]["time_segments"]
    assert len(r["time_segments"]) == cut["kept"] < cut["total"]
    assert cut["which"] == "last"
    assert r["time_segments"][-1]["end_cycle"] == r["summary"]["cycles"]


@pytest.mark.parametrize("kind, importer", [("ss", "speedscope json file"),
                                            ("pf", "Trace Event Format profile")])
def test_speedscope_imports_the_exports_without_a_warning(prof, kind, importer):
    """speedscope's own importer (its npm release in Chromium) takes both exports as they
    are: it repairs nothing (a Chrome trace whose events end after their parent, even by a
    double rounding, gets one 'Tried to end ...' warning per broken frame) and fails nothing
    ('Failed to load format ...')."""
    from _speedscope import import_profile

    got = import_profile(prof[kind])
    assert f"Importing as {importer}" in got.console
    unexpected = [m for m in got.console if not (m.startswith("speedscope v") or
                  m.startswith("Importing as") or re.fullmatch(r"import: [\d.]+ ms", m))]
    assert unexpected == []
    name = json.loads(prof["ss"].read_text())["name"] if kind == "ss" else prof[kind].name
    assert got.title == f"{name} - speedscope"         # the profile was opened
