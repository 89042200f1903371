"""The public entry point: ``simulate(inputs, config) -> Run``.

The ``simulate`` command, the tests and the benchmarks all run firmware through here:

    from simulator.api import Options, load_inputs, simulate
    run = simulate(load_inputs("firmware/build/hello.elf"), Options(max_cycles=10**9))
    run.report["summary"]["cycles"], run.exit_code

``load_inputs`` validates everything a run reads before any simulation starts and raises
``InputError`` (one line, exit code 2) for bad input; ``simulate`` builds the machine, runs it
and turns the result into the JSON report, the budget verdict and an exit code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .apps.aligner import DEFAULT_ACCENT

EXIT_OK = 0
EXIT_FIRMWARE_FAILED = 1
EXIT_USAGE = 2
EXIT_BUDGET = 3
EXIT_FAULT = 4
MAX_ALIGNMENT_ERRORS = 50               # protocol errors kept in report["alignment"]["errors"]
EXIT_INTERNAL = 5      # an uncaught exception: a simulator bug (simulator.cli prints one line)


class InputError(Exception):
    """Bad usage or unreadable input: one line, exit code 2."""

    exit_code = EXIT_USAGE


class InputTimeout(InputError):
    """--timeout ran out while the inputs were prepared (the transcript's G2P): exit 4, as
    when it runs out during the simulation."""

    exit_code = EXIT_FAULT


@dataclass
class Inputs:
    """Everything a run reads, validated before any simulation starts."""

    platform: Any                                # simulator.platform.Platform
    firmware: Any                                # simulator.elf.Firmware
    transcript: Any | None = None                # simulator.apps.aligner.Transcript
    uart_input: bytes = b""                      # bytes the firmware reads from its console
    audio_source: Any | None = None              # simulator.audio.AudioSource
    budget: Any = None                           # simulator.memory.RamBudget (None: no gate)


@dataclass
class Options:
    """How to run: limits, what-ifs and gates (the run options of ``simulate --help``)."""

    max_cycles: int | None = None
    timeout_s: float | None = None               # host wall-clock limit
    semihosting_root: Path | None = None
    strict: bool = False
    baud: int = 115_200                          # the host terminal's rate on the console USART
    swo: Path | None = None                      # write the ITM packet stream (SWO) here
    audio_mode: str = "stream"                   # stream | buffered
    cpu_freq_mhz: float | None = None            # what-if core clock once on PLL1
    dcache: str = "sampled"                      # sampled | exact | off
    vdd: float | None = None                     # supply voltage for the energy figures
    max_energy: float | None = None              # joules; exceeding it is a budget failure
    profile: bool = False                        # native block profiler
    echo: Callable[[str, bytes], None] | None = None    # live console output
    progress: Callable[[float], None] | None = None     # simulated seconds so far
    gdb_port: int | None = None                  # serve gdb on 127.0.0.1:port (0: any free)


@dataclass
class Run:
    """One finished run."""

    machine: Any                                 # simulator.machine.Machine
    result: Any                                  # simulator.machine.RunResult
    report: dict
    words: list | None                           # the word alignment, with a transcript
    exit_code: int


def load_inputs(firmware: Path | str, *, platform: str | Path = "stm32h743",
                revision: str | None = None, audio: Path | None = None,
                text: str | None = None, accent: str = DEFAULT_ACCENT,
                max_ram: list[str] | tuple[str, ...] = (),
                budget_file: Path | None = None, timeout_s: float | None = None) -> Inputs:
    """Read and check the firmware, platform, audio clip, transcript and RAM budget.
    ``accent``: the eSpeak NG voice whose pronunciations the transcript is sent with.
    ``timeout_s`` bounds the host time of the transcript's preparation (eSpeak NG): past
    it, :class:`InputTimeout`."""
    from .elf import FirmwareError, load_firmware
    from .memory import RamBudget
    from .platform import PlatformError, load_platform

    transcript = None
    uart_input = b""
    if text is not None:
        from .apps.aligner import G2PUnavailable, encode_transcript, prepare_transcript
        try:
            transcript = _within(timeout_s, prepare_transcript, text, accent)
            uart_input = encode_transcript(transcript)
        except (ValueError, G2PUnavailable) as exc:
            raise InputError(f"transcript: {str(exc).splitlines()[0]}") from exc
    budget = RamBudget()
    try:
        if budget_file is not None:
            _load_budget_file(Path(budget_file), budget)
        for spec in max_ram:
            budget.add(spec)
    except (OSError, ValueError) as exc:
        raise InputError(f"bad budget: {exc}") from exc
    audio_source = None
    if audio is not None:
        from .audio import AudioError, AudioSource
        try:
            audio_source = AudioSource.open(Path(audio))
        except AudioError as exc:
            raise InputError(str(exc)) from exc
    try:
        plat = load_platform(platform)
        if revision:
            plat = plat.with_revision(revision)
        fw = load_firmware(Path(firmware))
        budget.validate({r.name for r in plat.regions if r.ram})
    except (FirmwareError, PlatformError, ValueError) as exc:
        raise InputError(str(exc)) from exc
    return Inputs(plat, fw, transcript, uart_input, audio_source, budget)


def simulate(inputs: Inputs, config: Options | None = None,
             before_run: Callable[[Any], None] | None = None) -> Run:
    """Run the firmware once and report. ``before_run(machine)`` may attach recorders
    (traces) between building the machine and running it. Raises ``InputError`` when the
    inputs cannot be wired (an audio clip the SAI cannot take, an impossible --cpu-freq)."""
    from .elf import FirmwareError
    from .machine import ExitReason, Machine, RunConfig
    from .platform import PlatformError
    from .power import PowerModelError
    from .report import build_report, check, note_truncated, strict_failures

    cfg = config or Options()
    if cfg.swo is not None:
        from .output import check_writable
        why = check_writable(cfg.swo)
        if why:
            raise InputError(f"--swo {cfg.swo}: cannot write there: {why}")
    attachments: list = []
    latency = None
    if inputs.audio_source is not None:
        from .attachments.audio_feed import AudioFeed
        from .attachments.latency import DmaBlockLatency
        latency = DmaBlockLatency()
        attachments += [AudioFeed(inputs.audio_source, cfg.audio_mode,
                                  end_marker=_end_marker if inputs.transcript else None),
                        latency]
    try:
        run_config = RunConfig(
            max_cycles=cfg.max_cycles, timeout_s=cfg.timeout_s,
            semihosting_root=cfg.semihosting_root, uart_input=inputs.uart_input,
            echo=cfg.echo, strict=cfg.strict, baud=cfg.baud,
            cpu_freq_hz=cfg.cpu_freq_mhz * 1e6 if cfg.cpu_freq_mhz else None,
            profile=cfg.profile, dcache=cfg.dcache, progress=cfg.progress)
        machine = Machine(inputs.firmware, inputs.platform, run_config, attachments)
    except (FirmwareError, PlatformError) as exc:
        raise InputError(str(exc)) from exc
    except PowerModelError as exc:
        raise InputError(f"--cpu-freq: {exc}") from exc
    except Exception as exc:  # AudioError from wiring the clip to the SAI
        if type(exc).__name__ == "AudioError":
            raise InputError(str(exc)) from exc
        raise
    if cfg.gdb_port is not None:
        from .gdb import Listener, attach
        try:
            listener = Listener.bind(cfg.gdb_port)
        except OSError as exc:
            raise InputError(f"--gdb: cannot listen on 127.0.0.1:{cfg.gdb_port}: "
                             f"{exc.strerror or exc}") from exc
        attach(machine, listener)
    if before_run is not None:
        before_run(machine)
    result = machine.run()
    if cfg.swo is not None:
        from .output import write_bytes
        itm = machine.core.itm
        write_bytes(cfg.swo, bytes(getattr(itm, "packets", b"")))
    extra: dict = {}
    if machine.audio is not None:
        extra["audio"] = _audio_report(machine, result, latency.latencies if latency else [])
    if cfg.cpu_freq_mhz:
        ov = machine._override
        extra["clock_override"] = {
            "cpu_hz": ov.cpu_hz, "axi_hz": ov.axi_hz, "vos": ov.vos,
            "flash_wait_states": ov.flash_wait_states,
            "note": "core clock overridden by --cpu-freq once the firmware switched to PLL1; "
                    "VOS and flash wait states from the datasheet tables"}
    words = None
    if inputs.transcript is not None:
        words, extra["alignment"] = _alignment(inputs.transcript, result,
                                               report_audio=extra.get("audio"))
    report = build_report(machine, result, extra, vdd=cfg.vdd)
    if "alignment" in report:
        note_truncated(report, "alignment.errors", report["alignment"]["error_count"],
                       MAX_ALIGNMENT_ERRORS)
    ram_regions = {r.name for r in inputs.platform.regions if r.ram}
    failures = inputs.budget.check(report["memory"], ram_regions) if inputs.budget else []
    energy = report["summary"].get("energy_j")
    if cfg.max_energy is not None and energy is not None and energy > cfg.max_energy:
        failures.append(f"energy {energy:.6g} J exceeds the budget of {cfg.max_energy:.6g} J")
    if failures:
        report["budget_failures"] = failures
    if result.exit_reason == ExitReason.EXIT:
        code = EXIT_OK if result.exit_code == 0 else EXIT_FIRMWARE_FAILED
    elif result.exit_reason == ExitReason.IDLE:
        code = EXIT_OK
    elif result.exit_reason == ExitReason.INTERRUPTED:
        code = result.exit_code                  # 128 + the signal: 130 / 143
    else:
        code = EXIT_FAULT
        report["summary"]["exit_code"] = EXIT_FAULT
    if failures and code in (EXIT_OK, EXIT_FIRMWARE_FAILED):
        code = EXIT_BUDGET
    lost = strict_failures(report)
    if cfg.strict and lost:
        report.setdefault("strict_failures", []).extend(lost)
        if result.exit_reason != ExitReason.INTERRUPTED:    # the signal's code wins
            code = EXIT_FAULT
    check(report)
    return Run(machine, result, report, words, code)


def _audio_report(machine, result, lat: list[int]) -> dict:
    """The clip as delivered, plus real-time figures: CPU busy time against audio time, and
    the worst latency from a DMA interrupt to the core sleeping again (one block done)."""
    info = machine.audio.report()
    busy_s = sum(seg.seconds for seg in result.segments if seg.state == "run")
    duration = info.get("duration_s") or info.get("source_duration_s")
    info.update({
        "cpu_busy_s": busy_s,
        "real_time_factor": busy_s / duration if duration else None,
        "dma_blocks": len(lat),
        "worst_block_latency_s": max(lat) / result.core_hz if lat else None,
    })
    return info


def _end_marker(samples: int) -> bytes:
    from .apps.aligner import end_of_audio_line
    return end_of_audio_line(samples)


def _alignment(transcript, result, report_audio) -> tuple[list, dict]:
    """Parse the firmware's result lines (USART3 TX) into one Word per transcript word."""
    from .apps.aligner import ResultParser

    parser = ResultParser()
    for name, data in result.console.items():
        if name != "semihosting":
            parser.feed(data)
    parser.close()
    words = parser.words(transcript)
    duration = None
    if report_audio:
        duration = report_audio.get("duration_s") or report_audio.get("source_duration_s")
    answered = any(w.found for w in words) or parser.done
    info = {
        "answered": answered,
        "done": parser.done,
        "audio_duration_s": duration,
        "words": [{"index": w.index, "text": w.text, "start_s": w.start_s, "end_s": w.end_s,
                   "confidence": w.confidence, "found": w.found} for w in words],
        "found": sum(w.found for w in words),
        "not_found": sum(not w.found for w in words),
        "revised": parser.n_revised,
        "errors": parser.errors[:MAX_ALIGNMENT_ERRORS],
        "error_count": len(parser.errors),
        "warnings": list(getattr(transcript, "warnings", [])),
    }
    return words, info


def _within(timeout_s: float | None, fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)``, or :class:`InputTimeout` once ``timeout_s`` of host time has passed.
    The work runs in a daemon thread (eSpeak NG is C code that cannot be interrupted); on a
    timeout the process is about to end with exit 4, and the thread with it. While the
    CLI's signal handlers are installed it runs there too: eSpeak NG calls back into Python
    for every word, and a Ctrl-C raised inside a ctypes callback is swallowed ("Exception
    ignored") and the preparation goes on; here the handler only notes the signal and this
    thread raises :class:`~simulator.interrupt.Interrupted` within 50 ms."""
    import threading
    import time as _time

    from . import interrupt

    if timeout_s is None and not interrupt.active():
        return fn(*args)
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["value"] = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = exc

    t = threading.Thread(target=work, name="prepare-transcript", daemon=True)
    deadline = None if timeout_s is None else _time.monotonic() + timeout_s
    with interrupt.on_signal(lambda: None):
        t.start()
        while t.is_alive():
            t.join(0.05)
            signum = interrupt.requested()
            if signum is not None:
                raise interrupt.Interrupted(signum)
            if deadline is not None and t.is_alive() and _time.monotonic() >= deadline:
                raise InputTimeout(f"--timeout {timeout_s:g} s of host time reached while "
                                   "preparing the transcript (text normalisation and eSpeak NG)")
    if "error" in box:
        raise box["error"]
    return box["value"]


#: The largest budget file read (a budget is a few lines).
MAX_BUDGET_FILE_BYTES = 1 << 20


def _load_budget_file(path: Path, budget) -> None:
    import tomllib

    from .elf import FirmwareError, read_bounded

    try:
        data = tomllib.loads(read_bounded(path, MAX_BUDGET_FILE_BYTES, "budget file")
                            .decode("utf-8"))
    except FirmwareError as exc:
        raise ValueError(str(exc)) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: {exc}") from exc
    ram = data.get("ram", {})
    if not isinstance(ram, dict):
        raise ValueError(f"{path}: [ram] must be a table, e.g. [ram] total = \"1MiB\"")
    for key, value in ram.items():
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            raise ValueError(f"{path}: ram.{key} = {value!r} is not a size like \"64K\"")
        budget.add(str(value) if key.lower() == "total" else f"{key}={value}")
