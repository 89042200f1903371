"""Stop and Standby with real firmware (firmware/tests/power_stop): the chip enters Stop at
SVOS3/4/5 with the flash on or off (and Standby), the RTC wakeup timer wakes it, and the
modelled current must be within 5 % of DS12110 (values copied from
shared/reference/stm32h743.md, not from the model's data file). Also checked: Stop lasts the
RTC wakeup period, no core cycle (so no SysTick tick) passes in Stop, the core comes back on
HSI 64 MHz until the firmware re-inits its clocks, the Standby exit is a reset that loses RAM
and keeps the RTC, and the report's per-state time and energy include stop/standby."""

from __future__ import annotations

import re

import pytest

from simulator.elf import load_firmware
from simulator.machine import Machine, RunConfig
from simulator.platform import load_platform
from simulator.power import current_a, wakeup_cost
from simulator.report import build_report

# DS12110 Stop mode, all domains stopped, rev V, typical, mA: (SVOS, flash) -> mA
STOP_TABLE = {
    (5, "off"): 1.27, (4, "off"): 1.96, (3, "off"): 2.78,
    (5, "on"): 1.27, (4, "on"): 2.25, (3, "on"): 3.07,
}
STANDBY_UA = 2.16            # DS12110 Standby (backup SRAM and RTC off)
LSI_HZ, LSE_HZ = 32_000, 32_768
STOP_WUT, STANDBY_WUT = 39, 204   # firmware/tests/power_stop: WUT at RTCCLK / 16


def _run(path):
    m = Machine(load_firmware(path), load_platform(), RunConfig(max_cycles=2 * 10**9))
    return m, m.run()


@pytest.fixture(scope="module")
def stop_runs(firmware_build):
    return {k: _run(firmware_build / f"power_stop_svos{k[0]}_flash{k[1]}.elf")
            for k in STOP_TABLE}


@pytest.mark.parametrize("svos,flash", sorted(STOP_TABLE), ids=lambda v: str(v))
def test_stop_current_and_semantics(stop_runs, svos, flash):
    _m, r = stop_runs[(svos, flash)]
    out = r.console["semihosting"].decode()
    assert r.exit_reason == "exit" and r.exit_code == 0, out[-400:]
    assert "power_stop: PASS" in out
    stops = [i for i, s in enumerate(r.segments) if s.state == "stop"]
    assert len(stops) == 1
    i = stops[0]
    stop = r.segments[i]
    # the state the firmware asked for, and its datasheet current
    assert stop.svos == svos and stop.flash_low_power == (flash == "off")
    amps, bd = current_a(stop, "V")
    assert bd["state"] == "stop"
    assert amps * 1e3 == pytest.approx(STOP_TABLE[(svos, flash)], rel=0.05)
    # Stop lasts the RTC wakeup period: (WUT + 1) periods of LSI / 16, within one tick
    tick = 16 / LSI_HZ
    assert abs(stop.seconds - (STOP_WUT + 1) * tick) <= tick
    # no core cycle passes in Stop: SysTick (and DWT, DMA...) cannot advance
    assert stop.start_cycle == stop.end_cycle
    ticks = int(re.search(r"ticks_during_stop=(\d+)", out).group(1))
    assert ticks <= 1                     # 20 ticks at 1 kHz had SysTick run in Stop
    # the wake-up latency of the power model is charged as time, at the wake clock
    wake = r.segments[i + 1]
    assert wake.state == "wakeup" and wake.wake_from == "stop"
    secs, _ = wakeup_cost("stop", segment=stop)
    assert wake.seconds == pytest.approx(secs, abs=1 / wake.core_hz)   # whole cycles
    # PLLs are off and the core runs on HSI after Stop, until the firmware re-inits
    assert stop.plls_on == () and wake.core_hz == 64e6
    after = r.segments[i + 2]
    assert after.state == "run" and after.core_hz == 64e6
    assert "clock_after=64000000" in out and "stopf=1" in out
    assert any(s.core_hz == 400e6 and s.state == "run" for s in r.segments[i + 2:])


def test_stop_report_has_time_and_energy_per_state(stop_runs):
    m, r = stop_runs[(3, "on")]
    rep = build_report(m, r)
    by_state = rep["energy"]["by_state"]
    stop = by_state["stop"]
    assert stop["time_s"] == pytest.approx((STOP_WUT + 1) * 16 / LSI_HZ, abs=16 / LSI_HZ)
    assert stop["energy_j"] == pytest.approx(3.3 * STOP_TABLE[(3, "on")] * 1e-3 * stop["time_s"],
                                           rel=0.05)
    assert by_state["wakeup"]["count"] >= 1
    assert rep["summary"]["simulated_s"] == pytest.approx(sum(b["time_s"] for b in
                                                          by_state.values()), rel=1e-6)


def test_stop_lower_svos_costs_less_energy(stop_runs):
    """The six runs differ only in the Stop state: energy in Stop follows the table order."""
    e = {k: sum(current_a(s, "V")[0] * s.seconds for s in r.segments if s.state == "stop")
         for k, (m, r) in stop_runs.items()}
    assert e[(5, "on")] < e[(4, "on")] < e[(3, "on")]
    assert e[(4, "off")] < e[(4, "on")]


@pytest.fixture(scope="module")
def standby_run(firmware_build):
    return _run(firmware_build / "power_standby.elf")


def test_standby_wakes_through_reset(standby_run):
    m, r = standby_run
    out = r.console["semihosting"].decode()
    assert r.exit_reason == "exit" and r.exit_code == 0, out[-400:]
    assert "entering standby" in out and "woke from standby sbf=1" in out
    assert "sram4_kept=0" in out                   # RAM lost
    assert "rtc_wutr=204" in out                   # backup domain kept
    assert "power_standby: PASS" in out
    i = next(i for i, s in enumerate(r.segments) if s.state == "standby")
    sb = r.segments[i]
    amps, bd = current_a(sb, "V")
    assert bd["state"] == "standby"
    assert amps * 1e6 == pytest.approx(STANDBY_UA, rel=0.05)
    tick = 16 / LSE_HZ
    assert abs(sb.seconds - (STANDBY_WUT + 1) * tick) <= tick
    wake = r.segments[i + 1]
    assert wake.state == "wakeup" and wake.wake_from == "standby"
    assert wake.seconds == pytest.approx(wakeup_cost("standby")[0], abs=1 / wake.core_hz)
    assert wake.core_hz == 64e6                    # the reset clock
    rep = build_report(m, r)
    assert rep["energy"]["by_state"]["standby"]["time_s"] == pytest.approx(sb.seconds)
    # peak RAM still counts what was written before the RAM was lost (SRAM4 marker)
    assert rep["memory"]["regions"]["SRAM4"]["other_touched_bytes"] >= 4
