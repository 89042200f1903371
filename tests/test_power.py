"""Power model (simulator/power): datasheet points, interpolation, peripherals, low-power
states, energy integration, wake-up costs and operating points. Fast: no firmware runs except
the optional whole-firmware checks at the end, which use prebuilt ELFs if they exist."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.machine import Segment
from simulator.power import (
    PowerModelError, current_a, energy, load, operating_point, wakeup_cost,
)

D = load()
ROOT = Path(__file__).resolve().parent.parent
LOC = {  # table location -> (code region, icache, dcache)
    "itcm": ("ITCM", False, False),
    "flash_cache": ("FLASH", True, True),
    "flash_nocache": ("FLASH", False, False),
}


def seg(state="run", mhz=400.0, vos=1, code=None, ic=True, dc=True, periph=(), seconds=1.0,
        hclk=None, **extra):
    s = Segment(0, int(mhz * 1e6 * seconds), state, mhz * 1e6, seconds, vos=vos,
                hclk_hz=hclk, icache=ic, dcache=dc, code_cycles=code or {"FLASH": 1000},
                peripherals_on=tuple(periph))
    for k, v in extra.items():
        setattr(s, k, v)
    return s


def run_point(loc, vos, mhz, rev="V", **kw):
    region, ic, dc = LOC[loc]
    return current_a(seg("run", mhz, vos, {region: 1000}, ic, dc, **kw), rev)


# --- every tabulated point -----------------------------------------------------------------

# DS12110 Rev 10, "Typical and maximum current consumption in Run mode, code with data
# processing running from ITCM / from flash memory, cache ON / cache OFF, LDO regulator ON",
# typical at 25 C, all peripherals off: (revision, location, VOS, MHz, mA). Written here, not
# read from the model's table, so a wrong table entry fails.
DS12110_RUN = [
    ("V", "itcm", 0, 480, 148.0), ("V", "itcm", 0, 400, 125.0), ("V", "itcm", 1, 400, 110.0),
    ("V", "itcm", 1, 300, 84.0), ("V", "itcm", 2, 300, 76.0), ("V", "itcm", 2, 200, 53.0),
    ("V", "itcm", 3, 200, 47.0), ("V", "itcm", 3, 180, 43.0), ("V", "itcm", 3, 144, 35.0),
    ("V", "itcm", 3, 60, 16.0), ("V", "itcm", 3, 25, 12.0),
    ("V", "flash_cache", 0, 480, 110.0), ("V", "flash_cache", 0, 400, 91.0),
    ("V", "flash_cache", 1, 400, 80.0), ("V", "flash_cache", 1, 300, 61.5),
    ("V", "flash_cache", 2, 300, 55.0), ("V", "flash_cache", 2, 200, 38.5),
    ("V", "flash_cache", 3, 200, 34.5),
    ("V", "flash_nocache", 0, 480, 87.0), ("V", "flash_nocache", 1, 400, 73.0),
    ("V", "flash_nocache", 2, 300, 52.0), ("V", "flash_nocache", 3, 200, 34.0),
    # rev Y: VOS1 400 MHz 71 / 105 / 73; VOS3 200 MHz "33-34" for all three (mid-point)
    ("Y", "itcm", 1, 400, 71.0), ("Y", "flash_cache", 1, 400, 105.0),
    ("Y", "flash_nocache", 1, 400, 73.0), ("Y", "itcm", 3, 200, 33.5),
    ("Y", "flash_cache", 3, 200, 33.5), ("Y", "flash_nocache", 3, 200, 33.5),
]


@pytest.mark.parametrize("rev,loc,vos,mhz,ma", DS12110_RUN)
def test_run_current_at_every_datasheet_point(rev, loc, vos, mhz, ma):
    amps, bd = run_point(loc, vos, mhz, rev)
    assert amps * 1e3 == pytest.approx(ma, rel=1e-9)          # exact at table points
    assert bd["peripherals_a"] == {} and bd["pll_a"] == 0


def test_run_table_holds_exactly_the_datasheet_points():
    model = {(rev, loc, vos, f) for rev, locs in D.run.items() for loc, curves in locs.items()
             for vos, pts in curves.items() for f, _ in pts}
    assert model == {p[:4] for p in DS12110_RUN}


SLEEP_POINTS = [(vos, f, off, on) for vos, pts in D.sleep["V"].items() for f, off, on in pts]


@pytest.mark.parametrize("vos,mhz,off,on", SLEEP_POINTS)
def test_sleep_table_points(vos, mhz, off, on):
    amps, bd = current_a(seg("sleep", mhz, vos))
    assert amps * 1e3 == pytest.approx(off, rel=1e-9)
    # rev Y has no sleep table: rev V's is used (assumption A3); rev Y has no VOS0
    if vos in D.scales["Y"]:
        amps_y, bd_y = current_a(seg("sleep", mhz, vos), "Y")
        assert amps_y * 1e3 == pytest.approx(off)
        assert "A3" in bd_y["base_source"]["sleep"]["how"]


@pytest.mark.parametrize("svos,off,on", [(5, 1.27, 1.27), (4, 1.96, 2.25), (3, 2.78, 3.07)])
def test_stop_per_svos(svos, off, on):
    a_on, bd = current_a(seg("stop", svos=svos, flash_low_power=False))
    a_off, _ = current_a(seg("stop", svos=svos, flash_low_power=True))
    assert a_on * 1e3 == pytest.approx(on) and a_off * 1e3 == pytest.approx(off)
    assert bd["svos"] == svos


def test_stop_defaults_to_reset_svos3_flash_on_and_ignores_peripherals():
    amps, _ = current_a(seg("stop", periph=("DMA1", "USART3")))
    assert amps * 1e3 == pytest.approx(3.07)


def test_standby_from_pdds_bits_or_state():
    assert current_a(seg("stop", pdds=0b111))[0] == pytest.approx(2.16e-6)
    assert current_a(seg("standby"))[0] == pytest.approx(2.16e-6)
    assert current_a(seg("stop", pdds=0b011))[0] * 1e3 == pytest.approx(3.07)   # not all domains


# --- interpolation ---------------------------------------------------------------------------

@pytest.mark.parametrize("rev", ["V", "Y"])
@pytest.mark.parametrize("loc", list(LOC))
def test_run_monotonic_in_frequency(rev, loc):
    for vos in D.scales[rev]:
        top = D.max_mhz[vos][0]
        prev = 0.0
        for i in range(1, 101):
            mhz = top * i / 100
            a, _ = run_point(loc, vos, mhz, rev)
            assert a > prev, (rev, loc, vos, mhz)
            prev = a


def test_sleep_monotonic_and_below_run():
    for vos in range(4):
        prev = 0.0
        for i in range(1, 51):
            mhz = D.max_mhz[vos][0] * i / 50
            a, _ = current_a(seg("sleep", mhz, vos))
            assert a > prev
            assert a < run_point("flash_nocache", vos, mhz)[0]
            prev = a


def test_linear_between_points_and_static_anchor_below():
    a300, _ = run_point("itcm", 1, 300)
    a400, _ = run_point("itcm", 1, 400)
    a350, bd = run_point("itcm", 1, 350)
    assert a350 == pytest.approx((a300 + a400) / 2)
    assert bd["base_source"]["itcm"]["how"] == "interpolated"
    # below the lowest point: straight line to the static current at 0 Hz (A1 x A2)
    static = D.assumptions["static_ma_vos3"] * 1.20 / 1.00
    a150, bd = run_point("itcm", 1, 150)
    assert a150 * 1e3 == pytest.approx((static + 84.0) / 2)
    assert "below-table" in bd["base_source"]["itcm"]["how"]
    # VOS3 ITCM continues the line through its 25 and 60 MHz points
    a10, _ = run_point("itcm", 3, 10)
    assert a10 * 1e3 == pytest.approx(12 - 15 * 4 / 35, rel=1e-3)


def test_higher_vos_costs_more_at_the_same_frequency():
    for f in (100, 200):
        a = [run_point("flash_cache", v, f)[0] for v in range(4)]
        assert a == sorted(a, reverse=True)


def test_vcore_scaling_for_a_scale_without_table():
    # rev Y has no VOS2 table: VOS1's curve at the frequency, times VCORE2 / VCORE1 (A2)
    a, bd = run_point("itcm", 2, 300, "Y")
    ref, _ = run_point("itcm", 1, 300, "Y")
    assert a == pytest.approx(ref * 1.10 / 1.20)
    assert "VCORE-scaled from VOS1" in bd["base_source"]["itcm"]["how"]


def test_vcore_rule_matches_the_datasheet_pair():
    # reference: 400 MHz ITCM 125 mA at VOS0 vs 110 at VOS1; the LDO rule predicts 110*1.35/1.2
    assert 110 * D.vcore[0] / D.vcore[1] == pytest.approx(125, rel=0.02)


def test_rev_y_vos0_is_charged_as_vos1_with_a_note():
    a, bd = run_point("itcm", 0, 400, "Y")
    assert a * 1e3 == pytest.approx(71.0) and any("VOS0" in n for n in bd["notes"])


# --- code location and caches ----------------------------------------------------------------

def test_itcm_and_flash_mixed_by_code_cycles():
    itcm, _ = run_point("itcm", 1, 400)
    fl, _ = run_point("flash_cache", 1, 400)
    a, bd = current_a(seg(code={"ITCM": 3000, "FLASH": 1000}))
    assert a == pytest.approx(0.75 * itcm + 0.25 * fl)
    assert bd["base_source"]["itcm"]["share"] == pytest.approx(0.75)


def test_sram_code_is_charged_as_flash_and_empty_code_as_flash():
    fl, _ = run_point("flash_cache", 1, 400)
    assert current_a(seg(code={"AXI_SRAM": 5}))[0] == pytest.approx(fl)
    assert current_a(seg(code={}))[0] == pytest.approx(fl)


def test_one_cache_on_is_between_cache_on_and_off():
    on, _ = run_point("flash_cache", 0, 480)
    off, _ = run_point("flash_nocache", 0, 480)
    a, _ = current_a(seg(mhz=480, vos=0, ic=True, dc=False))
    assert a == pytest.approx((on + off) / 2)


# --- peripherals -----------------------------------------------------------------------------

def test_peripheral_adds_its_ua_per_mhz_of_its_bus_clock():
    base, _ = current_a(seg(hclk=200e6))
    a, bd = current_a(seg(hclk=200e6, periph=("DMA1",)))
    assert a - base == pytest.approx(48e-6 * 200)          # DMA1 48 uA/MHz at VOS1 on hclk
    s = seg(hclk=200e6, periph=("USART2", "SAI1", "SPI1", "SRAM1"),
            clocks={"pclk1": 100e6, "pclk2": 50e6})
    a, bd = current_a(s)
    p = bd["peripherals_a"]
    assert p["USART2"] == pytest.approx(5.6e-6 * 100)       # APB1 clock
    assert p["SAI1"] == pytest.approx(2.2e-6 * 50)          # APB2 clock
    assert p["SPI1"] == pytest.approx(2.5e-6 * 50)
    assert p["SRAM1"] == pytest.approx(4.9e-6 * 200)        # AHB
    assert a == pytest.approx(base + sum(p.values()))


def test_peripheral_vos_column_and_apb_default():
    _, bd = current_a(seg(mhz=480, vos=0, hclk=240e6, periph=("USART2",)))
    # no APB clock recorded: min(hclk, VOS0 APB max 120 MHz) (A8)
    assert bd["peripherals_a"]["USART2"] == pytest.approx(6.2e-6 * 120)


def test_unlisted_peripheral_gets_default_and_memories_are_not_added_twice():
    base, _ = current_a(seg(hclk=200e6))
    a, bd = current_a(seg(hclk=200e6, periph=("GPIOD", "ITCM", "FLASH")))
    assert bd["peripherals_a"] == {"GPIOD": pytest.approx(3.7e-6 * 200)}
    assert any("A4" in n for n in bd["notes"])


def test_peripherals_also_charged_in_sleep():
    base, _ = current_a(seg("sleep", hclk=200e6))
    a, _ = current_a(seg("sleep", hclk=200e6, periph=("DMA1",)))
    assert a - base == pytest.approx(48e-6 * 200)


def test_all_peripherals_on_close_to_the_datasheet_columns():
    """Calibration check of assumption A4 against the 'all peripherals on' columns."""
    from peripherals.rcc import ENABLE_BITS
    allb = tuple(b for bits in ENABLE_BITS.values() for b in bits.values())
    for vos, mhz, hclk in ((0, 480, 240e6), (1, 400, 200e6)):
        a, _ = current_a(seg("sleep", mhz, vos, hclk=hclk, periph=allb))
        on = {p[0]: p[2] for v, pts in D.sleep["V"].items() for p in pts if v == vos}[mhz]
        assert a * 1e3 == pytest.approx(on, rel=0.05)
        a, _ = current_a(seg("run", mhz, vos, {"ITCM": 1}, hclk=hclk, periph=allb))
        table = D.run_all_on["V"]["itcm"][vos][0][1]
        assert a * 1e3 == pytest.approx(table, rel=0.05)


def test_extra_plls_add_one_ma_each():
    base, _ = current_a(seg())
    assert current_a(seg(plls_on=(1, 2, 3)))[0] - base == pytest.approx(2e-3)
    assert current_a(seg(plls_on=1))[0] == pytest.approx(base)


# --- energy ----------------------------------------------------------------------------------

def test_energy_integrates_v_i_t():
    segs = [seg("run", 64, 3, seconds=0.002), seg("run", 400, 1, seconds=0.010),
            seg("sleep", 400, 1, seconds=0.5), seg("stop", seconds=1.5, svos=5),
            seg("run", 400, 1, seconds=0.001)]
    rep = energy(segs, "V", 3.3, wakeups="none")
    expect = sum(3.3 * current_a(s)[0] * s.seconds for s in segs)
    assert rep.total_joules == pytest.approx(expect)
    assert rep.seconds == pytest.approx(2.013)
    assert rep.average_power_w == pytest.approx(expect / 2.013)
    assert set(rep.by_state) == {"run", "sleep", "stop"}
    assert sum(b["joules"] for b in rep.by_state.values()) == pytest.approx(expect)
    assert rep.by_state["stop"]["joules"] == pytest.approx(3.3 * 1.27e-3 * 1.5)
    assert len(rep.timeline) == 5 and rep.timeline[3]["t"] == pytest.approx(0.512)


def test_energy_scales_with_vdd_and_counts_wakeups():
    segs = [seg("run", seconds=0.001), seg("sleep", seconds=0.001), seg("run", seconds=0.001),
            seg("stop", seconds=0.01), seg("run", seconds=0.001)]
    a = energy(segs, vdd=3.3, wakeups="none")
    b = energy(segs, vdd=1.8, wakeups="none")
    assert b.total_joules == pytest.approx(a.total_joules * 1.8 / 3.3)
    w = energy(segs, vdd=3.3)
    assert w.by_state["wakeup"]["count"] == 2
    s1, j1 = wakeup_cost("sleep", segment=segs[2])
    s2, j2 = wakeup_cost("stop", segment=segs[3])
    assert w.total_joules == pytest.approx(a.total_joules + j1 + j2)
    assert w.seconds == pytest.approx(a.seconds)       # wake time is not simulated time


def test_timeline_thinned_to_1000_and_energy_preserved():
    segs = [seg("run" if i % 2 else "sleep", seconds=1e-3 * (1 + i % 3)) for i in range(5003)]
    rep = energy(segs, wakeups="none")
    assert len(rep.timeline) <= 1000
    assert sum(p["watts"] * p["seconds"] for p in rep.timeline) == pytest.approx(rep.total_joules)
    assert sum(p["seconds"] for p in rep.timeline) == pytest.approx(rep.seconds)


def test_energy_per_audio_second():
    rep = energy([seg(seconds=0.5)], audio_seconds=2.0, wakeups="none")
    assert rep.energy_per_audio_second_j == pytest.approx(rep.total_joules / 2.0)
    assert rep.to_dict()["audio_seconds"] == 2.0


def test_bad_inputs_are_refused():
    with pytest.raises(PowerModelError):
        current_a(seg(), "X")
    with pytest.raises(PowerModelError):
        current_a(seg(), "V", vdd=5.0)
    with pytest.raises(PowerModelError):
        current_a(seg("hibernate"))


# --- wake-up ---------------------------------------------------------------------------------

def test_wakeup_costs():
    s, j = wakeup_cost("sleep", core_hz=400e6, vos=1)
    assert s == pytest.approx(10 / 400e6)
    assert j == pytest.approx(s * 3.3 * current_a(seg("run", 400, 1))[0])
    assert wakeup_cost("stop", svos=3, flash_low_power=False)[0] == pytest.approx(4.4e-6)
    assert wakeup_cost("stop", svos=5)[0] == pytest.approx(39e-6)
    t3off = wakeup_cost("stop", svos=3, flash_low_power=True)[0]
    t4 = wakeup_cost("stop", svos=4)[0]
    assert 4.4e-6 < t3off < 39e-6 and 4.4e-6 < t4 < 39e-6
    s, j = wakeup_cost("stop", segment=seg("stop", svos=5, vos=3))
    assert j > 0 and s == pytest.approx(39e-6)
    with pytest.raises(PowerModelError):
        wakeup_cost("run")


def test_wakeup_segment_state():
    a, bd = current_a(seg("wakeup", wake_from="stop", svos=5, vos=3))
    s, j = wakeup_cost("stop", svos=5, vos=3)
    assert a == pytest.approx(j / (3.3 * s))


# --- operating points ------------------------------------------------------------------------

@pytest.mark.parametrize("mhz,rev,expect", [
    (480, "V", (0, 4, 2, 240e6)),
    (400, "V", (1, 2, 2, 200e6)),
    (400, "Y", (1, 2, 2, 200e6)),
    (300, "V", (2, 2, 1, 150e6)),
    (300, "Y", (2, 2, 1, 150e6)),
    (200, "V", (3, 2, 1, 100e6)),
    (200, "Y", (3, 2, 1, 100e6)),
    (100, "V", (3, 2, 1, 100e6)),
    (100, "Y", (3, 2, 1, 100e6)),
    (64, "V", (3, 1, 1, 64e6)),
])
def test_operating_point(mhz, rev, expect):
    op = operating_point(mhz, rev)
    assert tuple(op) == expect
    vos, ws, wrhf, axi = op                      # unpacks as the documented 4-tuple
    assert op.flash_wait_states == ws


def test_operating_point_refusals_and_overrides():
    with pytest.raises(PowerModelError, match="400 MHz maximum of rev Y"):
        operating_point(480, "Y")
    with pytest.raises(PowerModelError):
        operating_point(481, "V")
    with pytest.raises(PowerModelError):
        operating_point(400, "Y", vos=0)
    assert operating_point(400, "V", vos=0) == (0, 2, 2, 200e6)
    assert operating_point(200, "V", hpre=4).axi_hz == 50e6


def test_operating_point_wait_states_follow_rm0433_table_17():
    """The power model picks (LATENCY, WRHIGHFREQ) from the same table the FLASH model checks;
    RM0433 Table 17 rows, written here: (max AXI MHz at VOS0..VOS3) per (LATENCY, WRHIGHFREQ)."""
    table17 = {(0, 0): (70, 70, 55, 45), (1, 1): (140, 140, 110, 90),
               (2, 1): (185, 185, 165, 135), (2, 2): (210, 210, None, None),
               (3, 2): (225, 225, 224, 180), (4, 2): (240, None, None, 224)}

    def expected(axi_mhz: float, vos: int):
        for row, limits in table17.items():
            if limits[vos] is not None and axi_mhz <= limits[vos]:
                return row
        return None

    checked = 0
    for mhz in range(10, 481, 5):
        for vos in range(4):
            try:
                op = operating_point(mhz, "V", vos=vos)
            except PowerModelError:
                continue
            assert (op.flash_wait_states, op.wrhighfreq) == expected(op.axi_hz / 1e6, vos)
            checked += 1
    assert checked > 200


# --- whole firmware (the firmware build; the machine's own segments) --------------------------

def _run_elf(build, name):
    elf = build / f"{name}.elf"
    from simulator.elf import load_firmware
    from simulator.machine import Machine, RunConfig
    from simulator.platform import load_platform
    return Machine(load_firmware(elf), load_platform(), RunConfig(max_cycles=2_000_000_000)).run()


def test_systick_firmware_sleeps_at_400mhz_sleep_current(firmware_build):
    r = _run_elf(firmware_build, "systick")
    rep = energy(r.segments, "V")
    assert rep.seconds == pytest.approx(r.seconds)
    sl = rep.by_state["sleep"]
    assert sl["seconds"] > 0.9 * r.seconds
    # asleep at VOS1 400 MHz: the 35.3 mA table point, plus whatever blocks are clocked
    sleeps = [s for s in r.segments if s.state == "sleep"]
    assert len(sleeps) >= 10
    for s in sleeps:
        amps, bd = current_a(s)
        assert (s.core_hz, s.vos) == (400e6, 1)
        assert bd["base_a"] == pytest.approx(35.3e-3)
        assert amps == pytest.approx(35.3e-3 + sum(bd["peripherals_a"].values()))
    assert rep.by_state["wakeup"]["count"] >= 10


def test_hello_firmware_runs_at_400mhz_flash_current(firmware_build):
    r = _run_elf(firmware_build, "hello")
    rep = energy(r.segments, "V")
    main = max(r.segments, key=lambda s: s.seconds)
    assert main.core_hz == 400e6 and main.vos == 1
    a, bd = current_a(main)
    assert main.icache and main.dcache and set(main.code_cycles) == {"FLASH"}
    assert bd["base_a"] == pytest.approx(80e-3, rel=1e-9)   # DS12110 VOS1 400 MHz, cache ON
    assert a == pytest.approx(80e-3 + sum(bd["peripherals_a"].values()), rel=1e-9)
    assert 0 < sum(bd["peripherals_a"].values()) < 2e-3      # GPIOD + USART3 clocked
    assert rep.total_joules == pytest.approx(sum(3.3 * current_a(s)[0] * s.seconds
                                                 for s in r.segments))


def test_flash_code_below_itcm_at_low_vos3_frequencies():
    # below 200 MHz the VOS3 flash curves borrow the measured ITCM shape (A13)
    for mhz in (10, 25, 64, 100, 150):
        itcm, _ = run_point("itcm", 3, mhz)
        on, bd = run_point("flash_cache", 3, mhz)
        off, _ = run_point("flash_nocache", 3, mhz)
        assert off <= on < itcm
        assert "ITCM shape" in bd["base_source"]["flash"]["how"]


# --- what-if clock ---------------------------------------------------------------------------

def test_what_if_clock_keeps_wall_time_and_moves_busy_time_into_sleep():
    from simulator.power import what_if_clock
    segs = [seg("run", 64, 3, seconds=0.001), seg("run", 400, 1, seconds=0.2),
            seg("sleep", 400, 1, seconds=0.8)]
    w = what_if_clock(segs, 200, "V")
    assert tuple(w.operating_point) == (3, 2, 1, 100e6)
    s0, s1, s2 = w.segments
    assert s0.seconds == 0.001 and s0.core_hz == 64e6            # boot clock untouched
    assert s1.seconds == pytest.approx(0.4) and s1.vos == 3 and s1.hclk_hz == 100e6
    assert s2.seconds == pytest.approx(0.6) and s2.core_hz == 200e6
    assert sum(s.seconds for s in w.segments) == pytest.approx(1.001)
    assert w.overrun_seconds == 0
    assert segs[1].seconds == 0.2                                 # inputs not modified
    # too slow: 0.2 s at 400 MHz is 1.6 s at 50 MHz: 1.4 s more busy time, 0.8 s of sleep
    w = what_if_clock(segs, 50, "V")
    assert w.overrun_seconds == pytest.approx(0.6) and w.notes
    with pytest.raises(PowerModelError):
        what_if_clock(segs, 480, "Y")


def test_what_if_energy_lower_at_lower_clock_for_this_duty_cycle():
    from simulator.power import what_if_clock
    segs = [seg("run", 400, 1, seconds=0.2), seg("sleep", 400, 1, seconds=0.8)]
    e = {f: energy(what_if_clock(segs, f, "V").segments, wakeups="none").total_joules
         for f in (480, 400, 300, 200)}
    assert e[200] < e[300] < e[400] < e[480]


def test_worked_example():
    """docs/power-model.md 'Worked example'."""
    clocks = {"pclk1": 100e6, "pclk2": 100e6}
    run = seg("run", 400, 1, {"FLASH": 2_800_000, "ITCM": 1_200_000}, hclk=200e6,
              periph=("DMA1", "SAI1", "USART3"), seconds=0.010, clocks=clocks)
    sleep = seg("sleep", 400, 1, hclk=200e6, periph=("DMA1", "SAI1", "USART3"), seconds=0.090,
                clocks=clocks)
    a, bd = current_a(run)
    assert a * 1e3 == pytest.approx(99.19) and bd["base_a"] * 1e3 == pytest.approx(89.0)
    assert current_a(sleep)[0] * 1e3 == pytest.approx(45.49)
    rep = energy([run, sleep], audio_seconds=0.1)
    assert rep.total_joules * 1e3 == pytest.approx(3.273 + 13.511, abs=1e-3)
    assert rep.average_power_w * 1e3 == pytest.approx(167.8, abs=0.1)
    assert rep.energy_per_audio_second_j == pytest.approx(0.1678, abs=1e-4)
    s, j = wakeup_cost("sleep", segment=run)
    assert s == pytest.approx(25e-9) and j * 1e9 == pytest.approx(8.18, abs=0.01)


def test_sweep_rows():
    from simulator.power import sweep
    segs = [seg("run", 400, 1, seconds=0.2), seg("sleep", 400, 1, seconds=0.8)]
    rows = sweep(segs, [480, 400, 200, 100], "Y", audio_seconds=1.0)
    assert "error" in rows[0] and "rev Y" in rows[0]["error"]
    r400, r200 = rows[1], rows[2]
    assert (r400["vos"], r400["flash_wait_states"], r400["axi_mhz"]) == (1, 2, 200)
    assert r200["busy_seconds"] == pytest.approx(0.4) and r200["seconds"] == pytest.approx(1.0)
    assert r200["energy_joules"] < r400["energy_joules"]
    assert r200["energy_per_audio_second_j"] == pytest.approx(r200["energy_joules"])
