"""Power model against the datasheet, with real firmware (firmware/tests/power_states): each ELF
puts the chip in one tabulated state; the current the model computes for the longest stretch
in that state must be within 5 % of the table (DS12110 Rev 10, as summarised in
shared/reference/stm32h743.md — the values below are copied from there, not from the model's
own data file)."""

from __future__ import annotations

import pytest

from simulator.elf import load_firmware
from simulator.machine import Machine, RunConfig
from simulator.platform import load_platform
from simulator.power import current_a

# (state, MHz, revision) -> mA, typical, 25 C, VDD 3.3 V, LDO, peripherals off
TABLE = {
    ("itcm", 400, "V"): 110, ("flash_cache", 400, "V"): 80, ("flash_nocache", 400, "V"): 73,
    ("itcm", 480, "V"): 148, ("flash_cache", 480, "V"): 110, ("flash_nocache", 480, "V"): 87,
    ("itcm", 200, "V"): 47, ("flash_cache", 200, "V"): 34.5, ("flash_nocache", 200, "V"): 34,
    ("sleep", 480, "V"): 50.7, ("sleep", 400, "V"): 35.3, ("sleep", 200, "V"): 16.5,
    ("itcm", 400, "Y"): 71, ("flash_cache", 400, "Y"): 105, ("flash_nocache", 400, "Y"): 73,
}


@pytest.mark.parametrize("state,mhz,rev", sorted(TABLE), ids=lambda v: str(v))
def test_modelled_current_matches_datasheet(firmware_build, state, mhz, rev):
    platform = load_platform().with_revision(rev)
    m = Machine(load_firmware(firmware_build / f"power_{state}_{mhz}.elf"), platform,
                RunConfig(max_cycles=10**9))
    r = m.run()
    assert r.exit_reason == "exit" and r.exit_code == 0, r.console["semihosting"][-300:]
    want = "sleep" if state == "sleep" else "run"
    seg = max((s for s in r.segments if s.state == want), key=lambda s: s.seconds)
    assert seg.core_hz == mhz * 1e6
    assert seg.seconds > 0.5e-3                         # a real stretch, not a blip
    amps, _ = current_a(seg, rev)
    assert amps * 1e3 == pytest.approx(TABLE[(state, mhz, rev)], rel=0.05)
