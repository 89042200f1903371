"""Shared fixtures: the firmware build (once per session) and small assembly firmwares."""

from __future__ import annotations

import shutil
import subprocess
import textwrap
from pathlib import Path

import sys

import pytest

# some test modules import helpers by flat name (e.g. `import _model_path`)
sys.path.insert(0, str(Path(__file__).resolve().parent))

ROOT = Path(__file__).resolve().parent.parent
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


def build_asm(tmp_path: Path, source: str, name: str = "t", linker: str = LINKER) -> Path:
    """Assemble and link a small Thumb program (vector table in `.vectors`) into an ELF."""
    if shutil.which("arm-none-eabi-as") is None:
        pytest.skip("arm-none-eabi binutils not installed")
    asm = tmp_path / f"{name}.s"
    asm.write_text(ASM_PRELUDE + textwrap.dedent(source))
    obj = tmp_path / f"{name}.o"
    ld = tmp_path / f"{name}.ld"
    ld.write_text(linker)
    elf = tmp_path / f"{name}.elf"
    subprocess.run(["arm-none-eabi-as", "-g", "-o", str(obj), str(asm)], check=True)
    subprocess.run(["arm-none-eabi-ld", "-T", str(ld), "-o", str(elf), str(obj)], check=True)
    return elf


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
