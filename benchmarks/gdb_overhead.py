"""What `--gdb` costs a run whose client only continues (no breakpoint, watchpoint or step).

    python benchmarks/gdb_overhead.py [--firmware F.elf] [--audio CLIP --text TEXT] [--repeat 3]

Runs the firmware in this process without a debugger and with a GdbServer whose client (a
thread on a loopback socket) connects, continues and waits for the exit, alternately, and
prints the host time of each, the best of each kind and their ratio. Host time spent waiting
for the client to connect is excluded (the server counts it). Build the firmware first
(make -C firmware). docs/gdb.md quotes the figures.
"""

from __future__ import annotations

import argparse
import socket
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulator.api import Options, load_inputs, simulate  # noqa: E402
from simulator.gdb.rsp import PacketParser, frame  # noqa: E402


def continue_only(port: int) -> None:
    """A client that connects, says `c` and reads until the exit status (bounded)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=600)
    s.sendall(frame(b"c"))
    parser = PacketParser()
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        data = s.recv(4096)
        if not data or any(k == "packet" and b[:1] in b"WX" for k, b in parser.feed(data)):
            break
    s.close()


def one_run(fw: Path, gdb: bool, audio: Path | None = None,
            text: str | None = None) -> tuple[float, int]:
    inputs = load_inputs(fw, audio=audio, text=text)

    def start_client(machine) -> None:
        from simulator.gdb import GdbServer
        server = next(a for a in machine.attachments if isinstance(a, GdbServer))
        server.say = lambda text: None
        threading.Thread(target=continue_only, args=(server.listener.port,),
                         daemon=True).start()
        holder.append(server)

    holder: list = []
    t0 = time.perf_counter()
    run = simulate(inputs, Options(gdb_port=0 if gdb else None),
                   before_run=start_client if gdb else None)
    dt = time.perf_counter() - t0
    if holder:
        dt -= holder[0].halted_seconds
    return dt, run.result.cycles


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--firmware", type=Path, default=ROOT / "firmware/build/dp_ops.elf")
    ap.add_argument("--audio", type=Path, help="audio clip (for the aligner)")
    ap.add_argument("--text", help="transcript (for the aligner)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    one_run(args.firmware, False, args.audio, args.text)     # warm: numba cache, imports
    plain, gdb = [], []
    for _ in range(args.repeat):
        for kind, out in ((False, plain), (True, gdb)):
            dt, cycles = one_run(args.firmware, kind, args.audio, args.text)
            out.append((dt, cycles))
            print(f"{'--gdb' if kind else 'plain':6} {dt:8.3f} s  {cycles:,} cycles")
    assert len({c for _, c in plain + gdb}) == 1, "cycle counts differ"
    best_plain, best_gdb = min(t for t, _ in plain), min(t for t, _ in gdb)
    print(f"best: plain {best_plain:.3f} s, --gdb {best_gdb:.3f} s, "
          f"ratio {best_gdb / best_plain:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
