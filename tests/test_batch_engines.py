"""`simulate batch` end to end on real jobs: three short espeak-ng clips through the aligner
firmware on the local process pool and on a 2-worker Dask LocalCluster; every job's report must
be the same whichever engine ran it, a rerun must run nothing, and the accuracy against
espeak-ng's own word timings must be the aligner evaluation's (firmware/model/metrics.py)."""

from __future__ import annotations

import json
import shutil

import _model_path  # noqa: F401  (firmware/model on sys.path: espeak, metrics)
import pytest
from _chromium import drawn_marks, render

from simulator.batch.jobs import comparable
from simulator.cli import main as cli_main

CLIPS = ["one two three", "hello world", "four five six"]


@pytest.fixture(scope="module")
def manifest(tmp_path_factory):
    """Clips and reference word timings made by libespeak-ng (firmware/model/espeak.py)."""
    import espeak
    import soundfile as sf

    if shutil.which("espeak-ng") is None:
        pytest.fail("espeak-ng is not installed (scripts/setup.sh installs it)")
    d = tmp_path_factory.mktemp("clips")
    eng = espeak.get_engine()
    rows = []
    for text in CLIPS:
        words = text.split()
        joined, spans = espeak.word_spans(words)
        syn = eng.synthesize(joined)
        name = text.replace(" ", "_")
        sf.write(d / f"{name}.wav", syn.audio, espeak.SAMPLE_RATE)
        ref = [{"text": w.text, "start": w.start, "end": w.end}
               for w in espeak.word_timings(words, syn, spans)]
        (d / f"{name}.ref.json").write_text(json.dumps({"words": ref}))
        rows.append({"audio": f"{name}.wav", "transcript": text, "reference": f"{name}.ref.json"})
    m = d / "clips.jsonl"
    m.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return m


def _reports(out):
    got = {}
    for f in sorted((out / "jobs").glob("*.json")):
        r = json.loads(f.read_text())
        r["batch"].pop("worker_s")
        r["batch"].pop("worker_cpu_s")
        got[f.name] = comparable(r)
    return got


def test_dask_local_cluster_gives_the_local_pool_reports(firmware_build, manifest, tmp_path,
                                                         capsys):
    fw = str(firmware_build / "aligner.elf")
    local, dask = tmp_path / "local", tmp_path / "dask"
    assert cli_main(["batch", fw, str(manifest), "--jobs", "2", "--out", str(local),
                     "--min-accuracy", "0.5", "-q"]) == 0
    html = tmp_path / "batch.html"
    assert cli_main(["batch", fw, str(manifest), "--engine", "dask", "--jobs", "2",
                     "--out", str(dask), "--min-accuracy", "0.5", "--html", str(html),
                     "-q"]) == 0
    a, b = _reports(local), _reports(dask)
    assert sorted(a) == sorted(f"{t.replace(' ', '_')}.json" for t in CLIPS)
    assert a == b
    # each job report carries its profile: `simulate diff` compares two batches' jobs
    # function by function (here the same job on two engines: nothing changed)
    name = min(a)
    d = tmp_path / "d.json"
    assert cli_main(["diff", str(local / "jobs" / name), str(dask / "jobs" / name),
                     "--json", str(d)]) == 0
    delta = json.loads(d.read_text())
    assert delta["profiles"] and delta["functions"] == []
    agg = json.loads((dask / "batch.json").read_text())
    assert (agg["engine"], agg["workers"], agg["done"], agg["failed"]) == ("dask", 2, 3, 0)
    tp = agg["throughput"]
    assert tp["jobs_run"] == 3 and tp["audio_s"] == pytest.approx(
        sum(r["audio_s"] for r in agg["rows"])) and tp["jobs_cpu_s"] > 0

    # accuracy: the aligner evaluation's own metric code on the same words
    import numpy as np
    from metrics import BoundaryStats

    bs = BoundaryStats()
    for name, rep in a.items():
        ref = json.loads((manifest.parent / name.replace(".json", ".ref.json")).read_text())
        bs.add(np.array([[w["start"], w["end"]] for w in ref["words"]]),
               [(w["start_s"], w["end_s"]) if w["found"] else (None, None)
                for w in rep["alignment"]["words"]])
    pooled = agg["groups"]["firmware clock"]["accuracy"]
    # errors are rounded to a nanosecond (accuracy.py): at most 5e-7 ms each
    assert 1000 * pooled["word_mae_s"] == pytest.approx(bs.summary()["mae_ms"], abs=1e-6)
    assert pooled["within_20ms"] == pytest.approx(bs.summary()["within_20ms"], rel=1e-9)
    assert pooled["words"] == 8

    # every stored job report follows the published schema, batch section included; the
    # format-1 names (a float MHz clock, a '_seconds' key) break the key rule and are refused
    import jsonschema

    from simulator.report import validate
    stored = [json.loads(f.read_text()) for f in sorted((dask / "jobs").glob("*.json"))]
    for rep in stored:
        validate(rep)
    assert {rep["batch"]["cpu_freq_hz"] for rep in stored} == {None}
    for old, new in (("worker_seconds", "worker_s"), ("mhz", "cpu_freq_hz")):
        bad = json.loads(json.dumps(stored[0]))
        bad["batch"][old] = bad["batch"].pop(new)
        with pytest.raises(jsonschema.ValidationError):
            validate(bad)

    # the aggregate page and the pages of the clips it singles out draw in Chromium
    shown = render(html)
    assert shown.console == []
    plots = drawn_marks(shown.dom)
    assert plots and all(p.marks > 0 for p in plots.values())
    worst = agg["worst"]["slowest"][0]["job"]
    assert (tmp_path / "html" / f"{worst}.html").is_file()
    assert f'href="html/{worst}.html"' in shown.dom
    assert "clip-s/s" in shown.dom                          # the throughput card

    # a rerun finds every job stored under the same key and runs none
    capsys.readouterr()
    assert cli_main(["batch", fw, str(manifest), "--jobs", "2", "--out", str(local)]) == 0
    again = json.loads((local / "batch.json").read_text())
    assert again["reused"] == 3
    assert _reports(local) == a
    assert "3 of 3 jobs done, 3 reused" in capsys.readouterr().err


def test_bad_manifest_and_options_are_one_line_exit_2(firmware_build, tmp_path, capsys):
    fw = str(firmware_build / "aligner.elf")
    (tmp_path / "m.csv").write_text("audio\nnope.wav\n")
    assert cli_main(["batch", fw, str(tmp_path / "m.csv"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nope.wav not found" in err
    assert cli_main(["batch", fw, str(tmp_path / "m.csv"), "--min-accuracy", "90"]) == 2
    assert "between 0 and 1" in capsys.readouterr().err
    assert cli_main(["batch", fw, str(tmp_path / "m.csv"), "--scheduler", "tcp://x:1"]) == 2
    assert "--engine dask" in capsys.readouterr().err
    assert cli_main(["batch", fw, str(tmp_path / "m.csv"), "--engine", "ray"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Ray is not supported" in err


def test_the_evaluation_on_the_firmware_gives_the_host_librarys_words(firmware_build, manifest,
                                                                      tmp_path):
    """firmware/model/evaluate.py --firmware: its clips go through simulator.batch
    (align_clips) and come back as the host build of the same C aligner places them
    (firmware/aligner/host.py, the evaluation's default aligner), word for word."""
    import evaluate
    import g2p
    import numpy as np
    import soundfile as sf
    from scipy.signal import resample_poly

    clips = []
    for row in map(json.loads, manifest.read_text().splitlines()):
        pcm, rate = sf.read(manifest.parent / row["audio"], dtype="int16")
        pcm16 = np.round(resample_poly(pcm.astype(float), 160, rate // 100)).clip(
            -32768, 32767).astype(np.int16)
        phones = [w.phones for w in g2p.transcript_phones(row["transcript"], "en-us")]
        clips.append((pcm16, phones, row["transcript"]))
    fw = evaluate.FirmwareAligner((firmware_build / "aligner.elf").resolve(), tmp_path / "ev",
                                  2, "local", None, None)
    on_firmware = evaluate._align_all(fw, clips, "t")
    host = evaluate.c_aligner()
    assert host is not None, "firmware/aligner/host.py unusable"
    on_host = evaluate._align_all(host, clips, "t")
    assert fw.failed == 0 and all(w is not None for w in on_firmware)
    assert on_firmware == on_host
    assert sum(1 for w in on_firmware for s, _ in w if s is not None) == 8
    assert len(list((tmp_path / "ev" / "jobs").glob("t_*.json"))) == 3
