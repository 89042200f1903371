"""One definition of 'is 32-bit', 'is a call' and 'is a return' (simulator/thumb.py), checked
on encodings assembled by GNU as (arm-none-eabi-as -mthumb -mcpu=cortex-m7), scalar and
vectorised alike."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.thumb import is_32bit, is_call, is_return

# (assembly, halfwords as GNU as encodes them, 32-bit, call, return)
CASES = [
    ("bl   .+4",              (0xF000, 0xF800), True,  True,  False),
    ("blx  r3",               (0x4798,),        False, True,  False),
    ("bx   r3",               (0x4718,),        False, False, False),
    ("bx   lr",               (0x4770,),        False, False, True),
    ("pop  {r4, pc}",         (0xBD10,),        False, False, True),
    ("pop  {r4, r5}",         (0xBC30,),        False, False, False),
    ("pop.w {r4-r11, pc}",    (0xE8BD, 0x8FF0), True,  False, True),
    ("ldmia.w r0!, {r1, pc}", (0xE8B0, 0x8002), True,  False, True),
    ("ldr.w pc, [sp], #4",    (0xF85D, 0xFB04), True,  False, True),
    ("ldr.w pc, [pc, #8]",    (0xF8DF, 0xF008), True,  False, False),   # veneer: a jump
    ("b.w  .+8",              (0xF000, 0xB802), True,  False, False),
    ("b    .",                (0xE7FE,),        False, False, False),
    ("adds r0, #1",           (0x3001,),        False, False, False),
]


@pytest.mark.parametrize("asm,hw,wide,call,ret", CASES, ids=[c[0] for c in CASES])
def test_predicates_on_assembled_encodings(asm, hw, wide, call, ret):
    h1, h2 = hw[0], hw[1] if len(hw) > 1 else 0
    assert bool(is_32bit(h1)) is wide and len(hw) == (2 if wide else 1)
    assert is_call(h1, h2) is call
    assert is_return(h1, h2) is ret


def test_vectorised_equals_scalar():
    h1 = np.array([c[1][0] for c in CASES], dtype=np.int64)
    h2 = np.array([c[1][1] if len(c[1]) > 1 else 0 for c in CASES], dtype=np.int64)
    assert list(is_32bit(h1)) == [c[2] for c in CASES]
    assert list(is_call(h1, h2)) == [c[3] for c in CASES]
    assert list(is_return(h1, h2)) == [c[4] for c in CASES]


def test_encodings_are_what_the_assembler_emits(tmp_path):
    """The table above is GNU as's output, not hand-made."""
    import shutil
    import subprocess
    if shutil.which("arm-none-eabi-as") is None:
        pytest.skip("arm-none-eabi binutils not installed")
    src = tmp_path / "t.s"
    src.write_text(".syntax unified\n.thumb\n" + "".join(f"{c[0]}\n" for c in CASES))
    obj = tmp_path / "t.o"
    subprocess.run(["arm-none-eabi-as", "-mcpu=cortex-m7", "-o", str(obj), str(src)],
                   check=True)
    binf = tmp_path / "t.bin"
    subprocess.run(["arm-none-eabi-objcopy", "-O", "binary", "-j", ".text", str(obj),
                    str(binf)], check=True)
    got = list(np.frombuffer(binf.read_bytes(), dtype="<u2"))
    assert got == [h for c in CASES for h in c[1]]
