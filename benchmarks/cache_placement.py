"""Cycles of one compute kernel by code/data placement and cache state (the validation table
of docs/timing-model.md, "Dynamic part"), and of the uncached-fetch loops.

    python benchmarks/cache_placement.py

Builds tests/firmware/cache_kernel.c, tests/firmware/uncached_fetch.c and
tests/firmware/flash_buffer.c as the tests do (arm-none-eabi-gcc -O2, 64 MHz HSI, reset flash
latency), runs them with `--dcache exact` and prints the DWT CYCCNT figures they record with
their ratios. The tests that assert on them: tests/test_cache_timing.py,
tests/test_uncached_fetch.py, tests/test_flash_buffer.py.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import TEST_FIRMWARE, build_c, run_results  # noqa: E402

KERNEL = ("matmul, flash code, I-cache off, data in DTCM",
          "matmul, flash code, I-cache on (warm), DTCM",
          "matmul, ITCM code, DTCM", "matmul, ITCM code, AXI SRAM data, D-cache off",
          "matmul, ITCM code, AXI SRAM data, D-cache cold",
          "matmul, ITCM code, AXI SRAM data, D-cache warm",
          "matmul, flash code + AXI data, both caches off",
          "matmul, flash code + AXI data, both caches on",
          "FFT, flash code + AXI data, both caches off", None,
          "FFT, flash code + AXI data, both caches on")
LOOPS = ("4 lines, flash, caches off", "8 lines, flash, caches off", "4 lines, ITCM",
         "8 lines, ITCM", None, "4 lines, AXI SRAM, caches off", "4 lines, SRAM1 (D2), caches off",
         "4 lines, SRAM4 (D3), caches off")
BUFFER = ("loop inside one flash word, flash", "the same, AXI SRAM",
          "loop over two flash words, flash", "the same, AXI SRAM",
          "one-word loop + load from flash bank 1, flash", "the same, AXI SRAM",
          "one-word loop + load from flash bank 2, flash", "the same, AXI SRAM",
          "4 lines with a never-taken beq, flash", "the same, ITCM",
          "4 lines without it, flash", "the same, ITCM")


def main() -> int:
    argparse.ArgumentParser(description=__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    out = Path(tempfile.mkdtemp(prefix="cache_placement_"))
    _m, _r, v = run_results(build_c(out, "cache_kernel.c"), 11, max_cycles=10**9, dcache="exact")
    cached = {0: v[1], 1: v[1], 2: v[1], 3: v[5], 4: v[5], 5: v[5], 6: v[7], 7: v[7], 8: v[10],
              10: v[10]}
    print("| placement | cycles | ratio |\n|---|---|---|")
    for i, name in enumerate(KERNEL):
        if name:
            print(f"| {name} | {v[i]:,} | {v[i] / cached[i]:.2f} |")
    loops = build_c(out, "uncached_fetch.c", linker=TEST_FIRMWARE / "uncached_fetch.ld")
    _m, _r, w = run_results(loops, 16, max_cycles=10**8)
    print("\n| dependent-multiply loop | cycles per iteration |\n|---|---|")
    for i, name in enumerate(LOOPS):
        if name:
            print(f"| {name} | {(w[2 * i + 1] - w[2 * i]) / 100:.2f} |")
    buffered = build_c(out, "flash_buffer.c", linker=TEST_FIRMWARE / "flash_buffer.ld")
    _m, _r, b = run_results(buffered, 24, max_cycles=10**8, dcache="exact")
    print("\n| flash read buffer / prefetch queue loop | cycles per iteration |\n|---|---|")
    for i, name in enumerate(BUFFER):
        print(f"| {name} | {(b[2 * i + 1] - b[2 * i]) / 100:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
