"""Load-time analysis speed: how fast the static timing model costs a large image.

    python benchmarks/load_time.py [--kb 100]

Tiles the largest code region of firmware/build/dp_ops.elf to the given size and times one
call of CortexM7CostModel.static_costs with a cold decoder (what a 100 KB firmware costs at
load). Prints bytes per second. Build the firmware first (make -C firmware).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulator.code_map import build_code_tables  # noqa: E402
from simulator.elf import load_firmware  # noqa: E402
from simulator.platform import load_platform  # noqa: E402
from simulator.timing import CortexM7CostModel  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kb", type=int, default=100, help="image size in KB (default 100)")
    args = ap.parse_args()
    fw = load_firmware(ROOT / "firmware/build/dp_ops.elf")
    tables = build_code_tables(fw, load_platform(), CortexM7CostModel())
    t = max(tables, key=lambda t: len(t.halfwords))
    reps = -(-args.kb * 1000 // (2 * len(t.halfwords)))
    hw, st = np.tile(t.halfwords, reps), np.tile(t.starts, reps)
    t0 = time.perf_counter()
    CortexM7CostModel().static_costs(t.base, hw, st)
    dt = time.perf_counter() - t0
    print(f"{2 * len(hw):,} bytes analysed in {dt:.3f} s ({2 * len(hw) / dt / 1e3:,.0f} KB/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
