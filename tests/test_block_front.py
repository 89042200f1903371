"""simulator/block_front.py: the block hook installed is an LLVM IR front that counts the common
block itself and passes every other block to native._block_hook. The oracle is _block_hook
alone (H7SIM_BLOCK_FRONT=0): whole runs must end with the same cycles, instructions, I-cache,
flash-buffer, predictor and pairing counters, D-side stalls (estimated and measured), poll
skips, lowest SP and per-region cycles either way, over code in flash with the caches off and
on, code in ITCM, SysTick interrupts, WFI, poll loops, D-side windows and the D-cache measured
throughout. The front must also have counted most blocks itself (else the comparison tests
nothing). Breaking the front on purpose (a predicted branch that never pairs, a flash-buffer
hit charged the fill, the estimate's fraction dropped, the I-cache LRU never updated) makes
these fail: checked by hand."""

from __future__ import annotations

import pytest

from simulator import block_front
from simulator.native import _block_hook

from .conftest import build_c


def _run(elf, front: bool, monkeypatch, **config) -> tuple:
    from simulator.elf import load_firmware
    from simulator.machine import Machine, RunConfig
    from simulator.platform import load_platform
    monkeypatch.setenv("H7SIM_BLOCK_FRONT", "1" if front else "0")
    m = Machine(load_firmware(elf), load_platform(), RunConfig(**config))
    assert (block_front.hook_address(_block_hook.address) != _block_hook.address) == front
    before = block_front.passed_on()
    r = m.run()
    passed = block_front.passed_on() - before
    c = m.counter
    out = (r.exit_reason, r.exit_code, r.cycles, r.instructions, r.console, r.fault,
           c.dynamic_stats(), c.poll_stats(), c.stack_watch(), c.cycles_by_region(),
           int(c.state[block_front.n.BLOCKS]),
           m.dcache.stats(r.cycles) if m.dcache else None)
    m.release()
    return out, passed


@pytest.mark.parametrize("name,config", [
    ("power_flash_nocache_480", {}),                # flash, caches off: uncached fetch, buffer
    ("power_flash_cache_480", {}),                  # flash, I- and D-cache on
    ("itcm", {}),                                   # code in ITCM
    ("systick", {}),                                # interrupts between blocks
    ("hal_poll_short", {}),                         # poll loops skipped, MMIO
    ("power_flash_cache_200", {"dcache": "exact"}),
    ("power_flash_nocache_200", {"dynamic_timing": False}),
])
def test_the_front_counts_what_the_hook_counts(name, config, firmware_build,
                                                monkeypatch) -> None:
    elf = firmware_build / f"{name}.elf"
    (with_front, passed), (alone, _) = (_run(elf, True, monkeypatch, **config),
                                        _run(elf, False, monkeypatch, **config))
    assert with_front == alone
    blocks = with_front[-2]
    assert blocks > 1_000 and passed < blocks // 4, (blocks, passed)


def test_profiling_runs_pass_every_block_on(firmware_build, monkeypatch) -> None:
    """With profiling the numba hook counts every block (the front counts none)."""
    elf = firmware_build / "power_flash_nocache_200.elf"
    (with_front, passed), (alone, _) = (_run(elf, True, monkeypatch, profile=True),
                                        _run(elf, False, monkeypatch, profile=True))
    assert with_front == alone
    assert passed >= with_front[-2]              # (and the calls that stopped the CPU)


@pytest.mark.parametrize("source,config", [("cache_kernel.c", {}),
                                           ("cache_kernel.c", {"dcache": "exact"}),
                                           ("dwt_inblock.c", {"dcache": "exact"})])
def test_cacheable_data_and_unaligned_loads(source, config, tmp_path, monkeypatch) -> None:
    """tests/firmware/cache_kernel.c: kernels from flash and ITCM on DTCM and AXI SRAM data,
    the I- and D-caches off then on (D-side windows measure cacheable accesses, estimates
    charge them between windows); dwt_inblock.c: 64 unaligned DTCM loads."""
    elf = build_c(tmp_path, source)
    (with_front, passed), (alone, _) = (_run(elf, True, monkeypatch, **config),
                                        _run(elf, False, monkeypatch, **config))
    assert with_front == alone
    assert passed < with_front[-2] // 4


def _random_counter(front: bool, monkeypatch, seed: int):
    """A NativeCounter on a bare engine over one synthetic 64 KB flash region (random costs,
    stalls, SP-lowering and impure marks, penalty-table entries), a 64-entry predictor, a
    small I-cache, the flash read buffers and D-side estimates (some never measured)."""
    import numpy as np
    from unicorn import UC_ARCH_ARM, UC_MODE_MCLASS, UC_MODE_THUMB, Uc
    from unicorn.arm_const import UC_ARM_REG_MSP

    from simulator import native_layout as n
    from simulator.dcache import DataCache
    from simulator.native import CodeRegion, NativeCounter
    monkeypatch.setenv("H7SIM_BLOCK_FRONT", "1" if front else "0")
    rng = np.random.default_rng(seed)
    uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS)
    uc.mem_map(0x20000000, 0x10000)
    counter = NativeCounter(uc)
    size = 1 << 16
    half = size // 2

    def prefix(high: int):
        return np.concatenate([[0], np.cumsum(rng.integers(0, high, half))]).astype(np.int64)

    penalties = (rng.integers(0, 9, half + 1) * (rng.random(half + 1) < 0.3)
                 | (rng.integers(0, 4, half + 1) << 8) | (rng.integers(0, 16, half + 1) << 12))
    counter.add_region(CodeRegion(
        0x08000000, size, prefix(4), prefix(2), cacheable=True, kind="flash",
        sp_lower_prefix=np.cumsum(np.r_[0, rng.random(half) < 0.01]).astype(np.int64),
        dep_prefix=prefix(2), issue_prefix=prefix(2), penalties=penalties.astype(np.int64),
        impure_prefix=np.cumsum(np.r_[0, rng.random(half) < 0.02]).astype(np.int64)))
    counter.enable_dynamic(64, 64, 8)
    counter.set_fill_cycles({"flash": 7})
    counter.set_flash_buffer(0x08000000, 0x08000000 + size, size // 2, 1)
    counter.watch_stack(0x20008000)
    uc.reg_write(UC_ARM_REG_MSP, 0x20009000)
    counter.enable_poll_skip(uc)
    dc = DataCache(uc, counter, 64, 4)
    est = dc._blocks[0][0]
    est[:] = np.where(rng.random(len(est)) < 0.01, -1, rng.integers(0, 3 << n.EST_SHIFT,
                                                                    len(est)))
    return uc, counter, dc


def test_random_blocks_count_the_same(monkeypatch) -> None:
    """Differential: the same random block sequence (blocks 4 KB apart share I-cache sets and
    predictor entries, sequential continuations, one-block loops, blocks entered part-way
    (another block with the same end), I-cache switched on and off, every D-side phase,
    deadlines) through the front and through the numba hook leaves the same state array,
    I-cache, predictor and memo (the I-cache LRU and replacement included)."""
    import ctypes

    import numpy as np

    from unicorn.arm_const import UC_ARM_REG_MSP, UC_ARM_REG_R0

    from simulator import native_layout as n
    from simulator.native import uc_handle
    hook_type = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_uint32,
                                 ctypes.c_void_p)
    sides = []
    for front in (True, False):
        uc, counter, dc = _random_counter(front, monkeypatch, 7)
        address = block_front.hook_address(_block_hook.address) if front else \
            _block_hook.address
        sides.append((uc, counter, dc, hook_type(address)))
    rng = np.random.default_rng(11)
    starts = 0x08000000 + 2 * rng.integers(0, 48, 40) + 4096 * rng.integers(0, 15, 40)
    fixed = [s.copy() for s in (c.state for _, c, _, _ in sides)]
    same = fixed[0] == fixed[1]                 # pointers differ between the two counters
    prev_end, sizes = None, {}
    # first, scripted: a one-block loop on the tail of a block, an exception (the previous
    # block forgotten), the whole block, then its tail again: the tail follows another block
    # that ended where it ends, the predictor entry still saturated on the tail
    whole = int(starts[1])
    sizes[whole], sizes[whole + 8] = 40, 32
    script = [whole + 8] * 4 + [-1, whole, whole + 8, whole + 8]
    passed = block_front.passed_on()
    for k in range(6000):
        step = rng.random()
        for _, counter, _, _ in sides:          # no poll tracking during the script
            counter.state[n.PS_ON] = int(k >= len(script))
        if k < len(script):
            if script[k] < 0:
                for _, counter, _, _ in sides:
                    counter.forget_previous_block()
                continue
            a = script[k]
        elif prev_end is not None and step < 0.3:
            a = prev_end
        elif prev_end is not None and step < 0.6:
            pass                                # the same block again: a loop of one block
        else:
            a = int(rng.choice(starts))
            if sizes.get(a, 0) > 2 and step > 0.9:  # entered part-way: another block, same end
                end = a + sizes[a]
                a += 2 * int(rng.integers(1, sizes[a] // 2))
                sizes.setdefault(a, end - a)
        if a not in sizes:                      # a block's size is the same every time
            sizes[a] = 2 * int(rng.integers(1, 40))
        size = sizes[a]
        if a + size > 0x08010000:
            a, size = int(starts[0]), sizes[int(starts[0])]
        r = rng.random()
        for uc, counter, dc, hook in sides:
            st = counter.state
            if r < 0.05:                        # the stack grows: a new lowest SP to see
                uc.reg_write(UC_ARM_REG_MSP, 0x20009000 - 8 * k)
            uc.reg_write(UC_ARM_REG_R0, k)      # no loop repeats exactly (no poll skip)
            if k % 500 == 0:
                counter.set_icache(bool((k // 500) % 2))
                st[n.DC_MODE] = (k // 500) % 4
            st[n.DEADLINE] = st[n.CYCLES] - 1 if r < 0.002 else 1 << 60
            hook(uc_handle(uc), a, size, st.ctypes.data)
        prev_end = a + size
        if k == len(script) - 1:                # (SEQ_PREV_EXEC: later blocks overwrite it)
            assert np.array_equal(sides[0][1].state[same], sides[1][1].state[same])
    passed = block_front.passed_on() - passed
    (_, c0, d0, _), (_, c1, d1, _) = sides
    assert passed < 6000 // 2, passed
    assert np.array_equal(c0.state[same], c1.state[same])
    assert c0.state[n.BLOCKS] > 5000 and c0.state[n.IC_MISSES] > 100
    assert c0.state[n.SP_MIN] < 0x20009000 - 8 * 5000
    for x, y in ((c0._ic_tags, c1._ic_tags), (c0._ic_lru, c1._ic_lru), (c0._bp, c1._bp),
                 (c0._memo, c1._memo), *zip(d0._blocks[0], d1._blocks[0])):
        assert np.array_equal(x, y)
