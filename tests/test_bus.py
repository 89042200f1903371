"""The bus's native register path against the Python models it stands in for.

Oracle: the peripheral models' own Python read/write (``RunConfig(fast_mmio=False)``, the
path every access took before simulator/bus.py served plain registers natively). Every
register without side effects is written and read back at every width through the CPU's
view of memory on two machines, one per path, and each read value, each register value and
the bus time charged must agree.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.elf import load_firmware
from simulator.machine import Machine, RunConfig
from simulator.platform import load_platform

ELF = Path(__file__).resolve().parent.parent / "firmware/build/exit_code.elf"
PATTERNS = (0xFFFFFFFF, 0xA5A5A5A5, 0x12345678, 0)


def _machine(fast: bool) -> Machine:
    if not ELF.exists():
        pytest.skip("firmware not built (make -C firmware)")
    return Machine(load_firmware(ELF), load_platform(), RunConfig(fast_mmio=fast))


def _plain_words(m: Machine) -> tuple[list[int], list[int]]:
    reads, writes = [], []
    for p in m.peripherals.values():
        r, w = p.plain_registers()
        reads += [p.base + o for o in sorted(r)]
        writes += [p.base + o for o in sorted(w)]
    return reads, writes


def _script(m: Machine, reads: list[int], writes: list[int]) -> list[int]:
    uc = m.uc
    out = []
    for a in reads:
        out.append(int.from_bytes(uc.mem_read(a, 4), "little"))
    for a in writes:
        for pat in PATTERNS:
            uc.mem_write(a, pat.to_bytes(4, "little"))
            out.append(int.from_bytes(uc.mem_read(a, 4), "little"))
            uc.mem_write(a + 1, bytes([pat & 0xFF]))
            uc.mem_write(a + 2, (pat >> 8 & 0xFFFF).to_bytes(2, "little"))
            out += [uc.mem_read(a + k, 1)[0] for k in range(4)]
            out.append(int.from_bytes(uc.mem_read(a + 2, 2), "little"))
    out.append(m.now())
    return out


def test_native_register_path_matches_the_python_models():
    fast, slow = _machine(True), _machine(False)
    reads, writes = _plain_words(fast)
    assert len(reads) > 200 and len(writes) > 50      # the fast path has work to do
    assert _script(fast, reads, writes) == _script(slow, reads, writes)
    for name, p in fast.peripherals.items():
        assert dict(p.values.items()) == dict(slow.peripherals[name].values.items()), name
    stats = fast.bus.stats()
    assert stats["native_reads"] > 2 * len(reads) and stats["native_writes"] > len(writes)
    assert fast.bus.total_cycles == slow.bus.total_cycles > 0


def test_aliases_and_hooks():
    """RCC_C1_AHB4ENR (0x58024540) is the CPU1 view of RCC_AHB4ENR (0x580244E0) on the
    single-core H743 (RM0433 8.7.37-8.7.38): a write to one reads back from the other, on
    the native path. A register with a read side effect (USART RDR pops the receive FIFO,
    RM0433 48.8.10) still reaches its Python model; the ISR flags are served natively."""
    m = _machine(True)
    m.uc.mem_read(0x58024540, 4)                          # first access to the page: timing
    before = m.bus.stats()["native_reads"]
    m.uc.mem_write(0x580244E0, (1 << 3).to_bytes(4, "little"))     # GPIODEN
    assert int.from_bytes(m.uc.mem_read(0x58024540, 4), "little") & (1 << 3)
    assert m.bus.stats()["native_reads"] == before + 1
    m.uc.mem_write(0x58024540, 0 .to_bytes(4, "little"))
    assert not int.from_bytes(m.uc.mem_read(0x580244E0, 4), "little") & (1 << 3)
    reads, _ = _plain_words(m)
    assert 0x40004824 not in reads            # USART3_RDR
    assert 0x4000481C in reads                # USART3_ISR
