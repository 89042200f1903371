"""Has the CPU read this buffer since it was refilled? A native memory-read hook over one
address range (a DMA circular buffer) that sets one flag per segment (a half) on the first
load from it. No Python runs per access; the DMA model clears a flag when it completes the
segment and looks at it when it is about to overwrite the segment (peripherals/dma.py,
lost audio for --strict).

Cost: while a watch is installed Unicorn takes its slow path for loads (the hook is checked
per access), about 10-15 % on compute-bound code; a watch exists only while a circular
peripheral-to-memory DMA stream is enabled."""

from __future__ import annotations

import ctypes
from collections.abc import Callable

import numpy as np
from . import lean_numba  # noqa: F401,I001  (before numba: see lean_numba.py)
from numba import carray, cfunc, types
from unicorn import UC_HOOK_MEM_READ
from unicorn.unicorn_py3 import unicorn as _ucmod

from .native import add_native_hook, uc_handle

LO, HI, SEG, NSEG, FLAGS = 0, 1, 2, 3, 4
MAX_SEGMENTS = 8


@cfunc(types.void(types.voidptr, types.int32, types.uint64, types.int32, types.int64,
                  types.voidptr), nopython=True, cache=True)
def _read_hook(uc, typ, address, size, value, user_data):
    st = carray(user_data, FLAGS + MAX_SEGMENTS, dtype=np.int64)
    a = np.int64(address)
    if a < st[LO] or a >= st[HI]:
        return
    st[FLAGS + (a - st[LO]) // st[SEG]] = 1


class ReadWatch:
    """Read flags for ``segments`` equal parts of [lo, hi).

    A watch is usually created and closed by a DMA register write, i.e. inside a Unicorn MMIO
    callback in the middle of a translated block; adding or deleting a hook and flushing the
    translation cache there corrupts Unicorn 2.1.3 (a segfault on long runs). So the hook
    changes go through ``defer``: the machine applies them between blocks, before its next
    ``emu_start`` (Machine.defer_hook_change), and stops the CPU at the next block start so
    that happens at once. Loads in between are not seen: the buffer is being refilled then."""

    def __init__(self, uc, lo: int, hi: int, segments: int,
                 defer: Callable[[Callable[[], None]], None]) -> None:
        if not 1 <= segments <= MAX_SEGMENTS or hi <= lo:
            raise ValueError("bad read watch")
        self.uc = uc
        self._defer = defer
        self.state = np.zeros(FLAGS + MAX_SEGMENTS, dtype=np.int64)
        seg = max(1, (hi - lo) // segments)
        self.state[[LO, HI, SEG, NSEG]] = lo, lo + seg * segments, seg, segments
        self._hook: int | None = None
        self._closed = False
        defer(self._install)

    def _install(self) -> None:
        if self._closed or self._hook is not None:
            return
        lo, hi = int(self.state[LO]), int(self.state[HI])
        self._hook = add_native_hook(self.uc, UC_HOOK_MEM_READ, _read_hook.address,
                                     self.state.ctypes.data, lo, hi - 1)
        self.uc.ctl_flush_tb()          # translated loads take the hook path from now on

    def _remove(self) -> None:
        if self._hook is not None:
            _ucmod.uclib.uc_hook_del(ctypes.c_void_p(uc_handle(self.uc)),
                                     ctypes.c_size_t(self._hook))
            self._hook = None
            self.uc.ctl_flush_tb()

    def was_read(self, segment: int) -> bool:
        return bool(self.state[FLAGS + segment])

    def clear(self, segment: int) -> None:
        self.state[FLAGS + segment] = 0

    def close(self) -> None:
        """Stop watching (the state array must stay alive until Unicorn unlinks the hook:
        the caller keeps the object)."""
        if not self._closed:
            self._closed = True
            self._defer(self._remove)
