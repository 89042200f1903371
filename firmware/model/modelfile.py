"""Checkpoint (runs/ckpt.pt) -> the exported model dictionary (content of export/model.json)."""
from __future__ import annotations

import numpy as np

try:
    from . import features as F
    from . import quantize as Q
except ImportError:  # pragma: no cover
    import features as F  # type: ignore[no-redef]
    import quantize as Q  # type: ignore[no-redef]


def model_dict(ck: dict) -> dict:
    """ck: plain dict with specs, weights [(w,b)], act_scale, feat_mean, feat_inv_std, log_prior,
    prior_weight, hmm_states, hmm_self_logp, hmm_next_logp, frame_offset_s, phones."""
    layers = Q.quantize_model(ck)
    mel = F.mel_table()
    return {
        "format": "tdnn-int8-v1",
        "sample_rate": F.SAMPLE_RATE, "hop": F.HOP, "win": F.WIN, "nfft": F.NFFT,
        "n_mels": F.N_MELS, "n_classes": len(ck["phones"]), "sil_class": 0,
        "phones": list(ck["phones"]),
        "layers": layers,
        "mel_first": mel.first.tolist(), "mel_count": mel.count.tolist(),
        "mel_weights": mel.weights.tolist(),
        "feat_mean": np.asarray(ck["feat_mean"], np.float32).tolist(),
        "feat_inv_std": np.asarray(ck["feat_inv_std"], np.float32).tolist(),
        "in_scale": float(np.float32(ck["act_scale"][0])),
        "out_scale": float(np.float32(ck["act_scale"][-1])),
        "log_prior": np.asarray(ck["log_prior"], np.float32).tolist(),
        "prior_weight": float(np.float32(ck["prior_weight"])),
        "hmm_states": np.asarray(ck["hmm_states"], np.uint8).tolist(),
        "hmm_self_logp": np.asarray(ck["hmm_self_logp"], np.float32).tolist(),
        "hmm_next_logp": np.asarray(ck["hmm_next_logp"], np.float32).tolist(),
        "frame_offset_s": float(np.float32(ck["frame_offset_s"])),
        **F.RunningMean.from_model(ck).to_model(),
    }
