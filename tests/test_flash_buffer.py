"""Uncached instruction fetch from flash through the banks' read data buffers, and the
prefetch queue across a branch predicted not taken (tests/firmware/flash_buffer.c; I- and
D-cache off, reset clock: HSI 64 MHz, AXI clock = CPU clock, FLASH_ACR.LATENCY 7).

RM0433 4.3.8 "FLASH read operations" (text read in RM0399 Rev 4 4.3.8, the STM32H745/747
manual with the same flash interface; its first sentence also in RM0468): per bank "the read
commands ... are associated with a 256-bit read data buffer", and "if several consecutive read
accesses request data that belong to the same flash data word (256 bits), the data are read
directly from the current data read buffer, without triggering additional flash read
operations". A flash read takes LATENCY + 1 flash clock cycles (Table 16: "n WS (n + 1 FLASH
clock cycles)"): 8 at the reset LATENCY 7, where a buffered word (like AXI SRAM) takes one.

[TRM] Cortex-M7 prefetch unit: "4x64-bit pre-fetch queue to decouple instruction pre-fetch
from DPU pipeline operation"; only a taken (or mispredicted) branch redirects it. A block that
ends at a branch predicted not taken is, for the prefetch unit, straight-line code."""

from __future__ import annotations

import pytest

from .conftest import TEST_FIRMWARE, build_c, run_results

N = 100
LATENCY = 7                    # FLASH_ACR reset value 0x37 (RM0433 4.9.1)
FLASH_READ = LATENCY + 1       # flash clock cycles of a read, RM0433 Table 16
BUFFER_READ = 1                # one AXI cycle: the buffered word, as an AXI SRAM read


@pytest.fixture(scope="module")
def loops(tmp_path_factory):
    elf = build_c(tmp_path_factory.mktemp("flash_buffer"), "flash_buffer.c",
                  linker=TEST_FIRMWARE / "flash_buffer.ld")
    _m, r, v = run_results(elf, 24, max_cycles=10**8)
    names = ("flash_tight", "axi_tight", "flash_two", "axi_two", "flash_ld1", "axi_ld1",
             "flash_ld2", "axi_ld2", "flash_nt", "itcm_nt", "flash_flat", "itcm_flat")
    per = {k: (v[2 * i + 1] - v[2 * i]) / N for i, k in enumerate(names)}
    per["timing"] = r.timing
    return per


def test_a_loop_inside_one_flash_word_runs_as_from_axi_sram(loops):
    """Every iteration's taken branch refetches the loop's flash word, which the bank's read
    buffer still holds: no flash read, no wait states (a model without the buffer pays
    FLASH_READ - BUFFER_READ = 7 cycles more per iteration)."""
    assert loops["flash_tight"] == pytest.approx(loops["axi_tight"], abs=0.05), loops
    assert loops["timing"]["flash_buffer_hits"] >= 2 * N


def test_a_loop_over_two_flash_words_reads_the_flash_every_iteration(loops):
    """The branch target's word is never the buffered one (the loop's second word is): each
    iteration waits for a flash read (a model where every fetch hits the buffer does not)."""
    assert loops["flash_two"] - loops["axi_two"] >= FLASH_READ - BUFFER_READ, loops


def test_a_data_read_from_the_same_bank_replaces_the_buffered_word(loops):
    """A load from another flash word of bank 1 inside the one-word loop: the buffer then holds
    that word, so the loop's refetch reads the flash: FLASH_READ instead of BUFFER_READ."""
    own = loops["flash_ld1"] - loops["axi_ld1"]
    assert own == pytest.approx(FLASH_READ - BUFFER_READ, abs=0.05), loops


def test_a_data_read_from_the_other_bank_leaves_the_buffer(loops):
    """Bank 2 (0x0810 0000) has its own buffer: bank 1's word stays, the loop runs as from
    AXI SRAM."""
    assert loops["flash_ld2"] == pytest.approx(loops["axi_ld2"], abs=0.05), loops


def test_a_branch_predicted_not_taken_does_not_refill_the_prefetch_queue(loops):
    """Four lines of multiplies with a never-taken beq in the second line, against the same
    loop with a cmp + nop.w there: the fetch overhead over ITCM stays one line fetch (11
    cycles: LATENCY + 1 + 1 beat + 2 interconnect, docs/timing-model.md). The model splits the
    loop into two blocks at the beq and spreads each block's execution evenly over its lines,
    which leaves 2 cycles of difference; refetching the line at the beq would add 11."""
    flat = loops["flash_flat"] - loops["itcm_flat"]
    nt = loops["flash_nt"] - loops["itcm_nt"]
    assert flat == pytest.approx(11, abs=0.1), loops
    assert abs(nt - flat) < 3, loops
    assert loops["timing"]["sequential_lines_not_refetched"] >= 2 * N
