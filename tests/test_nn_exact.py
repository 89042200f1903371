"""The firmware's int8 network (M7 SMLAD kernels, run inside the simulator) matches the NumPy
reference of the contract arithmetic bit for bit (firmware/tests/nn_exact)."""

from __future__ import annotations

import re

import numpy as np
import pytest

import _model_path  # noqa: F401  (firmware/model on sys.path)
from simulator.elf import load_firmware
from simulator.machine import Machine, RunConfig
from simulator.platform import load_platform

FRAMES = 24   # NN_FRAMES of nn_exact.c


def _inputs(n_mels: int) -> np.ndarray:
    lcg = 12345
    out = np.zeros((FRAMES, n_mels), dtype=np.int8)
    for t in range(FRAMES):
        for i in range(n_mels):
            lcg = (lcg * 1664525 + 1013904223) & 0xFFFFFFFF
            out[t, i] = ((lcg >> 24) % 255) - 127
    return out


def test_firmware_logits_equal_the_numpy_reference(firmware_build):
    reference = pytest.importorskip("reference")
    from pathlib import Path

    model_json = Path(_model_path.MODEL_DIR) / "export" / "model.json"
    if not model_json.exists():
        pytest.skip("no exported model")
    model = reference.load(model_json)
    want = reference.run_int8(model, _inputs(model.layers[0].w.shape[2]))[-1]
    m = Machine(load_firmware(firmware_build / "nn_exact.elf"), load_platform(),
                RunConfig(max_cycles=10**9))
    r = m.run()
    assert r.exit_code == 0
    out = r.console["semihosting"].decode()
    got = {int(f): bytes.fromhex(h) for f, h in re.findall(r"^L (\d+) ([0-9a-f]+)$", out, re.M)}
    assert sorted(got) == list(range(FRAMES))
    for t in range(FRAMES):
        assert np.frombuffer(got[t], dtype=np.int8).tolist() == want[t].tolist(), t
