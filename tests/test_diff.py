"""`simulate diff`: summary, region and per-function deltas between two reports."""

from __future__ import annotations

import json

from simulator.cli import main
from simulator.diff import compare


def _report(cycles, ram, energy, funcs=None):
    rep = {"summary": {"cycles": cycles, "instructions": cycles, "simulated_s": cycles / 4e8,
                       "peak_ram_bytes": ram, "energy_j": energy},
           "memory": {"regions": {"DTCM": {"peak_bytes": ram}}}}
    if funcs is not None:
        rep["profile"] = {"functions": [{"name": n, "self_cycles": c, "inclusive_cycles": c}
                                        for n, c in funcs.items()]}
    return rep


def test_compare_reports_every_delta():
    a = _report(1000, 4096, 1e-3, {"main": 600, "kernel": 400})
    b = _report(800, 5120, 0.8e-3, {"main": 600, "kernel": 150, "helper": 50})
    d = compare(a, b)
    row = {r["metric"]: r for r in d["summary"]}
    assert row["cycles"]["delta"] == -200 and row["cycles"]["percent"] == -20.0
    assert row["peak_ram_bytes"]["delta"] == 1024
    assert d["regions"] == [{"region": "DTCM", "a": 4096, "b": 5120, "delta": 1024,
                             "percent": 25.0}]
    assert [f["function"] for f in d["functions"]] == ["kernel", "helper"]   # main unchanged
    assert d["functions"][0]["delta"] == -250


def test_cli_diff_and_bad_input(tmp_path, capsys):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(_report(1000, 10, 1.0)))
    b.write_text(json.dumps(_report(1100, 10, 1.0)))
    assert main(["diff", str(a), str(b), "--json", str(tmp_path / "d.json")]) == 0
    assert json.loads((tmp_path / "d.json").read_text())["summary"][0]["delta"] == 100
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    assert main(["diff", str(a), str(bad)]) == 2
    assert "not JSON" in capsys.readouterr().err
