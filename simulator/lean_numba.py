"""Import numba without the two optional probes the simulator never uses.

Importing numba (0.68) costs ~0.3 s more than it needs here: ``numba.core.typing.cffi_utils``
creates a ``cffi.FFI()``, which imports pycparser and builds its C lexer, and the first
compiled function (even one loaded from numba's disk cache) imports ``numba.np.arraymath``,
whose BLAS probe imports ``scipy.linalg`` (~0.5 s: scipy's array-API layer, numpy.f2py).
The simulator's compiled hooks use neither cffi types nor linear algebra, so both probes are
made to fail once, while numba is imported: numba then records "no cffi" and "no BLAS" for
this process. The names are released right after, so a later ``import cffi`` (soundfile) or
``import scipy.linalg`` (scipy.signal resampling a clip) works as usual.

Import this module before ``numba`` in every simulator module that uses numba.
"""

from __future__ import annotations

import sys

_PROBES = ("cffi", "scipy.linalg.cython_blas")


def _import() -> None:
    if "numba.np.arraymath" in sys.modules:
        return
    blocked = [name for name in _PROBES if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None            # type: ignore[assignment]  (import -> ImportError)
    try:
        import numba  # noqa: F401
        import numba.core.typing.cffi_utils  # noqa: F401  (its cffi probe runs now, and fails)
        import numba.np.arraymath  # noqa: F401  (its BLAS probe runs now, and fails)
    finally:
        for name in blocked:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]


_import()
