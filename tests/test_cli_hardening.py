"""The CLI under hostile use: nonsense options, closed stdout, signals, internal errors,
unwritable outputs, odd file names, determinism. Every case ends in a documented exit code
(simulate --help) and at most one line on stderr; never a traceback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from simulator.cli import main

from .conftest import ROOT, build_asm

SIMULATE = [sys.executable, "-m", "simulator.cli"]


def _stderr_lines(capsys) -> list[str]:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return [line for line in err.splitlines() if line.strip()]


@pytest.mark.parametrize("opts", [
    ["--cpu-freq", "0"], ["--cpu-freq", "0.001"], ["--cpu-freq", "1e-300"],
    ["--cpu-freq", "nan"], ["--max-energy", "-1"], ["--max-energy", "nan"],
    ["--timeout", "nan"], ["--timeout", "inf"], ["--max-cycles", "inf"],
    ["--max-cycles", "1e30"], ["--vdd", "nan"], ["--max-ram", "9" * 400],
])
def test_nonsense_options_are_one_line_usage_errors(firmware_build, capsys, opts):
    assert main([str(firmware_build / "hello.elf"), "-q", *opts]) == 2
    assert len(_stderr_lines(capsys)) == 1


@pytest.mark.parametrize("freqs", ["1e-300", "1e9", "inf", "nan", "100,,nan", ""])
def test_sweep_refuses_impossible_clocks_before_running(firmware_build, capsys, freqs):
    assert main(["sweep", str(firmware_build / "hello.elf"), "--freqs", freqs]) == 2
    assert len(_stderr_lines(capsys)) == 1


def test_trace_window_of_zero_cycles_is_a_usage_error(firmware_build, tmp_path, capsys):
    assert main(["profile", str(firmware_build / "hello.elf"), "--trace",
                 str(tmp_path / "t.bin"), "--trace-cycles", "0"]) == 2
    assert len(_stderr_lines(capsys)) == 1


def test_unwritable_json_path_is_refused_before_the_run(firmware_build, tmp_path, capsys,
                                                        monkeypatch):
    from simulator import api
    monkeypatch.setattr(api, "simulate", lambda *a, **k: pytest.fail("the run started"))
    for target in (tmp_path, tmp_path / "missing" / "r.json"):
        assert main([str(firmware_build / "hello.elf"), "--json", str(target)]) == 2
        assert len(_stderr_lines(capsys)) == 1


def test_budget_file_whose_ram_is_not_a_table(firmware_build, tmp_path, capsys):
    budget = tmp_path / "b.toml"
    budget.write_text('ram = "1MiB"\n')
    assert main([str(firmware_build / "hello.elf"), "--budget", str(budget), "-q"]) == 2
    assert "[ram] must be a table" in _stderr_lines(capsys)[0]


def test_firmware_name_with_newline_is_one_line(tmp_path, capsys):
    assert main([str(tmp_path / "a\nb.elf"), "-q"]) == 2
    lines = _stderr_lines(capsys)
    assert len(lines) == 1 and "\\n" in lines[0]


def test_max_cycles_1_says_why_it_stopped(firmware_build, capsys):
    assert main([str(firmware_build / "hello.elf"), "--max-cycles", "1"]) == 4
    err = _stderr_lines(capsys)
    assert any("--max-cycles 1 reached" in line for line in err)


def test_internal_error_is_exit_5_and_one_line(firmware_build, capsys, monkeypatch):
    from simulator.cli import run

    def broken(*_a, **_k):
        raise RuntimeError("simulated bug\nsecond line")
    monkeypatch.setattr(run, "simulate", broken)
    assert main([str(firmware_build / "hello.elf"), "-q"]) == 5
    lines = _stderr_lines(capsys)
    assert len(lines) == 1 and "internal error" in lines[0] and "RuntimeError" in lines[0]


def test_timeout_bounds_transcript_preparation(firmware_build, capsys, monkeypatch):
    import threading

    from simulator.apps import aligner as alignment
    release = threading.Event()

    def slow(text, voice="en-us"):
        release.wait(30)                   # stands for eSpeak NG on a huge transcript
        raise ValueError("released")
    monkeypatch.setattr(alignment, "prepare_transcript", slow)
    try:
        assert main([str(firmware_build / "hello.elf"), "--text", "hello", "--timeout",
                     "0.2", "-q"]) == 4
    finally:
        release.set()
    assert "while preparing the transcript" in _stderr_lines(capsys)[0]


def test_transcript_far_beyond_the_aligner_is_refused_before_g2p(firmware_build, capsys,
                                                                 monkeypatch):
    from simulator.apps import aligner as alignment
    monkeypatch.setattr(alignment, "_g2p", lambda: pytest.fail("G2P ran"))
    assert main([str(firmware_build / "hello.elf"), "--text", "a" * (1 << 20), "-q"]) == 2
    assert main([str(firmware_build / "hello.elf"), "--text", "word " * 50_000, "-q"]) == 2
    assert len(_stderr_lines(capsys)) == 2


def test_an_accent_that_is_not_an_english_voice_is_refused_before_g2p(firmware_build, capsys,
                                                                     monkeypatch):
    from simulator.apps import aligner as alignment
    monkeypatch.setattr(alignment, "_g2p", lambda: pytest.fail("G2P ran"))
    assert main([str(firmware_build / "hello.elf"), "--text", "hello", "--accent", "de",
                 "-q"]) == 2
    (line,) = _stderr_lines(capsys)
    assert "accent 'de' is not an English eSpeak NG voice" in line


def test_diff_of_json_that_is_not_a_report(tmp_path, capsys):
    a = tmp_path / "a.json"
    b = tmp_path / "b.json"
    a.write_text('{"summary": {"cycles": "many"}, "memory": [], "profile": {"functions": 3}}')
    b.write_text('{"summary": {"cycles": 5, "seconds": NaN}}')
    assert main(["diff", str(a), str(b)]) == 0
    b.write_text("[1, 2]")
    assert main(["diff", str(a), str(b)]) == 2
    assert "Traceback" not in capsys.readouterr().err


# --- closed stdout, in a real process ---------------------------------------------------------
def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def test_stdout_closed_early_like_head(firmware_build, tmp_path):
    report = tmp_path / "r.json"
    p = subprocess.Popen([*SIMULATE, str(firmware_build / "hello.elf"), "--json", str(report)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=_env())
    p.stdout.read(1)                      # `| head -c 1`
    p.stdout.close()
    err = p.stderr.read().decode()
    assert p.wait(timeout=300) == 0
    assert "Traceback" not in err and "Exception ignored" not in err
    assert json.loads(report.read_text())["summary"]["exit_reason"] == "exit"


def test_stdout_on_a_full_device(firmware_build, tmp_path):
    report = tmp_path / "r.json"
    with open("/dev/full", "w") as full:
        p = subprocess.run([*SIMULATE, str(firmware_build / "hello.elf"), "--json",
                            str(report)], stdout=full, stderr=subprocess.PIPE, cwd=ROOT,
                           env=_env(), timeout=300, check=False)
    err = p.stderr.decode()
    assert p.returncode == 0, err
    assert "Traceback" not in err and "Exception ignored" not in err
    assert sum("cannot write to standard output" in line for line in err.splitlines()) == 1
    assert json.loads(report.read_text())["summary"]["exit_reason"] == "exit"


# --- signals, in a real process ------------------------------------------------------------
READY_THEN_POLL = """
    .section .vectors, "a"
    .word 0x20010000
    .word reset
    .text
    .thumb_func
reset:
    movs r0, #4               @ SYS_WRITE0 "ready"
    ldr r1, =ready
    bkpt 0xab
    ldr r1, =0x58020010       @ GPIOA_IDR
poll_forever:
    ldr r0, [r1]
    b poll_forever
    .section .rodata
ready:
    .asciz "ready\\n"
"""


def _start_and_signal(elf: Path, args: list[str], signum: int) -> tuple[int, str]:
    p = subprocess.Popen([*SIMULATE, str(elf), *args], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, cwd=ROOT, env=_env())
    line = p.stdout.readline()
    assert b"ready" in line, line
    p.send_signal(signum)
    rc = p.wait(timeout=120)
    return rc, p.stderr.read().decode()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_writes_an_incomplete_report_and_never_clobbers(tmp_path, signum):
    elf = build_asm(tmp_path, READY_THEN_POLL)
    report = tmp_path / "report.json"
    report.write_text('{"old": true}\n')
    rc, err = _start_and_signal(elf, ["--json", str(report)], signum)
    assert rc == 128 + signum, err                     # 130 / 143
    assert "Traceback" not in err
    assert json.loads(report.read_text()) == {"old": True}      # left as it was
    partial = json.loads((tmp_path / "report.incomplete.json").read_text())
    assert partial["incomplete"]["signal"] == signal.Signals(signum).name
    # where the firmware was: right after the semihosting call or in the polling loop
    assert any(w in partial["incomplete"]["where"] for w in ("reset+", "poll_forever"))
    assert "t.s:" in partial["incomplete"]["where"]                 # with its source line
    assert partial["summary"]["exit_reason"] == "interrupted"


def test_signal_with_no_existing_report_writes_it_in_place(tmp_path):
    elf = build_asm(tmp_path, READY_THEN_POLL)
    report = tmp_path / "report.json"
    rc, err = _start_and_signal(elf, ["--json", str(report)], signal.SIGINT)
    assert rc == 130, err
    assert json.loads(report.read_text())["incomplete"]["signal"] == "SIGINT"


# creates ready.txt in the semihosting root (SYS_OPEN "wb"), then polls a register forever
MARK_THEN_POLL = """
    .section .vectors, "a"
    .word 0x20010000
    .word reset
    .text
    .thumb_func
reset:
    movs r0, #1               @ SYS_OPEN {name, mode 4 = "wb", length}
    ldr r1, =params
    bkpt 0xab
    ldr r1, =0x58020010       @ GPIOA_IDR
poll_forever:
    ldr r0, [r1]
    b poll_forever
    .section .rodata
    .align 2
params:
    .word name, 4, 9
name:
    .asciz "ready.txt"
"""


def test_sweep_interrupted_stops_and_exits_130(tmp_path):
    import time

    elf = build_asm(tmp_path, MARK_THEN_POLL)
    root = tmp_path / "root"
    root.mkdir()
    p = subprocess.Popen([*SIMULATE, "sweep", str(elf), "--freqs", "100,200", "--json",
                          str(tmp_path / "s.json"), "--semihosting-root", str(root)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=_env())
    for _ in range(6000):                 # the firmware of the first clock is running
        if (root / "ready.txt").exists() or p.poll() is not None:
            break
        time.sleep(0.05)
    p.send_signal(signal.SIGINT)
    assert p.wait(timeout=120) == 130
    assert "Traceback" not in p.stderr.read().decode()
    doc = json.loads((tmp_path / "s.json").read_text())
    assert doc["incomplete"]["signal"] == "SIGINT" and len(doc["sweep"]) == 1


# --- determinism ---------------------------------------------------------------------------
def test_same_inputs_give_byte_identical_reports_across_processes(firmware_build, tmp_path):
    """Two processes, same ELF, clip and options: the JSON reports are byte-identical once
    the host section (wall-clock timing, the only host-dependent figures) is set aside."""
    clip = tmp_path / "clip.wav"
    t = np.arange(1600) / 16000
    sf.write(str(clip), (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 16000,
             subtype="PCM_16")
    texts = []
    for i in range(2):
        out = tmp_path / f"r{i}.json"
        subprocess.run([*SIMULATE, str(firmware_build / "audio_loopback.elf"), "--audio",
                        str(clip), "-q", "--json", str(out)], check=True, cwd=ROOT,
                       env=_env(), timeout=600)
        doc = json.loads(out.read_text())
        assert set(doc["host"]) <= {"wall_s", "instructions_per_s", "fast_paths"}
        doc.pop("host")
        texts.append(json.dumps(doc, indent=2))
    assert texts[0] == texts[1]


def _vm_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1])
    raise AssertionError("no VmSize in /proc/self/status")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_sweep_keeps_one_machine_at_a_time(firmware_build, monkeypatch, capsys):
    """A sweep over N clocks holds one machine at a time: when a clock's machine is built,
    no earlier clock's machine is alive (weak references, no GC forced here), and the
    address space does not grow with the clocks. The bound: one Unicorn instance alone
    reserves ~1 GiB (its translation buffer), so a machine per clock kept alive, or not
    released, grows VmSize by far more than 256 MiB over four clocks."""
    import weakref

    from simulator import machine as machine_mod

    refs: list[weakref.ref] = []
    alive_at_build: list[int] = []
    vm_at_build: list[int] = []
    init = machine_mod.Machine.__init__

    def counting_init(self, *a, **k):
        alive_at_build.append(sum(r() is not None for r in refs))
        init(self, *a, **k)
        vm_at_build.append(_vm_kib())
        refs.append(weakref.ref(self))

    monkeypatch.setattr(machine_mod.Machine, "__init__", counting_init)
    code = main(["sweep", str(firmware_build / "hello.elf"), "--freqs", "100,150,200,250"])
    assert code == 0
    assert len(vm_at_build) == 4
    assert alive_at_build == [0, 0, 0, 0]
    assert vm_at_build[-1] - vm_at_build[0] < 256 * 1024, vm_at_build


def test_runs_nobody_holds_do_not_pile_up_machines(firmware_build, monkeypatch):
    """A process that runs simulation after simulation and drops each result (batch workers,
    API loops) must not keep every machine: a machine sits in reference cycles through its
    Unicorn hooks, so without a collection each dropped run would keep its ~1 GiB of address
    space. When each new machine is built, at most two dropped ones may still exist."""
    import weakref

    from simulator import machine as machine_mod
    from simulator.api import Options, load_inputs, simulate

    refs: list[weakref.ref] = []
    alive_at_build: list[int] = []
    init = machine_mod.Machine.__init__

    def counting_init(self, *a, **k):
        alive_at_build.append(sum(r() is not None for r in refs))
        init(self, *a, **k)
        refs.append(weakref.ref(self))

    monkeypatch.setattr(machine_mod.Machine, "__init__", counting_init)
    inputs = load_inputs(firmware_build / "hello.elf")
    import gc
    gc.disable()                 # only the simulator's own bound may free them
    try:
        for _ in range(6):
            assert simulate(inputs, Options(max_cycles=2_000_000)).exit_code == 0
    finally:
        gc.enable()
    assert len(alive_at_build) == 6 and max(alive_at_build) <= 2, alive_at_build


@pytest.mark.parametrize("opts", [
    ["--trace", "T", "--trace-range", "5:1"],                 # HI below LO
    ["--trace", "T", "--trace-range", "0:0x1FFFFFFFF"],       # beyond the 32-bit space
    ["--trace", "T", "--trace-range", "x:y"],
    ["--trace-range", "0x08000000:0x08001000"],              # a window with no trace
    ["--trace-from", "main"],
    ["--trace-start", "100"],
    ["--annotate", "no_such_function"],
    ["--trace", "DIR"],                                       # a folder: refused before the run
    ["--callgrind", "DIR"],
])
def test_profile_option_nonsense_is_a_usage_error(firmware_build, tmp_path, capsys, opts):
    opts = [str(tmp_path / "t.trace") if o == "T" else str(tmp_path) if o == "DIR" else o
            for o in opts]
    assert main(["profile", str(firmware_build / "hello.elf"), *opts]) == 2
    out = capsys.readouterr()
    err = [line for line in out.err.splitlines() if line.strip()]
    assert "Traceback" not in out.err and out.out == ""    # refused before the firmware ran
    assert len(err) == 1 and ("trace" in err[0] or "--annotate" in err[0]
                              or "callgrind" in err[0])


def test_profile_trace_of_a_whole_run(firmware_build, tmp_path, capsys):
    """A trace of the whole of hello.elf is written and reads back: cycles never going
    backwards, the last one within the run, no more records than instructions the report
    counts. (It was an internal error: a block entered dual-issued with its branch gave an
    instruction a cycle before the previous one, a negative delta the format cannot hold.)"""
    import numpy as np

    from simulator.trace import read_trace

    out, rep = tmp_path / "h.trace", tmp_path / "h.json"
    assert main(["profile", str(firmware_build / "hello.elf"), "-q", "--trace", str(out),
                 "--trace-max", "10000000", "--json", str(rep)]) == 0
    t = read_trace(out)
    summary = json.loads(rep.read_text())["summary"]
    assert 0 < len(t) <= summary["instructions"] and not t.header["truncated"]
    assert np.all(np.diff(t.cycles) >= 0) and t.cycles[-1] <= summary["cycles"]


@pytest.fixture(scope="module")
def trace_and_report(firmware_build, tmp_path_factory):
    d = tmp_path_factory.mktemp("products")
    assert main(["profile", str(firmware_build / "hello.elf"), "-q", "--trace",
                 str(d / "h.trace"), "--trace-max", "200", "--json", str(d / "r.json")]) == 0
    return d / "h.trace", d / "r.json"


@pytest.mark.parametrize("mode", ["closed", "full"])
@pytest.mark.parametrize("command", ["version", "diff", "trace-dump"])
def test_commands_that_print_their_product(firmware_build, trace_and_report, mode, command):
    """--version, diff and trace-dump print what they make: a reader that goes away
    (`| head`) ends them quietly with status 0; a full device (`> /dev/full`) is one line on
    stderr and status 2. Never a traceback (they were: BrokenPipeError from --version, rich's
    own SystemExit(1) from diff, an internal error from trace-dump)."""
    trace, report = trace_and_report
    args = {"version": ["--version"], "diff": ["diff", str(report), str(report)],
            "trace-dump": ["trace-dump", str(trace), "--elf",
                           str(firmware_build / "hello.elf")]}[command]
    if mode == "closed":
        p = subprocess.Popen([*SIMULATE, *args], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, cwd=ROOT, env=_env())
        p.stdout.close()
        code, err = p.wait(timeout=300), p.stderr.read().decode()
        expected = 0
    else:
        with open("/dev/full", "w") as full:
            p = subprocess.run([*SIMULATE, *args], stdout=full, stderr=subprocess.PIPE,
                               cwd=ROOT, env=_env(), timeout=300, check=False)
        code, err = p.returncode, p.stderr.decode()
        expected = 2
    assert "Traceback" not in err and "Exception ignored" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == expected, err
    if mode == "full":
        assert len(lines) == 1 and "cannot write to standard output" in lines[0]
    else:
        assert lines == []


def test_trace_dump_of_things_that_are_not_traces(trace_and_report, tmp_path, capsys):
    """A FIFO or /dev/zero is refused unread (they hung / read forever); a damaged header is
    one line, exit 2 (it was a KeyError / struct.error traceback)."""
    trace, _ = trace_and_report
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    raw = trace.read_bytes()
    hlen = int.from_bytes(raw[8:12], "little")
    header = json.loads(raw[12:12 + hlen])
    del header["count"]
    no_count = json.dumps(header).encode()
    damaged = {
        "short": raw[:10],
        "no_count": raw[:8] + len(no_count).to_bytes(4, "little") + no_count + raw[12 + hlen:],
        "header_not_json": raw[:12] + b"\xff" * hlen + raw[12 + hlen:],
        "cut": raw[:-3],
    }
    paths = [fifo, Path("/dev/zero")]
    for name, data in damaged.items():
        (tmp_path / name).write_bytes(data)
        paths.append(tmp_path / name)
    for path in paths:
        assert main(["trace-dump", str(path)]) == 2, path
        err = _stderr_lines(capsys)
        assert len(err) == 1, (path, err)


# eSpeak NG calls back into Python for every word; this stand-in does the same through libc's
# qsort (a ctypes callback per comparison), so that a signal lands inside a ctypes callback
SLOW_G2P = r"""
import ctypes, ctypes.util, sys
import simulator.apps.aligner as alignment
from simulator.cli import main

class SlowG2P:
    @staticmethod
    def transcript_phones(text, voice="en-us"):
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        CMP = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_int),
                               ctypes.POINTER(ctypes.c_int))
        cmp = CMP(lambda a, b: sum(range(2000)) and (a[0] > b[0]) - (a[0] < b[0]))
        arr = (ctypes.c_int * 2000)(*range(2000, 0, -1))
        print("ready", flush=True)
        for _ in range(400):               # minutes of callbacks: longer than the test waits
            libc.qsort(arr, len(arr), ctypes.sizeof(ctypes.c_int), cmp)
            arr[:] = list(range(2000, 0, -1))
        raise SystemExit(99)               # the signal was swallowed

alignment._g2p = lambda: SlowG2P
alignment._front_end_identity = lambda: None      # no cached phones: the stand-in runs
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_while_the_transcript_is_prepared(firmware_build, tmp_path, signum):
    """A signal during text-to-phone conversion (eSpeak NG's callbacks) ends the command
    with 128 + signal; it was swallowed inside the ctypes callback and the preparation went
    on to the end."""
    p = subprocess.Popen([sys.executable, "-c", SLOW_G2P, str(firmware_build / "hello.elf"),
                          "--text", "hello world"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, cwd=ROOT, env=_env())
    assert p.stdout.readline().strip() == b"ready"
    p.send_signal(signum)
    try:
        code = p.wait(timeout=300)
    finally:
        p.kill()
    err = p.stderr.read().decode()
    assert code == 128 + signum, err
    assert "Exception ignored" not in err and "Traceback" not in err
