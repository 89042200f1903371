"""`simulate --gdb`: Debian's gdb-multiarch drives the simulator through the remote protocol.

Oracles: gdb's own parse of what the stub sends (registers by name, symbols, line table,
watchpoint old/new values, `finish` return values), figures fixed by the firmware source or
the reference manual (the aligner's 320-sample DMA half buffer, USART BRR = f_ck / baud
(RM0433 48.5.7) for 115200 baud on the 100 MHz APB1 clock), math.log for the value al_logf
returns, hand-computed RSP checksums, and a run of the same firmware without a debugger.
Every socket and process wait is bounded.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from simulator.cli import main
from simulator.gdb.rsp import PacketParser, frame, unescape

GDB = shutil.which("gdb-multiarch")
needs_gdb = pytest.mark.skipif(GDB is None, reason="gdb-multiarch not installed "
                               "(scripts/apt-packages.txt; scripts/setup.sh installs it)")
WAIT_S = 120          # bound on every process and socket wait (a loaded 2-core CI machine)


# --- framing (GDB manual, "Overview" and "Binary Data") --------------------------------------
def test_packets_carry_the_modulo_256_checksum():
    assert frame(b"OK") == b"$OK#9a"            # 0x4f + 0x4b = 0x9a
    assert frame(b"m0,4") == b"$m0,4#fd"        # 0x6d + 0x30 + 0x2c + 0x34 = 0xfd
    # '#', '$', '}' and '*' go out as '}' + (byte ^ 0x20), the checksum over the escaped bytes
    assert frame(b"a#b") == b"$a}\x03b#" + f"{(0x61 + 0x7d + 0x03 + 0x62) & 0xff:02x}".encode()
    assert unescape(b"a}\x03b}]") == b"a#b}"


def test_parser_acks_packets_and_reports_interrupts():
    p = PacketParser()
    assert p.feed(b"+$OK#9a\x03$OK#00") == [("ack", b"+"), ("packet", b"OK"),
                                              ("interrupt", b""), ("bad", b"")]


# --- helpers ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def noise_wav(tmp_path_factory) -> Path:
    """0.5 s of 16 kHz noise: a short run that still streams audio through SAI + DMA."""
    import soundfile as sf
    path = tmp_path_factory.mktemp("gdb") / "noise.wav"
    x = (np.random.default_rng(1).standard_normal(8000) * 3000).astype(np.int16)
    sf.write(path, x, 16000)
    return path


@pytest.fixture(scope="module")
def long_noise_wav(tmp_path_factory) -> Path:
    """60 s of 16 kHz noise: a run that is still going when a test interrupts it (however
    fast the host simulates; the test kills it)."""
    import soundfile as sf
    path = tmp_path_factory.mktemp("gdb") / "long_noise.wav"
    x = (np.random.default_rng(2).standard_normal(60 * 16000) * 3000).astype(np.int16)
    sf.write(path, x, 16000)
    return path


class Simulation:
    """`python -m simulator.cli ... --gdb 0` in a subprocess; the port from its stderr."""

    def __init__(self, args: list[str]) -> None:
        import tempfile
        self._out = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (lives with the process)
        self.proc = subprocess.Popen([sys.executable, "-m", "simulator.cli", *args, "--gdb", "0"],
                                     stdout=self._out, stderr=subprocess.PIPE, text=True,
                                     cwd=Path(__file__).resolve().parent.parent)
        self.stderr: list[str] = []
        found = threading.Event()
        self.port = 0

        def read() -> None:
            for line in self.proc.stderr:
                self.stderr.append(line)
                m = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
                if m:
                    self.port = int(m.group(1))
                    found.set()
        self._t = threading.Thread(target=read, daemon=True)
        self._t.start()
        if not found.wait(WAIT_S):
            self.proc.kill()
            pytest.fail("the simulator never said where it listens: " + "".join(self.stderr))

    def finish(self) -> tuple[int, str]:
        try:
            self.proc.wait(timeout=WAIT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            pytest.fail("the simulator did not finish after the debugger left")
        self._t.join(WAIT_S)                  # the rest of stderr
        self._out.seek(0)
        return self.proc.returncode, self._out.read()


def run_gdb(elf: Path, port: int, commands: list[str]) -> str:
    cmd = [GDB, "-nx", "-batch", "-ex", "set pagination off", "-ex", "set confirm off",
           "-ex", f"target remote :{port}"]
    for c in commands:
        cmd += ["-ex", c]
    cmd.append(str(elf))
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=WAIT_S, check=False)
    return r.stdout + r.stderr


def summary_and_timing(path: Path) -> tuple[dict, dict]:
    rep = json.loads(path.read_text())
    s = rep["summary"]
    keep = ("exit_reason", "exit_code", "cycles", "instructions", "simulated_s", "peak_ram_bytes",
            "energy_j")
    return {k: s[k] for k in keep}, rep["timing"]


@pytest.fixture(scope="module")
def reference(firmware_build, noise_wav, tmp_path_factory) -> tuple[dict, dict]:
    """The aligner on the clip without a debugger."""
    out = tmp_path_factory.mktemp("ref") / "ref.json"
    assert main([str(firmware_build / "aligner.elf"), "--audio", str(noise_wav), "--text", "hi",
                 "-q", "--json", str(out)]) == 0
    return summary_and_timing(out)


# --- sessions --------------------------------------------------------------------------------
@needs_gdb
def test_gdb_session_on_the_aligner(firmware_build, noise_wav, reference, tmp_path):
    elf = firmware_build / "aligner.elf"
    report = tmp_path / "gdb.json"
    sim = Simulation([str(elf), "--audio", str(noise_wav), "--text", "hi", "-q",
                      "--json", str(report)])
    out = run_gdb(elf, sim.port, [
        "info registers msp psp primask basepri faultmask control fpscr",
        "info mem",
        "break al_push_audio", "continue",
        "print n",                                  # a local (argument) of the aligner
        "next", "next", "next", "next",             # the last one steps over al_fe_push()
        "x/wx 0x4000480c",                          # USART3 BRR, through the USART model
        "delete",
        "watch n_blocks", "continue", "print n_blocks",
        "delete",
        "break al_logf", "continue",
        "print x", "print $s0", "print $d15", "print $s31",
        "finish",
        "delete",
        "continue",
    ])
    code, _ = sim.finish()
    assert code == 0, out
    # the register set gdb built from target.xml (M-profile + FPv5-D16)
    for name in ("msp", "psp", "primask", "basepri", "faultmask", "control", "fpscr"):
        assert re.search(rf"^{name}\s+0x", out, re.MULTILINE), (name, out)
    # $s0 / $d15 / $s31 exist: gdb prints a number for each (a register it does not know is
    # "void"); their values depend on the compiler's register allocation, so are not checked
    vals = re.findall(r"^\$(\d+) = (.*)$", out, re.MULTILINE)
    assert "void" not in out and len(vals) >= 6, out
    assert all(re.fullmatch(r"-?[0-9.e+-]+|\{.*\}", v) for _, v in vals[-5:-1]), vals
    # the memory map from the platform file: 2 MB flash in 128 KB sectors
    assert re.search(r"0x08000000\s+0x08200000\s+flash blocksize 0x20000", out), out
    assert "Breakpoint 1, al_push_audio" in out
    assert re.search(r"^\$1 = 320$", out, re.MULTILINE), out                 # HALF_LEN samples
    # al_fe_push() is a tail call: stepping over it ends in push(), on the line after the
    # call of al_push_audio() in firmware/apps/aligner/main.c
    src = (firmware_build.parent / "apps/aligner/main.c").read_text().splitlines()
    after = next(i for i, line in enumerate(src, 1) if "al_push_audio(s, n);" in line) + 1
    assert re.search(rf"^push \(.*\) at apps/aligner/main.c:{after}$", out, re.MULTILINE), out
    assert "0x4000480c:\t0x00000364" in out                          # 100 MHz / 115200
    assert re.search(r"Old value = 0\s+New value = 1", out), out
    assert "Breakpoint 3, al_logf" in out
    x = float(re.search(r"al_logf \(x=x@entry=([-0-9.e]+)\)", out).group(1))
    values = re.findall(r"^\$\d+ = ([-0-9.e]+)$", out, re.MULTILINE)
    assert float(values[-4]) == x                                   # print x
    assert float(values[-3]) == x                                   # print $s0: the argument
    ret = float(re.search(r"Value returned is \$\d+ = ([-0-9.e]+)", out).group(1))
    assert ret == pytest.approx(math.log(x), rel=1e-6, abs=1e-7)
    assert "[Inferior 1 (Remote target) exited normally]" in out
    # stopping, stepping, watching and finishing changed nothing the run reports
    got = summary_and_timing(report)
    assert got == reference


@needs_gdb
def test_a_client_that_only_continues_changes_nothing(firmware_build, noise_wav, reference,
                                                      tmp_path):
    elf = firmware_build / "aligner.elf"
    report = tmp_path / "gdb.json"
    sim = Simulation([str(elf), "--audio", str(noise_wav), "--text", "hi", "-q",
                      "--json", str(report)])
    out = run_gdb(elf, sim.port, ["continue"])
    code, _ = sim.finish()
    assert code == 0 and "exited normally" in out, out
    assert summary_and_timing(report) == reference


# --- a raw client: Ctrl-C, kill, no-ack mode, monitor ----------------------------------------
class RawClient:
    def __init__(self, port: int) -> None:
        self.s = socket.create_connection(("127.0.0.1", port), timeout=WAIT_S)
        self.parser = PacketParser()
        self.events: list[tuple[str, bytes]] = []
        self.ack = True

    def send(self, data: str) -> None:
        self.s.sendall(frame(data.encode()))

    def packet(self) -> bytes:
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            for i, (kind, body) in enumerate(self.events):
                if kind == "packet":
                    del self.events[:i + 1]
                    if self.ack:
                        self.s.sendall(b"+")
                    return body
            data = self.s.recv(65536)
            if not data:
                raise ConnectionError("closed")
            self.events += self.parser.feed(data)
        raise TimeoutError

    def ask(self, data: str) -> bytes:
        self.send(data)
        return self.packet()


@needs_gdb
def test_ctrl_c_stops_a_running_target_and_kill_ends_the_run(firmware_build, long_noise_wav):
    sim = Simulation([str(firmware_build / "aligner.elf"), "--audio", str(long_noise_wav),
                      "--text", "hi", "-q"])
    c = RawClient(sim.port)
    try:
        assert c.ask("QStartNoAckMode") == b"OK"
        c.ack = False
        assert c.ask("?") == b"T05"
        assert c.ask("qRcmd," + b"cycles".hex()).startswith(b"O")
        assert c.packet() == b"OK"
        assert c.ask("vMustReplyEmpty") == b""
        c.s.sendall(b"$?#00")                      # bad checksum: ignored in no-ack mode
        c.send("c")
        time.sleep(0.5)
        c.s.sendall(b"\x03")
        assert c.packet() == b"T02"                 # SIGINT
        pc = int.from_bytes(bytes.fromhex(c.ask("p f").decode()), "little")
        assert pc != 0x08000394                     # it ran: no longer at Reset_Handler
        c.send("k")
    finally:
        c.s.close()
    code, _ = sim.finish()
    assert code == 4                                 # the run did not finish
    assert any("killed by the debugger" in line for line in sim.stderr), sim.stderr


def test_port_in_use_is_a_one_line_usage_error(firmware_build, capsys):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    try:
        code = main([str(firmware_build / "hello.elf"), "-q", "--gdb", str(s.getsockname()[1])])
    finally:
        s.close()
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--gdb: cannot listen" in err[0]


# --- stepping into and out of an interrupt handler -------------------------------------------
SPIN_WITH_SYSTICK = """
    .section .vectors, "a"
    .word 0x20020000
    .word reset
    .word 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
    .word systick
    .text
    .thumb_func
reset:
    movs r4, #0
    movs r5, #0
    ldr r1, =0xE000E010
    ldr r2, =99
    str r2, [r1, #4]        @ RVR: a SysTick every 100 cycles
    movs r2, #0
    str r2, [r1, #8]        @ CVR
    movs r2, #7
    str r2, [r1]            @ CSR: ENABLE | TICKINT | CLKSOURCE
    .global loop
loop:
    adds r5, #1
    cmp r4, #10             @ 30 iterations take 180-420 cycles (uncached flash fetch)
    blt loop
    movs r0, #0
    b exit_r0
    .global systick
    .thumb_func
systick:
    adds r4, #1
    bx lr
"""


@needs_gdb
def test_stepping_enters_and_leaves_an_interrupt_handler(tmp_path):
    from simulator.elf import load_firmware

    from .conftest import SEMIHOST_EXIT, build_asm
    elf = build_asm(tmp_path, SPIN_WITH_SYSTICK + SEMIHOST_EXIT)
    fw = load_firmware(elf)
    loop, handler = fw.symbol("loop").addr & ~1, fw.symbol("systick").addr & ~1
    ref = tmp_path / "ref.json"
    assert main([str(elf), "-q", "--json", str(ref)]) == 0
    report = tmp_path / "gdb.json"
    sim = Simulation([str(elf), "-q", "--json", str(report)])
    c = RawClient(sim.port)

    def reg(n: int) -> int:
        return int.from_bytes(bytes.fromhex(c.ask(f"p {n:x}").decode()), "little")

    try:
        assert c.ask("qRcmd," + b"isr-step into".hex()) == b"O" + b"isr-step into\n".hex().encode()
        assert c.packet() == b"OK"
        assert c.ask(f"Z1,{loop:x},2") == b"OK"
        assert c.ask("c") == b"T05" and reg(15) == loop
        assert c.ask(f"z1,{loop:x},2") == b"OK"
        for _ in range(2000):                        # bounded: a tick every 100 cycles
            assert c.ask("s") == b"T05"
            if reg(15) == handler:
                break
        else:
            pytest.fail("single steps never entered the SysTick handler")
        # ARMv7-M B1.5.6: exception entry sets IPSR to the exception number (SysTick = 15)
        # and LR to EXC_RETURN 0xFFFFFFF9 (thread mode, main stack, basic frame); the basic
        # frame holds the return address at SP + 0x18
        assert reg(16) & 0x1FF == 15
        assert reg(14) == 0xFFFFFFF9
        ret = int.from_bytes(bytes.fromhex(c.ask(f"m {reg(13):x},20".replace(" ", "")).decode())
                             [0x18:0x1C], "little")
        for _ in range(10):
            assert c.ask("s") == b"T05"
            if reg(16) & 0x1FF == 0:
                break
        assert reg(15) == ret                        # back where the interrupt came in
        assert c.ask("D") == b"OK"                   # detach: the run goes on to its end
    finally:
        c.s.close()
    code, _ = sim.finish()
    assert code == 0
    assert summary_and_timing(report) == summary_and_timing(ref)


@needs_gdb
def test_next_steps_over_interrupts_by_default(tmp_path):
    from .conftest import SEMIHOST_EXIT, build_asm
    elf = build_asm(tmp_path, SPIN_WITH_SYSTICK + SEMIHOST_EXIT)
    sim = Simulation([str(elf), "-q"])
    out = run_gdb(elf, sim.port, ["break loop", "continue", "delete"] + ["next"] * 90
                  + ["info registers r4 r5", "continue"])
    code, _ = sim.finish()
    assert code == 0 and "exited normally" in out, out
    assert "systick ()" not in out                      # no step stopped in the handler
    r4 = int(re.search(r"^r4\s+0x([0-9a-f]+)", out, re.MULTILINE).group(1), 16)
    r5 = int(re.search(r"^r5\s+0x([0-9a-f]+)", out, re.MULTILINE).group(1), 16)
    assert r5 == 90 // 3                                 # one loop iteration per 3 lines
    assert r4 >= 1                                       # yet the handler ran meanwhile


@needs_gdb
def test_bkpt_halts_with_a_debugger_and_faults_without(tmp_path):
    from simulator.elf import load_firmware

    from .conftest import SEMIHOST_EXIT, build_asm
    elf = build_asm(tmp_path, """
    .section .vectors, "a"
    .word 0x20020000
    .word reset
    .text
    .thumb_func
reset:
    movs r0, #0
    .global stop_here
stop_here:
    bkpt 0x01
    b exit_r0
""" + SEMIHOST_EXIT)
    at = load_firmware(elf).symbol("stop_here").addr & ~1
    assert main([str(elf), "-q"]) == 4          # no debugger: HardFault (DEBUGEVT), no handler
    sim = Simulation([str(elf), "-q"])
    c = RawClient(sim.port)
    try:
        assert c.ask("c") == b"T05"
        assert c.ask("p f") == at.to_bytes(4, "little").hex().encode()
        assert c.ask("P f=" + (at + 2).to_bytes(4, "little").hex()) == b"OK"
        assert c.ask("c") == b"W00"
    finally:
        c.s.close()
    code, _ = sim.finish()
    assert code == 0
