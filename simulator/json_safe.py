"""JSON as RFC 8259 defines it: no NaN or Infinity (Python's json writes them by default, and
strict parsers, jq and browsers then refuse the whole document). A value that is not a finite
number is written as null; NumPy scalars and arrays, paths, tuples and sets become their
JSON equivalents first, so nothing can slip past the check."""

from __future__ import annotations

import json
import math
from pathlib import PurePath
from typing import Any


def finite(obj: Any) -> Any:
    """``obj`` with every non-finite float replaced by None, ready for ``allow_nan=False``."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, (str, int, bool)) or obj is None:
        return obj
    if isinstance(obj, dict):
        return {(k if isinstance(k, str) else str(k)): finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [finite(v) for v in obj]
    if isinstance(obj, PurePath):
        return str(obj)
    if hasattr(obj, "tolist"):                # NumPy scalar or array
        return finite(obj.tolist())
    if hasattr(obj, "item"):
        return finite(obj.item())
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def dumps(obj: Any, **kwargs: Any) -> str:
    """``json.dumps`` that can only produce valid JSON."""
    return json.dumps(finite(obj), allow_nan=False, **kwargs)
