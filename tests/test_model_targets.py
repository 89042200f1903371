"""The issue-12 targets table (firmware/model/targets.py) that evaluate.py and
benchmarks/aligner_rtf.py print: limits as written in the issue, worst case wins, missing
figures name the command that measures them."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "firmware" / "model"))
import targets  # noqa: E402


def row(mae, w50, nf):
    return {"mae_ms": mae, "within_50ms": w50, "nf_words": nf}


def test_limits_are_the_issue_text():
    # issue 12 "Targets": real <= 30 ms, >= 85 %, 0 NF; synthetic <= 20 ms, >= 90 %, 0 NF;
    # long clips within 1.2x; RTF <= 0.05; peak RAM <= 256 KB; flash <= 1 MB
    assert (targets.REAL_MAE.limit, targets.REAL_W50.limit, targets.REAL_NF.limit) == (30, 85, 0)
    assert (targets.SYN_MAE.limit, targets.SYN_W50.limit, targets.SYN_NF.limit) == (20, 90, 0)
    assert targets.LONG_RATIO.limit == 1.2 and targets.RTF.limit == 0.05
    assert targets.RAM.limit == 262144 and targets.FLASH.limit == 1048576


def test_worst_case_and_long_clip_ratio():
    doc = {"kind": "real", "rows": [["maus (webmaus)", row(28.0, 0.86, 0)],
                                    ["maus (webmaus), clips >= 120 s", row(36.4, 0.85, 0)],
                                    ["so (pocketsphinx)", row(63.0, 0.6, 2)]]}
    v = targets.accuracy_values([doc])
    assert v[targets.REAL_MAE][0] == 63.0 and v[targets.REAL_NF][0] == 2
    assert abs(v[targets.LONG_RATIO][0] - 1.3) < 1e-9
    assert not targets.LONG_RATIO.met(1.3) and targets.LONG_RATIO.met(1.2)
    assert targets.REAL_W50.met(85.0) and not targets.REAL_W50.met(84.9)
    fw = targets.firmware_values({"clips": [{"tag": "10s", "rtf": 0.04, "peak_ram": 230000,
                                             "flash": 260000, "not_found": 0},
                                            {"tag": "300s", "rtf": 0.051, "peak_ram": 229000,
                                             "flash": 260000, "not_found": 0}]})
    assert fw[targets.RTF] == (0.051, "clip 300s") and not targets.RTF.met(0.051)
    text = targets.format_table({**v, **fw})
    assert "NO" in text.splitlines()[2] and "not measured here" in text   # synthetic missing
    assert "benchmarks/aligner_rtf.py" not in text                        # firmware given


def test_synthetic_split_counts_all_but_synthetic_manifests_count_every_voice():
    # espeak-ng split (evaluate.py without --manifest): "clean" / "augmented" / variants are
    # subsets of "all", only "all" is judged
    split = {"kind": "synthetic", "rows": [["all", row(17.4, 0.935, 0)],
                                           ["augmented", row(19.9, 0.91, 0)],
                                           ["variant klatt4", row(25.0, 0.88, 1)]]}
    v = targets.accuracy_values([split])
    assert v[targets.SYN_MAE] == (17.4, "all") and v[targets.SYN_NF][0] == 0
    # evaluate.py --manifest --synthetic: every manifest is another voice, the worst one counts,
    # and the real-speech targets are not touched
    pico = {"kind": "synthetic", "rows": [["pico_us (pico)", row(19.2, 0.935, 0)],
                                          ["pico_gb (pico)", row(20.6, 0.916, 0)]]}
    v = targets.accuracy_values([pico])
    assert v[targets.SYN_MAE] == (20.6, "pico_gb (pico)") and not targets.SYN_MAE.met(20.6)
    assert abs(v[targets.SYN_W50][0] - 91.6) < 1e-9 and targets.SYN_W50.met(91.6)
    assert targets.REAL_MAE not in v and targets.REAL_W50 not in v
