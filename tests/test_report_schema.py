"""The JSON report against its published schema (docs/report.schema.json), the key rule,
--version, and cycles / instructions / CPI / seconds that agree across a clock change."""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path

import jsonschema
import pytest

from simulator.cli import main
from simulator.report import schema_path, validate

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def hello8(firmware_build, tmp_path_factory) -> dict:
    """hello.elf with the core clock overridden to 8 MHz once on PLL1: it boots on the
    64 MHz HSI, so the run has two clock periods."""
    out = tmp_path_factory.mktemp("schema") / "r.json"
    assert main([str(firmware_build / "hello.elf"), "--cpu-freq", "8", "--json", str(out),
                 "-q"]) == 0
    return json.loads(out.read_text())


def test_the_schema_is_a_valid_json_schema():
    schema = json.loads(schema_path().read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema_path() == ROOT / "docs" / "report.schema.json"


def test_report_validates_and_has_version_and_integer_clock(hello8):
    validate(hello8)
    assert hello8["version"] == 2 and hello8["schema"] == "docs/report.schema.json"
    assert type(hello8["summary"]["core_hz"]) is int and hello8["summary"]["core_hz"] == 8_000_000
    assert "not modelled yet" not in hello8["timing"]["note"]
    assert hello8["truncated"] == {}


@pytest.mark.parametrize("section, old, new", [
    ("summary", "seconds", "simulated_s"), ("summary", "energy_joules", "energy_j"),
    ("host", "wall_seconds", "wall_s"),
])
def test_keys_breaking_the_naming_rule_are_rejected(hello8, section, old, new):
    bad = json.loads(json.dumps(hello8))
    bad[section][old] = bad[section].pop(new)
    with pytest.raises(jsonschema.ValidationError):
        validate(bad)


def test_cycles_instructions_cpi_and_seconds_agree_across_the_clock_change(hello8):
    s, t = hello8["summary"], hello8["timing"]
    periods = {p["core_hz"]: p for p in t["clock_periods"]}
    assert set(periods) == {64_000_000, 8_000_000}           # HSI boot, then PLL1 at 8 MHz
    assert sum(p["cycles"] for p in periods.values()) == s["cycles"]
    assert t["busy_cycles"] + t["sleep_cycles"] == s["cycles"]
    assert t["cpi"] == pytest.approx(t["busy_cycles"] / s["instructions"])
    # no Stop/Standby here: every second is a core cycle at the clock of its period
    for p in periods.values():
        assert p["time_s"] == pytest.approx(p["cycles"] / p["core_hz"], rel=1e-9)
    assert s["simulated_s"] == pytest.approx(sum(p["time_s"] for p in periods.values()),
                                             rel=1e-12)
    assert s["simulated_s"] == pytest.approx(sum(seg["duration_s"] for seg in
                                                 hello8["time_segments"]), rel=1e-12)


def test_version_names_simulator_unicorn_and_platform_file(hello8, capsys):
    assert main(["--version"]) == 0
    out = capsys.readouterr().out
    assert f"unicorn {version('unicorn')}" in out
    assert f"(h7sim) {version('h7sim')}" in out
    assert "simulator/platforms/stm32h743.toml" in out
    sim = hello8["simulator"]
    assert (sim["version"], sim["unicorn"]) == (version("h7sim"), version("unicorn"))
    assert sim["platform_file"] == "simulator/platforms/stm32h743.toml"
    import hashlib
    # docs/formats.md: the platform file followed by its core file (core = "cortex-m7")
    assert sim["platform_sha256"] == hashlib.sha256(
        (ROOT / "simulator/platforms/stm32h743.toml").read_bytes()
        + (ROOT / "simulator/platforms/cortex_m7.toml").read_bytes()).hexdigest()
