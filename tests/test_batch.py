"""simulate batch: the manifest, accuracy against references, resumable retrying runs, and a
2-worker Dask LocalCluster giving the same reports as the local process pool."""

from __future__ import annotations

import json
import random

import pytest

from simulator.batch.accuracy import ReferenceError, load_reference, score
from simulator.batch.jobs import JobInputError, RunSettings, comparable
from simulator.batch.manifest import ManifestError, read_manifest
from simulator.batch.runner import Gates, plan, run_batch
from simulator.batch.store import Store


# --- manifest ------------------------------------------------------------------------------------
def test_manifest_csv_and_jsonl_give_the_same_clips(tmp_path):
    (tmp_path / "a.wav").write_bytes(b"x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.wav").write_bytes(b"x")
    (tmp_path / "b.txt").write_text("hello world\n")
    (tmp_path / "ref.json").write_text('{"words": []}')
    (tmp_path / "m.csv").write_text("audio,transcript,transcript_file,reference,id\n"
                                    "a.wav,one two,,ref.json,\n"
                                    "sub/b.wav,,b.txt,,\n"
                                    "a.wav,again,,,\n")
    (tmp_path / "m.jsonl").write_text(
        '{"audio": "a.wav", "transcript": "one two", "reference": "ref.json"}\n\n'
        '{"audio": "sub/b.wav", "transcript_file": "b.txt"}\n'
        '{"audio": "a.wav", "transcript": "again"}\n')
    csv_clips = read_manifest(tmp_path / "m.csv")
    jl_clips = read_manifest(tmp_path / "m.jsonl")
    assert [(c.id, c.audio, c.transcript, c.reference) for c in csv_clips] == \
        [(c.id, c.audio, c.transcript, c.reference) for c in jl_clips]
    assert [c.id for c in csv_clips] == ["a", "b", "a_2"]          # unique names
    assert csv_clips[1].transcript == "hello world"
    assert csv_clips[0].reference == tmp_path / "ref.json"


@pytest.mark.parametrize("name, text, needle", [
    ("m.txt", "audio\n", "use a .csv or .jsonl"),
    ("m.csv", "transcript\nhi\n", "header with an 'audio' column"),
    ("m.csv", "audio\nmissing.wav\n", "m.csv:2: audio file missing.wav not found"),
    ("m.csv", "audio,speaker\na.wav,x\n", "unknown column(s) speaker"),
    ("m.jsonl", '{"audio": "a.wav"}\n[1]\n', "m.jsonl:2: each line must be a JSON object"),
    ("m.jsonl", '{"audio": "a.wav", "reference": "a.wav"}\n', "needs a transcript"),
    ("m.csv", "audio\n", "lists no clips"),
])
def test_manifest_errors_are_one_line_with_the_line_number(tmp_path, name, text, needle):
    (tmp_path / "a.wav").write_bytes(b"x")
    (tmp_path / name).write_text(text)
    with pytest.raises(ManifestError) as e:
        read_manifest(tmp_path / name)
    assert needle in str(e.value) and "\n" not in str(e.value)


# --- accuracy against the aligner's own evaluation code ---------------------------------------
def test_accuracy_agrees_with_the_aligner_evaluation_metrics():
    """firmware/model/metrics.py (the aligner's evaluation) is the reference implementation."""
    import _model_path  # noqa: F401
    import numpy as np
    from metrics import BoundaryStats

    rng = random.Random(7)
    ref, hyp = [], []
    t = 0.0
    for k in range(400):
        start, end = t + rng.uniform(0, 0.2), t + rng.uniform(0.25, 0.6)
        t = end
        if k % 37 == 5:
            ref.append((f"w{k}", None, None))        # no reference time: not scored
        else:
            ref.append((f"w{k}", start, end))
        if k % 23 == 3:
            hyp.append({"text": f"w{k}", "start_s": None, "end_s": None, "found": False})
        else:
            hyp.append({"text": f"w{k}", "found": True,
                        "start_s": round(start + rng.gauss(0, 0.03), 3),
                        "end_s": round(end + rng.gauss(0, 0.04), 3)})
    ours = score(hyp, ref).to_dict()
    bs = BoundaryStats()
    bs.add(np.array([[-1, -1] if s is None else [s, e] for _t, s, e in ref]),
           [(h["start_s"], h["end_s"]) if h["found"] else (None, None) for h in hyp])
    theirs = bs.summary()
    assert 1000 * ours["word_mae_s"] == pytest.approx(theirs["mae_ms"], abs=1e-6)
    assert ours["within_20ms"] == pytest.approx(theirs["within_20ms"], rel=1e-9)
    assert ours["within_50ms"] == pytest.approx(theirs["within_50ms"], rel=1e-9)
    assert ours["not_placed"] == theirs["nf_words"]
    assert 0 < ours["not_placed"] < ours["words"]


def test_reference_with_another_word_count_is_refused(tmp_path):
    p = tmp_path / "r.json"
    p.write_text(json.dumps({"words": [{"text": "a", "start": 0.1, "end": 0.2}]}))
    with pytest.raises(ReferenceError, match="1 words, the transcript 2"):
        score([{"found": False}, {"found": False}], load_reference(p))
    p.write_text(json.dumps({"words": [{"text": "a", "start": 0.3, "end": 0.2}]}))
    with pytest.raises(ReferenceError, match="0 <= start <= end"):
        load_reference(p)


# --- the runner with a test double for the engine ------------------------------------------------
@pytest.fixture
def partial_reports(monkeypatch):
    """The test double's reports hold only what the aggregate reads: not schema-complete
    reports (the real jobs of tests/test_batch_engines.py are validated)."""
    monkeypatch.delenv("H7SIM_VALIDATE_REPORTS", raising=False)


def _fake_report(spec) -> dict:
    mhz = spec.mhz or 400.0
    return {"summary": {"exit_reason": "exit", "exit_code": 0, "cycles": int(mhz * 1e4),
                        "instructions": 1, "core_hz": int(mhz * 1e6), "simulated_s": 0.01,
                        "peak_ram_bytes": 1000, "energy_j": 1e-3 * mhz,
                        "average_power_w": 0.1},
            "timing": {"busy_cycles": int(mhz * 1e4)},
            "memory": {"regions": {"DTCM": {"peak_bytes": 1000, "size": 131072}}}}


class FlakyEngine:
    """Fails chosen jobs a chosen number of times, then runs them (no simulation)."""

    name, jobs = "fake", 1

    def __init__(self, failures: dict[str, int], refuse: set[str] = frozenset()):
        self.failures = dict(failures)
        self.refuse = refuse
        self.ran: list[str] = []

    def run(self, specs):
        for s in specs:
            self.ran.append(s.name)
            if s.clip_id in self.refuse:
                yield s, JobInputError("audio file is empty")
            elif self.failures.get(s.clip_id, 0) > 0:
                self.failures[s.clip_id] -= 1
                yield s, RuntimeError("worker lost")
            else:
                yield s, {"report": _fake_report(s), "exit_code": 0}


@pytest.fixture
def three_clips(tmp_path, partial_reports):
    for n in "abc":
        (tmp_path / f"{n}.wav").write_bytes(n.encode())
    (tmp_path / "m.csv").write_text("audio,transcript\na.wav,x\nb.wav,y\nc.wav,z\n")
    fw = tmp_path / "fw.elf"
    fw.write_bytes(b"\x7fELF fake")
    return fw, read_manifest(tmp_path / "m.csv"), Store(tmp_path / "out")


def test_a_failed_job_is_retried_once_then_reported_never_dropped(three_clips):
    fw, clips, store = three_clips
    specs = plan(fw, clips, [100.0], RunSettings())
    eng = FlakyEngine({"a": 1, "b": 5}, refuse={"c"})
    res = run_batch(specs, {c.id: c for c in clips}, eng, store)
    by = {r.spec.clip_id: r for r in res}
    assert (by["a"].status, by["a"].attempts) == ("done", 2)      # retried, then fine
    assert (by["b"].status, by["b"].attempts) == ("failed", 2)    # retried once, given up
    assert (by["c"].status, by["c"].attempts) == ("failed", 1)    # refused input: no retry
    assert by["b"].exit_code == 4 and by["c"].exit_code == 2
    rec = json.loads(store.failure_path("b@100MHz").read_text())
    assert rec["error"] == "RuntimeError: worker lost" and rec["attempts"] == 2
    assert json.loads(store.report_path("a@100MHz").read_text())["batch"]["attempts"] == 2
    assert eng.ran.count("a@100MHz") == 2 and eng.ran.count("b@100MHz") == 2
    assert eng.ran.count("c@100MHz") == 1


def test_a_rerun_skips_finished_jobs_and_reruns_changed_or_failed_ones(three_clips):
    fw, clips, store = three_clips
    cmap = {c.id: c for c in clips}
    specs = plan(fw, clips, [100.0, 400.0], RunSettings())
    run_batch(specs, cmap, FlakyEngine({"b": 5}), store)
    again = FlakyEngine({})
    res = run_batch(specs, cmap, again, store)
    assert sorted(again.ran) == ["b@100MHz", "b@400MHz"]           # only the failed ones
    assert sum(r.reused for r in res) == 4 and all(r.status == "done" for r in res)
    assert not store.failure_path("b@100MHz").exists()
    changed = plan(fw, clips, [100.0, 400.0], RunSettings(dcache="exact"))
    third = FlakyEngine({})
    run_batch(changed, cmap, third, store)
    assert len(third.ran) == 6                                   # another run option: all again


def test_min_accuracy_gate_and_budget_give_exit_3(three_clips, tmp_path):
    from simulator.batch.aggregate import aggregate

    fw, clips, store = three_clips
    ref = tmp_path / "r.json"
    ref.write_text(json.dumps({"words": [{"text": "x", "start": 0.10, "end": 0.30}]}))
    clips = [c if c.id != "a" else type(c)(c.id, c.audio, c.transcript, ref, c.line)
             for c in clips]

    class Aligned(FlakyEngine):
        def run(self, specs):
            for s, out in super().run(specs):
                out["report"]["alignment"] = {"words": [
                    {"text": "x", "found": True, "start_s": 0.12, "end_s": 0.39}]}
                yield s, out

    res = run_batch(plan(fw, clips, None, RunSettings()), {c.id: c for c in clips},
                    Aligned({}), store, Gates(min_accuracy=0.9))
    a = next(r for r in res if r.spec.clip_id == "a")
    # start 20 ms off (within 50), end 90 ms off (not): 1 of 2 boundaries = 50 %
    assert a.row["accuracy"]["accuracy"] == 0.5
    assert a.exit_code == 3 and "below --min-accuracy 90 %" in a.row["gate_failures"][0]
    doc = aggregate(res, {})
    assert doc["exit_code"] == 3 and [g["job"] for g in doc["gate_failures"]] == ["a"]
    assert doc["groups"]["firmware clock"]["accuracy"]["word_mae_s"] == pytest.approx(0.055)

    # a rerun reuses every simulation but applies the gates of this run to every job: a wider
    # --tolerance passes clip a (both boundaries within 100 ms), a stricter --min-accuracy
    # fails it again; the stored report follows
    cmap = {c.id: c for c in clips}
    again = Aligned({})
    res = run_batch(plan(fw, clips, None, RunSettings()), cmap, again, store,
                    Gates(min_accuracy=0.9, tolerance_ms=100))
    a = next(r for r in res if r.spec.clip_id == "a")
    assert again.ran == [] and a.reused
    assert (a.exit_code, a.row["gate_failures"], a.row["accuracy"]["accuracy"]) == (0, [], 1.0)
    res = run_batch(plan(fw, clips, None, RunSettings()), cmap, again, store,
                    Gates(min_accuracy=0.9, tolerance_ms=10))
    a = next(r for r in res if r.spec.clip_id == "a")
    assert again.ran == [] and a.exit_code == 3 and a.row["accuracy"]["accuracy"] == 0.0
    stored = json.loads(store.report_path("a").read_text())["batch"]
    assert (stored["exit_code"], stored["run_exit_code"]) == (3, 0)
    assert stored["accuracy"]["tolerance_s"] == 0.01


def test_aggregate_distributions_are_numpy_percentiles(three_clips):
    from simulator.batch.aggregate import aggregate

    fw, clips, store = three_clips
    res = run_batch(plan(fw, clips, [100.0, 200.0, 400.0], RunSettings()),
                    {c.id: c for c in clips}, FlakyEngine({}), store)
    doc = aggregate(res, {})
    g = doc["groups"]["200 MHz"]
    assert g["energy_j"] == {"n": 3, "median": 0.2, "p95": 0.2, "max": 0.2}
    assert doc["worst"]["hungriest"][0]["job"] == "a@400MHz"      # ties broken by name
    assert doc["worst"]["hungriest"][0]["value"] == pytest.approx(0.4)


def test_throughput_counts_only_the_jobs_this_run_simulated(three_clips):
    from simulator.batch.aggregate import aggregate

    fw, clips, store = three_clips

    class Timed(FlakyEngine):
        def run(self, specs):
            for s, out in super().run(specs):
                out["report"]["audio"] = {"duration_s": 4.0, "real_time_factor": 0.1}
                out["worker_cpu_s"] = 2.0
                yield s, out

    specs = plan(fw, clips, None, RunSettings())
    res = run_batch(specs, {c.id: c for c in clips}, Timed({}), store)
    tp = aggregate(res, {"wall_s": 10.0})["throughput"]
    # 3 clips of 4 s in 10 s of wall time; 2 CPU s per job
    assert tp == {"jobs_run": 3, "audio_s": 12.0, "wall_s": 10.0, "clip_s_per_wall_s": 1.2,
                  "jobs_cpu_s": 6.0, "cpu_s_per_clip_s": 0.5}
    res = run_batch(specs, {c.id: c for c in clips}, Timed({}), store)
    tp = aggregate(res, {"wall_s": 0.5})["throughput"]
    assert tp["jobs_run"] == 0 and tp["clip_s_per_wall_s"] is None     # all reused


def test_comparable_drops_only_host_figures():
    r = {"summary": {"cycles": 1}, "host": {"wall_s": 3.0}, "memory": {}}
    assert comparable(r) == {"summary": {"cycles": 1}, "memory": {}}


def test_a_run_stopped_by_a_signal_is_not_stored_as_finished(three_clips):
    fw, clips, store = three_clips

    class Interrupted(FlakyEngine):
        def run(self, specs):
            for s, out in super().run(specs):
                if s.clip_id == "a":
                    out["report"]["summary"]["exit_reason"] = "interrupted"
                yield s, out

    res = run_batch(plan(fw, clips, None, RunSettings()), {c.id: c for c in clips},
                    Interrupted({}), store)
    a = next(r for r in res if r.spec.clip_id == "a")
    assert (a.status, a.attempts) == ("failed", 2)
    assert not store.report_path("a").exists()


def test_textgrid_reference_reads_like_the_json_one(tmp_path):
    """A TextGrid written by our own writer and read back by praatio gives the same words."""
    from simulator.apps.aligner import Word, render_json, render_textgrid

    words = [Word(0, "the", 0.018, 0.168, 1.0, True), Word(1, "quick", 0.168, 0.528, 0.9, True),
             Word(2, "fox", 0.838, 1.278, 0.98, True)]
    (tmp_path / "r.TextGrid").write_text(render_textgrid(words, 1.5))
    (tmp_path / "r.json").write_text(render_json(words, 1.5))
    assert load_reference(tmp_path / "r.TextGrid") == load_reference(tmp_path / "r.json") == \
        [("the", 0.018, 0.168), ("quick", 0.168, 0.528), ("fox", 0.838, 1.278)]
    (tmp_path / "bad.TextGrid").write_text("not a textgrid\n")
    with pytest.raises(ReferenceError, match="not a readable TextGrid"):
        load_reference(tmp_path / "bad.TextGrid")


# --- align_clips: the evaluation's API over the batch ------------------------------------------
class AligningEngine:
    """Places word k of a clip at k*0.5 .. k*0.5+0.3 s (words of 'skip' are not placed); fails
    the clips named in ``broken`` every time."""

    name, jobs = "fake", 1

    def __init__(self, broken: frozenset[str] = frozenset()):
        self.broken = broken
        self.ran: list[str] = []

    def run(self, specs):
        for s in specs:
            self.ran.append(s.clip_id)
            if s.clip_id in self.broken:
                yield s, RuntimeError("worker lost")
                continue
            words = [{"text": w, "found": w != "skip", "start_s": 0.5 * k if w != "skip"
                      else None, "end_s": 0.5 * k + 0.3 if w != "skip" else None}
                     for k, w in enumerate(s.transcript.split())]
            rep = _fake_report(s)
            rep["alignment"] = {"words": words}
            yield s, {"report": rep, "exit_code": 0}


def test_align_clips_runs_arrays_as_a_resumable_batch(tmp_path, partial_reports):
    import numpy as np
    import soundfile as sf

    from simulator.batch.align import EvalClip, align_clips

    fw = tmp_path / "fw.elf"
    fw.write_bytes(b"\x7fELF fake")
    rng = np.random.default_rng(1)
    pcm = {n: rng.integers(-3000, 3000, 1600 * (k + 1), dtype=np.int16)
           for k, n in enumerate(["u1", "u2", "u3"])}
    refs = {"u1": [[0.0, 0.3], [0.52, 0.8]], "u2": [[0.0, 0.3], [-1, -1], [1.0, 1.3]],
            "u3": [[0.1, 0.2]]}
    texts = {"u1": "a b", "u2": "c skip d", "u3": "e"}

    def clips():
        return [EvalClip(n, pcm[n], texts[n], np.array(refs[n])) for n in pcm]

    out = tmp_path / "eval"
    eng = AligningEngine(broken=frozenset({"u3"}))
    got = align_clips(fw, clips(), out, engine=eng)
    assert [g.id for g in got] == ["u1", "u2", "u3"]
    assert got[0].words == [(0.0, 0.3), (0.5, 0.8)]
    assert got[1].words == [(0.0, 0.3), (None, None), (1.0, 1.3)]
    assert got[2].words is None and got[2].error == "RuntimeError: worker lost"
    assert eng.ran.count("u3") == 2                       # retried once, then reported
    # the clip written for the simulator is the array, read back by libsndfile
    data, rate = sf.read(out / "clips" / "u2.wav", dtype="int16")
    assert rate == 16000 and np.array_equal(data, pcm["u2"])
    # per-clip accuracy with metrics.py's definitions: u1 errors 0, 20, 0, 0 ms; u2's unscored
    # reference word (negative times) is not counted
    assert 1000 * got[0].accuracy["word_mae_s"] == pytest.approx(5.0)
    assert got[1].accuracy["words"] == 2 and got[1].accuracy["not_placed"] == 0
    agg = json.loads((out / "batch.json").read_text())
    assert (agg["done"], agg["failed"]) == (2, 1)

    # a rerun with the same samples runs only the failed clip; changed samples rerun that clip
    again = AligningEngine()
    align_clips(fw, clips(), out, engine=again)
    assert again.ran == ["u3"]
    pcm["u1"] = pcm["u1"].copy()
    pcm["u1"][0] += 1
    third = AligningEngine()
    got = align_clips(fw, clips(), out, engine=third)
    assert third.ran == ["u1"] and all(g.words is not None for g in got)
    with pytest.raises(ValueError, match="unique names"):
        align_clips(fw, [EvalClip("a/b", pcm["u1"], "a b")], out, engine=third)


def test_align_clips_with_a_relative_out_folder(tmp_path, monkeypatch, partial_reports):
    # evaluate.py's default --out is the relative "eval-batch": the manifest written there must
    # name audio the manifest reader finds (it resolves relative paths from the manifest's folder)
    import numpy as np

    from simulator.batch.align import EvalClip, align_clips

    fw = tmp_path / "fw.elf"
    fw.write_bytes(b"\x7fELF fake")
    monkeypatch.chdir(tmp_path)
    pcm = np.random.default_rng(2).integers(-3000, 3000, 3200, dtype=np.int16)
    got = align_clips(fw, [EvalClip("u1", pcm, "a b", np.array([[0.0, 0.3], [0.5, 0.8]]))],
                      "eval-batch", engine=AligningEngine())
    assert got[0].error is None and got[0].words == [(0.0, 0.3), (0.5, 0.8)]
    assert (tmp_path / "eval-batch" / "clips" / "u1.wav").is_file()
