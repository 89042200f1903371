"""The fault catalogue (firmware/tests/fault_catalogue/catalogue.c): one firmware per fault
class, no handler. Each run must stop and report the class, the faulting address, the
function and source line (the line marked FAULT LINE in the C source), the call stack, and
CFSR / HFSR / BFAR / MMFAR as a handler would read them.

Oracle: the register values of the ARMv7-M Architecture Reference Manual B3.2.15 (CFSR:
MMFSR bits 7:0, BFSR 15:8, UFSR 31:16) and B3.2.16 (HFSR.FORCED = bit 30), written here as
numbers; the line numbers come from the firmware source text, not from the simulator."""

from __future__ import annotations

import struct

import pytest
from elftools.elf.elffile import ELFFile

from simulator.api import Options, load_inputs, simulate

from .conftest import FIRMWARE

SOURCE = FIRMWARE / "tests/fault_catalogue/catalogue.c"
HFSR_FORCED = 0x4000_0000
# ARMv7-M B3.2.15: MMFSR.DACCVIOL = bit 1, MMFSR.MMARVALID = bit 7 (MMFAR holds the address)
CFSR_DACCVIOL_MMARVALID = 0x0000_0082

# class -> (CFSR as the handler reads it, BFAR, class text, faulting function)
EXPECTED = {
    "precise_bus":   (0x0000_8200, 0x6000_0000, "precise data access", "trigger"),
    "imprecise_bus": (0x0000_0400, 0, "imprecise data access", "trigger"),
    "udf":           (0x0001_0000, 0, "undefined instruction", "trigger"),
    "unaligned":     (0x0100_0000, 0, "unaligned access", "trigger"),
    "div0":          (0x0200_0000, 0, "divide by zero", "trigger"),
}


def fault_line(case: str) -> int:
    for n, line in enumerate(SOURCE.read_text().splitlines(), 1):
        if line.rstrip().endswith(f"FAULT LINE {case} */"):
            return n
    raise AssertionError(f"no FAULT LINE {case} in {SOURCE}")


def _run(firmware_build, case: str):
    r = simulate(load_inputs(firmware_build / f"fault_cat_{case}.elf"),
                 Options(max_cycles=100_000_000))
    return r


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_fault_reported_with_class_place_stack_and_status_registers(firmware_build, case):
    cfsr, bfar, cls, func = EXPECTED[case]
    r = _run(firmware_build, case)
    assert r.exit_code == 4 and r.result.exit_reason == "fault"
    f = r.report["fault"]
    assert f["cfsr"] == cfsr and f["hfsr"] == HFSR_FORCED           # escalated, no handler
    assert f["bfar"] == bfar and f["mmfar"] == 0
    assert cls in f["class"]
    assert f["function"] == func and f["line"] == fault_line(case)
    assert f["file"].endswith("catalogue.c")
    stack = f["call_stack"]
    assert stack[0].startswith(f"{func}+") and any(s.startswith("run_case+") for s in stack)
    assert any(s.startswith("main+") for s in stack)
    assert r.report["faults"][-1]["cfsr"] == cfsr                  # the fault log agrees


def test_invstate_reports_the_even_target_as_the_pc(firmware_build):
    r = _run(firmware_build, "invstate")
    f = r.report["fault"]
    assert f["cfsr"] == 0x0002_0000 and f["hfsr"] == HFSR_FORCED
    assert f["pc"] == 0x0800_0100                  # the BX target (stacked PC, EPSR.T = 0)
    assert "invalid state" in f["class"]


def test_runaway_into_ram_garbage_is_an_undefined_instruction_outside_any_function(
        firmware_build):
    r = _run(firmware_build, "runaway")
    f = r.report["fault"]
    assert f["cfsr"] == 0x0001_0000                       # UDF #0xDE executed from RAM
    assert 0x2400_0000 <= f["pc"] < 0x2408_0000            # AXI SRAM, where garbage[] is
    assert f["function"] is None and f["line"] is None


def test_fault_in_the_fault_handler_locks_up(firmware_build):
    r = _run(firmware_build, "lockup")
    assert r.result.exit_reason == "lockup" and r.exit_code == 4
    f = r.report["fault"]
    assert f["function"] == "HardFault_Handler"
    assert "UNDEFINSTR" in r.result.diagnostic
    # the first fault (trigger's UDF) is in the log too, with its own line
    first = r.report["faults"][0]
    assert first["function"] == "trigger" and first["line"] == fault_line("lockup")


def test_stack_overflow_into_bss_without_mpu_guard(firmware_build):
    """No MPU guard: silicon raises no fault, the stack silently overwrites .bss (the
    firmware finds its victim array corrupted and exits 3); the report says where the
    stack left its area."""
    r = _run(firmware_build, "stack_overflow")
    assert r.result.exit_reason == "exit" and r.result.exit_code == 3   # victim[] corrupted
    overflow = r.report["memory"]["overflow"]
    assert overflow is not None and "recurse" in overflow and "catalogue.c" in overflow
    assert r.report["fault"] is None and r.report["faults"] == []


def symbol(elf_path, name: str) -> int:
    """A symbol's address read with pyelftools (not the simulator's ELF loader)."""
    with open(elf_path, "rb") as f:
        sym = ELFFile(f).get_section_by_name(".symtab").get_symbol_by_name(name)
    assert sym, f"{name} not in {elf_path}"
    return sym[0]["st_value"]


def test_memmanage_from_an_mpu_region(firmware_build):
    """A load from a 4 KB no-access MPU region: MemManage DACCVIOL with MMFAR = the address
    (escalated to HardFault, MEMFAULTENA being 0)."""
    r = _run(firmware_build, "mpu")
    assert r.exit_code == 4 and r.result.exit_reason == "fault"
    f = r.report["fault"]
    target = symbol(firmware_build / "fault_cat_mpu.elf", "guarded") + 5 * 4   # &guarded[5]
    assert f["cfsr"] == CFSR_DACCVIOL_MMARVALID and f["hfsr"] == HFSR_FORCED
    assert f["mmfar"] == target and f["address"] == target and f["bfar"] == 0
    assert "MemManage" in f["class"] and "data access violation" in f["class"]
    assert f["function"] == "trigger" and f["line"] == fault_line("mpu")
    assert f["file"].endswith("catalogue.c")
    assert f["call_stack"][0].startswith("trigger+")
    assert any(s.startswith("run_case+") for s in f["call_stack"])
    assert any(s.startswith("main+") for s in f["call_stack"])


def test_stack_overflow_into_bss_with_an_mpu_guard(firmware_build):
    """The same recursion as stack_overflow, with a 1 KB no-access MPU region at the bottom of
    the stack (between the stack and .bss): the first store into the guard is a MemManage
    DACCVIOL in recurse() with MMFAR inside the guard and within one frame (256 B + saved
    registers) of its top, and .bss (victim[]) is never touched."""
    elf = firmware_build / "fault_cat_stack_guard.elf"
    r = _run(firmware_build, "stack_guard")
    assert r.exit_code == 4 and r.result.exit_reason == "fault"
    f = r.report["fault"]
    guard = symbol(elf, "__stack_start")
    assert f["cfsr"] == CFSR_DACCVIOL_MMARVALID and f["hfsr"] == HFSR_FORCED
    assert guard + 1024 - 256 - 32 <= f["mmfar"] < guard + 1024 and f["mmfar"] % 4 == 0
    assert f["function"] == "recurse" and f["line"] == fault_line("stack_guard")
    assert f["call_stack"][0].startswith("recurse+")
    assert sum(s.startswith("recurse+") for s in f["call_stack"]) > 1      # recursion seen
    victim = symbol(elf, "victim")
    words = struct.unpack("<256I", bytes(r.machine.uc.mem_read(victim, 1024)))
    assert set(words) == {0x600DF00D}                   # .bss intact: the guard stopped it
    assert r.report["memory"]["overflow"] is None
