"""PyTorch TDNN (1-D dilated conv stack) with int8 fake quantisation matching CONTRACT.md."""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as Fn


@dataclass(frozen=True)
class LayerSpec:
    k: int
    dil: int
    cin: int
    cout: int
    relu: bool


def default_specs(n_mels: int, n_classes: int, width: int = 128) -> list[LayerSpec]:
    return [LayerSpec(5, 1, n_mels, width, True),
            LayerSpec(3, 2, width, width, True),
            LayerSpec(3, 3, width, width, True),
            LayerSpec(3, 4, width, width, True),
            LayerSpec(1, 1, width, n_classes, False)]


def specs_from_arch(arch: str, n_mels: int, n_classes: int, width: int) -> list[LayerSpec]:
    """'5:1,3:2,3:3' -> relu conv layers (K:dilation) of `width` channels + K=1 output layer."""
    specs: list[LayerSpec] = []
    cin = n_mels
    for part in arch.split(","):
        k, d = (int(v) for v in part.split(":"))
        specs.append(LayerSpec(k, d, cin, width, True))
        cin = width
    return specs + [LayerSpec(1, 1, cin, n_classes, False)]


def round_ste(x: torch.Tensor) -> torch.Tensor:
    return x + (torch.floor(x + 0.5) - x).detach()


def fake_quant(x: torch.Tensor, scale: torch.Tensor | float, lo: int, hi: int) -> torch.Tensor:
    return torch.clamp(round_ste(x / scale), lo, hi) * scale


def weight_scales(w: torch.Tensor) -> torch.Tensor:
    """Per-output-channel symmetric scale (max|w| / 127); w is [cout, cin, k]."""
    return (w.detach().abs().amax(dim=(1, 2)) / 127.0).clamp_min(1e-8)


class TDNN(nn.Module):
    def __init__(self, specs: list[LayerSpec]) -> None:
        super().__init__()
        self.specs = specs
        self.convs = nn.ModuleList(nn.Conv1d(s.cin, s.cout, s.k, dilation=s.dil,
                                             padding=(s.k - 1) // 2 * s.dil) for s in specs)
        # per-tensor activation scales: input + every layer output (set by calibrate())
        self.register_buffer("act_scale", torch.ones(len(specs) + 1))
        self.quant = False

    def receptive_half(self) -> int:
        return sum((s.k - 1) // 2 * s.dil for s in self.specs)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None,
                collect: list | None = None) -> torch.Tensor:
        """x: [B, 40, T] normalised features; mask [B, 1, T] (1 = real frame).  Returns logits
        [B, C, T].  Frames outside the mask are zeroed at every layer input (contract padding)."""
        if self.quant:
            x = fake_quant(x, self.act_scale[0], -127, 127)
        for i, (s, conv) in enumerate(zip(self.specs, self.convs)):
            if mask is not None:
                x = x * mask
            if self.quant:
                w = conv.weight
                sw = weight_scales(w)
                wq = torch.clamp(round_ste(w / sw[:, None, None]), -127, 127) * sw[:, None, None]
                bscale = sw * self.act_scale[i]
                bq = round_ste(conv.bias / bscale) * bscale
                x = Fn.conv1d(x, wq, bq, dilation=s.dil, padding=(s.k - 1) // 2 * s.dil)
            else:
                x = conv(x)
            if s.relu:
                x = torch.relu(x)
            if collect is not None:
                collect.append(x.detach())
            if self.quant:
                x = fake_quant(x, self.act_scale[i + 1], 0 if s.relu else -128, 127)
        return x

    def n_params(self) -> int:
        return sum(p.numel() for p in self.parameters())
