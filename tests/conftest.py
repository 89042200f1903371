"""Shared fixtures: the firmware build (once per session) and small assembly firmwares."""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import sys

import pytest

# some test modules import helpers by flat name (e.g. `import _model_path`)
sys.path.insert(0, str(Path(__file__).resolve().parent))

ROOT = Path(__file__).resolve().parent.parent

# every JSON report the tests produce is validated against docs/report.schema.json
# (simulator.report.check; subprocesses inherit it)
os.environ["H7SIM_VALIDATE_REPORTS"] = "1"
FIRMWARE = ROOT / "firmware"
BUILD = FIRMWARE / "build"

needs_toolchain = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                                     reason="arm-none-eabi-gcc not installed")


@pytest.fixture(scope="session")
def firmware_build() -> Path:
    """Build firmware/ with its own Makefile; return the build folder."""
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("arm-none-eabi-gcc not installed")
    subprocess.run(["make", "-s", "-j2", "-C", str(FIRMWARE)], check=True,
                   stdout=subprocess.DEVNULL)
    return BUILD


LINKER = """
MEMORY { FLASH (rx) : ORIGIN = 0x08000000, LENGTH = 2M
         DTCM (rw)  : ORIGIN = 0x20000000, LENGTH = 128K
         ITCM (rwx) : ORIGIN = 0x00000000, LENGTH = 64K }
SECTIONS {
  .text : { KEEP(*(.vectors)) *(.text*) *(.rodata*) } > FLASH
  .itcm : { *(.itcm*) } > ITCM AT > FLASH
  .data : { *(.data*) } > DTCM AT > FLASH
  .bss (NOLOAD) : { *(.bss*) } > DTCM
}
"""

ASM_PRELUDE = """
    .syntax unified
    .cpu cortex-m7
    .fpu fpv5-d16
    .thumb
"""


def assemble(workdir: Path, source: str, name: str = "t", linker: str = LINKER) -> Path:
    """Assemble and link a small Thumb program (vector table in `.vectors`) into an ELF with
    arm-none-eabi binutils (no pytest: tests/fuzz_targets.py and scripts/fuzz.py use it too)."""
    asm = workdir / f"{name}.s"
    asm.write_text(ASM_PRELUDE + source)
    obj = workdir / f"{name}.o"
    ld = workdir / f"{name}.ld"
    ld.write_text(linker)
    elf = workdir / f"{name}.elf"
    subprocess.run(["arm-none-eabi-as", "-g", "-o", str(obj), str(asm)], check=True)
    subprocess.run(["arm-none-eabi-ld", "-T", str(ld), "-o", str(elf), str(obj)], check=True)
    return elf


def build_asm(tmp_path: Path, source: str, name: str = "t", linker: str = LINKER) -> Path:
    """:func:`assemble` for a test (skipped without binutils), the source dedented."""
    if shutil.which("arm-none-eabi-as") is None:
        pytest.skip("arm-none-eabi binutils not installed")
    return assemble(tmp_path, textwrap.dedent(source), name, linker)


def vector_table(handlers: dict[int, str], sp: int = 0x20020000) -> str:
    """A `.vectors` section: the initial SP, `reset`, then exceptions 2 up to the highest in
    ``handlers`` (exception number -> handler label; 16 is IRQ 0), the others at `hang`, a
    `b .` loop defined here; ends in `.text`."""
    words = "".join(f"    .word {handlers.get(n, 'hang')}\n"
                    for n in range(2, max(handlers, default=1) + 1))
    return (f'\n    .section .vectors, "a"\n    .word {sp:#x}\n    .word reset\n{words}'
            "    .text\n    .thumb_func\nhang:\n    b hang\n")


def mpu_region(base: int | str, rasr: int | str, note: str = "") -> str:
    """Assembly that programs MPU region 0 (RBAR = ``base``, RASR = ``rasr``), enables the MPU
    with PRIVDEFENA (MPU_CTRL = 5: the default map for privileged accesses elsewhere; ARMv7-M
    B3.5.7-B3.5.9) and ends with DSB; ISB. Uses r0, r1. ``base``/``rasr`` may be assembler
    expressions or `str.format` fields; ``note`` says what the region is (an assembly comment)."""
    base = f"{base:#x}" if isinstance(base, int) else base
    rasr = f"{rasr:#x}" if isinstance(rasr, int) else rasr
    return f"""
    ldr r1, =0xE000ED98         @ MPU_RNR = 0
    movs r0, #0
    str r0, [r1]
    ldr r1, =0xE000ED9C         @ MPU_RBAR{": " + note if note else ""}
    ldr r0, ={base}
    str r0, [r1]
    ldr r1, =0xE000EDA0         @ MPU_RASR
    ldr r0, ={rasr}
    str r0, [r1]
    ldr r1, =0xE000ED94         @ MPU_CTRL: ENABLE | PRIVDEFENA
    movs r0, #5
    str r0, [r1]
    dsb
    isb
"""


def mmfar_handler(address: int, otherwise: int) -> str:
    """A `memmanage` handler that exits with MMFAR - ``address`` (0 when the fault was a data
    access violation at ``address``: MMFSR = MMARVALID | DACCVIOL, ARMv7-M B3.2.15/B3.2.17),
    or with ``otherwise`` when MMFSR says anything else."""
    return f"""
    .thumb_func
memmanage:
    ldr r1, =0xE000ED28       @ CFSR
    ldr r0, [r1]
    and r0, r0, #0xFF         @ MMFSR
    cmp r0, #0x82             @ MMARVALID | DACCVIOL
    bne 1f
    ldr r1, =0xE000ED34       @ MMFAR
    ldr r0, [r1]
    ldr r1, ={address:#x}
    subs r0, r0, r1           @ 0 when MMFAR is the address
    b exit_r0
1:  movs r0, #{otherwise:#x}
    b exit_r0
"""


# Semihosting exit with status r0 (SYS_EXIT_EXTENDED, ADP_Stopped_ApplicationExit).
SEMIHOST_EXIT = """
    .thumb_func
exit_r0:
    ldr sp, =0x20010000
    ldr r1, =0x20026
    str r1, [sp]
    str r0, [sp, #4]
    mov r1, sp
    movs r0, #0x20
    bkpt 0xab
    b .
"""

# SEMIHOST_EXIT followed by a 64-byte log: `logp` (the next free byte) and `log`, where
# LOG_MACRO's LOGW writes and run_log reads.
SEMIHOST_EXIT_AND_LOG = SEMIHOST_EXIT + """
    .bss
    .align 2
logp: .space 4
log: .space 64
"""


TEST_FIRMWARE = Path(__file__).resolve().parent / "firmware"


def build_c(out_dir: Path, source: str, *defines: str, linker: Path | None = None) -> Path:
    """Compile a self-contained C test firmware (tests/firmware/SOURCE, own vector table,
    -nostdlib) into OUT_DIR; ``defines`` are -D options, ``linker`` defaults to
    tests/firmware/cache_kernel.ld (flash, ITCM, DTCM, AXI SRAM)."""
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("arm-none-eabi-gcc not installed")
    src = Path(source) if Path(source).is_absolute() else TEST_FIRMWARE / source
    elf = out_dir / (src.stem + "".join(f"_{d.split('=')[0].lower()}" for d in defines) + ".elf")
    subprocess.run(["arm-none-eabi-gcc", *(f"-D{d}" for d in defines), "-mcpu=cortex-m7",
                    "-mthumb", "-mfpu=fpv5-d16", "-mfloat-abi=hard", "-O2", "-g", "-nostdlib",
                    "-nostartfiles", "-I", str(FIRMWARE / "common"),
                    "-T", str(linker or TEST_FIRMWARE / "cache_kernel.ld"), str(src),
                    "-o", str(elf)], check=True)
    return elf


def run_log(elf: Path, **config):
    """Run ELF to a clean exit; return (the machine, released, and the bytes the firmware
    logged: from its `log` array up to the address its `logp` word holds)."""
    from simulator.elf import load_firmware
    from simulator.machine import Machine, RunConfig
    from simulator.platform import load_platform
    fw = load_firmware(elf)
    m = Machine(fw, load_platform(), RunConfig(**config))
    try:
        r = m.run()
        assert (r.exit_reason, r.exit_code) == ("exit", 0), r.diagnostic
        start = fw.symbol("log").addr
        end = int.from_bytes(m.uc.mem_read(fw.symbol("logp").addr, 4), "little")
        return m, bytes(m.uc.mem_read(start, end - start))
    finally:
        m.release()


def run_results(elf: Path, words: int, **config):
    """Run ELF to a clean exit; return (machine, result, the first WORDS words of its
    `results` array as ints)."""
    import numpy as np

    from simulator.elf import load_firmware
    from simulator.machine import Machine, RunConfig
    from simulator.platform import load_platform
    fw = load_firmware(elf)
    m = Machine(fw, load_platform(), RunConfig(**config))
    r = m.run()
    assert r.exit_reason == "exit" and r.exit_code == 0, r.diagnostic
    vals = np.frombuffer(bytes(m.uc.mem_read(fw.symbol("results").addr, 4 * words)), dtype="<u4")
    return m, r, [int(v) for v in vals]
