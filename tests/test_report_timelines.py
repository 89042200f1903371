"""The report's timelines cover the whole run and say when they were thinned (`truncated`).

The audio loopback firmware runs on a short tone with a RAM scan every 1000 cycles, with the
limits made small (memory samples held during the run, energy timeline points) so that one
short run crosses them. The oracles are the report's own independent lists and totals: the
time segments (one energy point each), the simulated time, and the run's end.
"""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from simulator import memory, report
from simulator.api import Options, load_inputs, simulate


@pytest.fixture(scope="module")
def thinned(firmware_build, tmp_path_factory):
    wav = tmp_path_factory.mktemp("tone") / "tone.wav"
    t = np.arange(int(0.25 * 16000)) / 16000
    sf.write(wav, (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16), 16000)
    mp = pytest.MonkeyPatch()
    mp.setattr(memory, "MAX_SAMPLES", 16)
    mp.setattr(report, "ENERGY_POINTS", 7)
    scans = []
    try:
        inputs = load_inputs(firmware_build / "audio_loopback.elf", audio=wav)

        def before(machine):
            ram = machine.ram
            ram.scan_every_cycles = 1000
            sample, heap_bytes = ram.sample, ram.heap_bytes
            inside = [False]

            def counted_heap():              # one heap measurement per RAM scan
                if inside[0]:
                    scans.append(machine.now())
                return heap_bytes()

            def counted_sample(*a, **k):
                inside[0] = True
                try:
                    return sample(*a, **k)
                finally:
                    inside[0] = False
            ram.sample, ram.heap_bytes = counted_sample, counted_heap
        run = simulate(inputs, Options(), before_run=before)
    finally:
        mp.undo()
    return run.report, scans


def test_energy_timeline_merged_and_says_so(thinned):
    r, _ = thinned
    tl = r["energy"]["timeline"]
    segments = len(r["time_segments"])
    assert "time_segments" not in r["truncated"]            # all segments are in the report
    assert segments > 7
    assert r["truncated"]["energy.timeline"] == {"total": segments, "kept": len(tl),
                                                 "which": "merged"}
    assert len(tl) <= 7
    # merging keeps the whole run: the points' durations add up to the simulated time
    assert sum(p["duration_s"] for p in tl) == pytest.approx(r["summary"]["simulated_s"],
                                                             rel=1e-9)
    # and its energy (wake-ups are segments of their own here, not added per transition)
    assert r["energy"]["wakeups_charged"] == "simulated"
    assert sum(p["duration_s"] * p["power_w"] for p in tl) == pytest.approx(
        r["summary"]["energy_j"], rel=1e-9)


def test_memory_timeline_covers_the_whole_run(thinned):
    r, _ = thinned
    tl = r["memory"]["timeline"]
    note = r["truncated"]["memory.timeline"]
    _, scans = thinned
    assert note == {"total": len(scans), "kept": len(tl), "which": "sampled"}
    assert len(scans) > 16 * 4              # the held samples were thinned at least twice
    # the samples held were thinned 2:1 instead of cut at the limit: the timeline still
    # reaches the end of the run (cut at 16 scans it would stop in the first quarter)
    end = r["summary"]["simulated_s"]
    assert tl[-1]["time_s"] > 0.75 * end
    times = [p["time_s"] for p in tl]
    assert times == sorted(times)
