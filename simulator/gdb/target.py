"""What gdb is told about the target: the register set (target description XML) and the
memory map (from the platform file).

Registers follow the feature names gdb's ARM support looks for (GDB manual, "ARM Features"):
``org.gnu.gdb.arm.m-profile`` (r0-r12, sp, lr, pc, xpsr: gdb then knows the core is
M-profile, always Thumb, and unwinds exception frames through EXC_RETURN),
``org.gnu.gdb.arm.m-system`` (msp, psp), ``org.gnu.gdb.arm.vfp`` (d0-d15 and fpscr: FPv5-D16
has 16 double registers; gdb adds s0-s31 as pseudo registers over them), and the other
special registers of ARMv7-M (primask, basepri, faultmask, control; ARMv7-M ARM B1.4) in a
feature of their own, as OpenOCD and pyOCD describe a Cortex-M.
"""

from __future__ import annotations

from dataclasses import dataclass

from unicorn import arm_const as a


@dataclass(frozen=True)
class Reg:
    name: str
    bits: int
    uc: int               # Unicorn register id
    feature: str
    type: str = "int"
    group: str | None = None


M_PROFILE = "org.gnu.gdb.arm.m-profile"
M_SYSTEM = "org.gnu.gdb.arm.m-system"
SPECIAL = "org.h7sim.arm.m-special"
VFP = "org.gnu.gdb.arm.vfp"

REGISTERS: tuple[Reg, ...] = (
    *(Reg(f"r{i}", 32, a.UC_ARM_REG_R0 + i, M_PROFILE, "uint32") for i in range(13)),
    Reg("sp", 32, a.UC_ARM_REG_SP, M_PROFILE, "data_ptr"),
    Reg("lr", 32, a.UC_ARM_REG_LR, M_PROFILE),
    Reg("pc", 32, a.UC_ARM_REG_PC, M_PROFILE, "code_ptr"),
    Reg("xpsr", 32, a.UC_ARM_REG_XPSR, M_PROFILE),
    Reg("msp", 32, a.UC_ARM_REG_MSP, M_SYSTEM, "data_ptr", "system"),
    Reg("psp", 32, a.UC_ARM_REG_PSP, M_SYSTEM, "data_ptr", "system"),
    Reg("primask", 32, a.UC_ARM_REG_PRIMASK, SPECIAL, "uint32", "system"),
    Reg("basepri", 32, a.UC_ARM_REG_BASEPRI, SPECIAL, "uint32", "system"),
    Reg("faultmask", 32, a.UC_ARM_REG_FAULTMASK, SPECIAL, "uint32", "system"),
    Reg("control", 32, a.UC_ARM_REG_CONTROL, SPECIAL, "uint32", "system"),
    *(Reg(f"d{i}", 64, a.UC_ARM_REG_D0 + i, VFP, "ieee_double", "float") for i in range(16)),
    Reg("fpscr", 32, a.UC_ARM_REG_FPSCR, VFP, "int", "float"),
)
PC_INDEX = 15
XPSR_T = 1 << 24            # EPSR.T: always 1 on a core that executes (ARMv7-M B1.4.2)


def target_xml() -> str:
    lines = ['<?xml version="1.0"?>', '<!DOCTYPE target SYSTEM "gdb-target.dtd">',
             '<target version="1.0">', "<architecture>arm</architecture>"]
    feature = None
    for n, r in enumerate(REGISTERS):
        if r.feature != feature:
            if feature is not None:
                lines.append("</feature>")
            feature = r.feature
            lines.append(f'<feature name="{r.feature}">')
        group = f' group="{r.group}"' if r.group else ""
        lines.append(f'<reg name="{r.name}" bitsize="{r.bits}" regnum="{n}" '
                     f'type="{r.type}"{group}/>')
    lines += ["</feature>", "</target>"]
    return "\n".join(lines) + "\n"


def memory_map_xml(platform) -> str:
    """gdb's memory-map document: flash (with its erase block size) where gdb must use
    hardware breakpoints and cannot write, RAM elsewhere; peripheral windows as RAM so
    ``x`` and ``set`` reach the register models (GDB manual, "Memory Map Format")."""
    lines = ['<?xml version="1.0"?>',
             ('<!DOCTYPE memory-map PUBLIC "+//IDN gnu.org//DTD GDB Memory Map V1.0//EN" '
              '"http://sourceware.org/gdb/gdb-memory-map.dtd">'), "<memory-map>"]
    spans: list[tuple[int, int, str, int | None]] = []
    block = platform.chip.get("flash_sector_bytes")
    for r in platform.regions:
        if r.kind == "flash":
            # gdb needs the erase block size of flash; without one it is described as ROM
            spans.append((r.base, r.size, "flash" if block else "rom", block))
        else:
            spans.append((r.base, r.size, "ram", None))
    for al in platform.aliases:
        spans.append((al.base, al.size, "ram", None))
    for w in platform.peripherals:
        spans.append((w.base, w.end - w.base, "ram", None))
    spans.sort()
    last_end = -1
    for base, size, kind, block in spans:
        if base < last_end:                        # overlapping windows: keep the first
            continue
        last_end = base + size
        if kind == "flash":
            lines.append(f'<memory type="flash" start="{base:#x}" length="{size:#x}">'
                         f'<property name="blocksize">{int(block):#x}</property></memory>')
        elif kind == "rom":
            lines.append(f'<memory type="rom" start="{base:#x}" length="{size:#x}"/>')
        else:
            lines.append(f'<memory type="ram" start="{base:#x}" length="{size:#x}"/>')
    lines.append("</memory-map>")
    return "\n".join(lines) + "\n"


def xfer_slice(document: str, offset: int, length: int) -> str:
    """The reply to ``qXfer:...:read::offset,length``: ``m`` + data when more follows,
    ``l`` + data for the last piece (escaped by the framing)."""
    data = document[offset:offset + length]
    return ("l" if offset + length >= len(document) else "m") + data


