"""A fixed list of Unicorn registers read or written in one native call.

Unicorn's Python ``reg_read``/``reg_write`` cost a few microseconds each (argument classes,
ctypes objects); exception entry and return move ~10-40 registers. ``uc_reg_read_batch`` and
``uc_reg_write_batch`` (unicorn 2.1) call the same per-register code in one C call, in list
order, and end the translation loop when PC was written, exactly as a single ``uc_reg_write``
of PC does. The value buffers are 64-bit; the 32-bit registers of ARMv7-M fill the low half.
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence

import numpy as np
from unicorn import UcError
from unicorn.unicorn_py3 import unicorn as _ucmod


class RegBatch:
    """Registers ``ids`` of ``uc``, read and written together."""

    def __init__(self, uc, ids: Sequence[int]) -> None:
        self._uch = uc._uch
        self.ids = np.array(ids, dtype=np.int32)
        self.n = len(self.ids)
        self._vals = np.zeros(self.n, dtype=np.uint64)
        ptrs = np.array([self._vals.ctypes.data + 8 * i for i in range(self.n)], dtype=np.uint64)
        self._ptrs = ptrs
        self._ids_p = self.ids.ctypes.data_as(ctypes.POINTER(ctypes.c_int32))
        self._ptrs_p = ptrs.ctypes.data_as(ctypes.POINTER(ctypes.c_void_p))
        # the calls' arguments bound once (exception entry and return run ~2,000 times a run)
        self._read_args = (self._uch, self._ids_p, self._ptrs_p, self.n)
        self._read_fn = _ucmod.uclib.uc_reg_read_batch
        self._write_fn = _ucmod.uclib.uc_reg_write_batch

    def read(self) -> list[int]:
        """The registers' values, in ``ids`` order."""
        self._vals[:] = 0
        err = self._read_fn(*self._read_args)
        if err:
            raise UcError(err)
        return self._vals.tolist()

    def write(self, values: Sequence[int]) -> None:
        """Write ``values`` (one per register, in ``ids`` order, as unsigned 32-bit or 64-bit)."""
        self._vals[:] = [v & 0xFFFF_FFFF_FFFF_FFFF for v in values]
        err = self._write_fn(*self._read_args)
        if err:
            raise UcError(err)


class RegReader:
    """``uc_reg_read`` of one 32-bit core register (R0-R12, SP, LR, PC, MSP, PSP, xPSR, the
    mask registers, CONTROL) in one ctypes call into a preallocated buffer: ~0.8 us instead of
    the ~3 us of ``Uc.reg_read`` (register class lookup and a new ctypes object per call). The
    run loop reads PC, MSP and PSP at every stop. Not for the 64/128-bit FP registers."""

    def __init__(self, uc) -> None:
        self._uch = uc._uch
        self._buf = ctypes.c_uint32(0)
        self._ref = ctypes.byref(self._buf)
        self._fn = _ucmod.uclib.uc_reg_read

    def __call__(self, regid: int) -> int:
        err = self._fn(self._uch, regid, self._ref)
        if err:
            raise UcError(err)
        return self._buf.value


class RegBatches:
    """Batches by register list, made once per Unicorn instance and list."""

    def __init__(self, uc) -> None:
        self._uc = uc
        self._cache: dict[tuple[int, ...], RegBatch] = {}

    def __call__(self, ids: Sequence[int]) -> RegBatch:
        key = ids if type(ids) is tuple else tuple(ids)
        b = self._cache.get(key)
        if b is None:
            b = self._cache[key] = RegBatch(self._uc, key)
        return b
