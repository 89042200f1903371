"""Train the TDNN phone classifier (float, then int8 quantisation-aware), fit priors and HMM
parameters, tune prior_weight and frame_offset_s with the int8 reference on a dev subset.

Writes runs/<name>/ckpt.pt (everything export.py needs) and train_log.json.
"""
from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as Fn

try:
    from . import align_np, dataset, g2p, hmm, metrics, modelfile, phones, reference
    from .model import TDNN, specs_from_arch
except ImportError:  # pragma: no cover
    import align_np, dataset, g2p, hmm, metrics, modelfile, phones, reference  # type: ignore
    from model import TDNN, specs_from_arch  # type: ignore[no-redef]

HERE = Path(__file__).parent


def make_batches(utts: list[dataset.Utt], max_frames: int, rng: random.Random) -> list[list[int]]:
    order = sorted(range(len(utts)), key=lambda i: len(utts[i].labels))
    batches, cur, cur_max = [], [], 0
    for i in order:
        n = len(utts[i].labels)
        if cur and max(cur_max, n) * (len(cur) + 1) > max_frames:
            batches.append(cur)
            cur, cur_max = [], 0
        cur.append(i)
        cur_max = max(cur_max, n)
    if cur:
        batches.append(cur)
    rng.shuffle(batches)
    return batches


def collate(utts: list[dataset.Utt], idx: list[int], mean: np.ndarray, inv_std: np.ndarray,
            mask: tuple[int, int, np.random.Generator] | None = None) -> tuple[torch.Tensor, ...]:
    """Features, targets, frame mask, second targets and their shares (dataset.batch_arrays);
    mask = (max width, masks, rng): frequency masks on the features (dataset.freq_masks)."""
    arrays = dataset.batch_arrays(utts, idx, mean, inv_std)
    if mask is not None and mask[0] > 0:
        dataset.freq_masks(arrays[0], *mask)
    return tuple(torch.from_numpy(a) for a in arrays)


def frame_loss(logits: torch.Tensor, y: torch.Tensor, y2: torch.Tensor, w2: torch.Tensor,
               smoothing: float) -> torch.Tensor:
    """Mean cross-entropy over the frames in the loss; a frame with a second target y2 of share
    w2 (soft edge targets) is scored against the mix (1 - w2) * y + w2 * y2."""
    own = Fn.cross_entropy(logits, y, ignore_index=dataset.IGNORE, label_smoothing=smoothing,
                           reduction="none")
    if float(w2.max()) > 0:
        other = Fn.cross_entropy(logits, y2, ignore_index=dataset.IGNORE,
                                 label_smoothing=smoothing, reduction="none")
        own = (1 - w2) * own + w2 * other
    return own.sum() / (y != dataset.IGNORE).sum().clamp(min=1)


def run_epochs(net: TDNN, utts: list[dataset.Utt], mean: np.ndarray, inv_std: np.ndarray,
               epochs: int, lr: float, max_frames: int, smoothing: float, seed: int,
               log: list, tag: str, freq_mask: tuple[int, int] = (0, 0)) -> None:
    rng = random.Random(seed)
    mask = (freq_mask[0], freq_mask[1], np.random.default_rng(seed + 7))
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=1e-4)
    steps = epochs * len(make_batches(utts, max_frames, random.Random(0)))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.1)
    for ep in range(epochs):
        t0 = time.time()
        net.train()
        tot, n, correct = 0.0, 0, 0
        for b in make_batches(utts, max_frames, rng):
            x, y, m, y2, w2 = collate(utts, b, mean, inv_std, mask)
            logits = net(x, m)
            loss = frame_loss(logits, y, y2, w2, smoothing)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 5.0)
            opt.step()
            sched.step()
            valid = y != dataset.IGNORE
            k = int(valid.sum())
            tot += float(loss.detach()) * k
            n += k
            correct += int((logits.argmax(1) == y)[valid].sum())
        rec = {"stage": tag, "epoch": ep, "loss": tot / n, "frame_acc": correct / n,
               "seconds": time.time() - t0}
        log.append(rec)
        print(json.dumps(rec), flush=True)


@torch.no_grad()
def frame_accuracy(net: TDNN, utts: list[dataset.Utt], mean: np.ndarray, inv_std: np.ndarray) -> float:
    net.eval()
    c = n = 0
    for b in make_batches(utts, 20000, random.Random(0)):
        x, y, m = collate(utts, b, mean, inv_std)[:3]
        pred = net(x, m).argmax(1)
        valid = y != dataset.IGNORE
        c += int((pred == y)[valid].sum())
        n += int(valid.sum())
    return c / max(n, 1)


@torch.no_grad()
def calibrate(net: TDNN, utts: list[dataset.Utt], mean: np.ndarray, inv_std: np.ndarray,
              pct: float = 99.99) -> None:
    """Per-tensor activation scales from percentiles of |activation| over calibration data."""
    net.eval()
    net.quant = False
    acts: list[list[np.ndarray]] = [[] for _ in range(len(net.specs) + 1)]
    for b in make_batches(utts, 20000, random.Random(1))[:20]:
        x, _, m = collate(utts, b, mean, inv_std)[:3]
        coll: list[torch.Tensor] = []
        net(x, m, collect=coll)
        valid = m[:, 0, :].bool()
        acts[0].append(x.permute(0, 2, 1)[valid].abs().numpy().ravel())
        for i, a in enumerate(coll):
            acts[i + 1].append(a.permute(0, 2, 1)[valid].abs().numpy().ravel())
    scales = []
    for i, a in enumerate(acts):
        v = np.concatenate(a)
        p = pct if 0 < i < len(acts) - 1 else 99.999
        scales.append(max(float(np.percentile(v, p)), 1e-3) / 127.0)
    net.act_scale.copy_(torch.tensor(scales, dtype=torch.float32))
    print("act scales", [round(s, 5) for s in scales], flush=True)


def init_from_export(net: TDNN, path: Path) -> None:
    """Float weights from an exported int8 model: w * w_scale[c], bias * in_scale * w_scale[c].

    A deeper network than the export (same width) starts as the same function: the export's
    hidden layers fill the first hidden layers, every extra hidden layer (before the output layer)
    is an identity (centre tap = I, bias 0; its input is a ReLU output, so relu(x) = x), and the
    export's output layer becomes the output layer."""
    d = json.loads(path.read_text())
    src = d["layers"]
    n_extra = len(net.convs) - len(src)
    if n_extra < 0:
        raise SystemExit(f"error: {path} has {len(src)} layers, the network only "
                         f"{len(net.convs)}")
    pairs = list(zip(net.convs[:len(src) - 1], src[:-1])) + [(net.convs[-1], src[-1])]
    with torch.no_grad():
        for conv, L in pairs:
            if tuple(conv.weight.shape) != (L["cout"], L["cin"], L["k"]):
                raise SystemExit(f"error: layer shape {tuple(conv.weight.shape)} != export's "
                                 f"{(L['cout'], L['cin'], L['k'])}")
            w = reference.decode_array(L["w"], "int8").reshape(L["cout"], L["k"], L["cin"])
            ws = np.asarray(L["w_scale"], np.float64)
            b = reference.decode_array(L["bias"], "int32").astype(np.float64)
            conv.weight.copy_(torch.tensor(w.transpose(0, 2, 1) * ws[:, None, None]))
            conv.bias.copy_(torch.tensor(b * float(L["in_scale"]) * ws))
        for conv, spec in zip(net.convs[len(src) - 1:-1], net.specs[len(src) - 1:-1]):
            if spec.cin != spec.cout:
                raise SystemExit("error: an extra layer must keep the width (cin == cout)")
            conv.weight.zero_()
            conv.weight[:, :, (spec.k - 1) // 2] = torch.eye(spec.cout)
            conv.bias.zero_()
    extra = f" (+{n_extra} identity layers before the output)" if n_extra else ""
    print(f"initialised from {path}{extra}", flush=True)


def checkpoint(net: TDNN, mean: np.ndarray, inv_std: np.ndarray, extra: dict) -> dict:
    ck = {"specs": [s.__dict__ for s in net.specs],
          "weights": [(c.weight.detach().numpy().astype(np.float64), c.bias.detach().numpy().astype(np.float64))
                      for c in net.convs],
          "act_scale": net.act_scale.numpy().astype(np.float64).tolist(),
          "feat_mean": mean, "feat_inv_std": inv_std, "phones": phones.classes()}
    ck.update(extra)
    return ck


def evaluate_alignment(model: reference.Model, utts: list[dataset.Utt], prior_weights: list[float],
                       offset: float | None = None) -> tuple[float, float, dict]:
    """Align utts (with audio) for each prior weight; returns best (weight, offset, summary)."""
    lps, wps, refs = [], [], []
    for u in utts:
        lps.append(reference.log_posteriors(model, u.audio))
        wps.append([w.phones for w in g2p.transcript_phones(u.meta["text"], u.meta["lang"])])
        refs.append(u.word)
    best = None
    for pw in prior_weights:
        hp = align_np.HmmParams(model.hmm_states, model.hmm_self_logp, model.hmm_next_logp,
                                model.log_prior, pw, 0.0)
        hyps = [align_np.align(lp, wp, hp) for lp, wp in zip(lps, wps)]
        diffs = []
        for ref, hyp in zip(refs, hyps):
            for (rs, re_), h in zip(ref, hyp):
                if rs >= 0 and h.start is not None:
                    diffs += [rs - h.start, re_ - h.end]
        off = float(np.median(diffs)) if offset is None else offset
        st = metrics.BoundaryStats()
        for ref, hyp in zip(refs, hyps):
            st.add(ref, [(None, None) if h.start is None else (h.start + off, h.end + off) for h in hyp])
        s = st.summary()
        print(f"prior_weight {pw:.2f} offset {off * 1000:.1f} ms: MAE {s['mae_ms']:.1f} ms, "
              f"<=50ms {100 * s['within_50ms']:.1f}%", flush=True)
        if best is None or s["mae_ms"] < best[2]["mae_ms"]:
            best = (pw, off, s)
    assert best is not None
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description="Train the int8 TDNN phone model and HMM parameters.")
    ap.add_argument("--data", default=str(HERE / "data"))
    ap.add_argument("--out", default=str(HERE / "runs" / "main"))
    ap.add_argument("--width", type=int, default=128)
    ap.add_argument("--arch", default="5:1,3:2,3:3,3:4",
                    help="hidden layers as K:dilation,... (a K=1 output layer is appended)")
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--qat-epochs", type=int, default=4)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--max-frames", type=int, default=12000)
    ap.add_argument("--smoothing", type=float, default=0.05)
    ap.add_argument("--dev-utts", type=int, default=80)
    ap.add_argument("--limit", type=int, default=None, help="use only the first N utterances")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cmn-frames", type=float, default=0.0,
                    help="running mean normalisation window in frames (0: static mean; "
                    "CONTRACT.md); the training mean counts as --cmn-prior frames at the start")
    ap.add_argument("--cmn-prior", type=float, default=50.0)
    dataset.F.add_running_mean_flags(ap)
    ap.add_argument("--init", default=None,
                    help="start from an exported model.json (dequantised int8 weights) instead of "
                    "random weights: fine-tuning, e.g. on real speech")
    ap.add_argument("--init-norm", action="store_true",
                    help="with --init: keep that model's feature mean / inverse std (the inputs "
                    "its weights were trained on) instead of recomputing them on this data")
    ap.add_argument("--real", nargs="*", default=[],
                    help="extra shard directories (realspeech.py shards) added to the training set")
    ap.add_argument("--real-edge-ignore", type=int, default=0, metavar="N",
                    help="leave the N frames on each side of every phone boundary of the "
                    "teacher-labelled real speech (shards whose voice is 'real') out of the loss "
                    "(teacher boundaries are +-20-30 ms noisy); eSpeak NG frames keep every target")
    ap.add_argument("--real-edge-soft", type=float, default=0.0, metavar="A",
                    help="soft targets at the teacher-labelled real speech's phone boundaries: "
                    "the frame on each side of a boundary is trained towards (1 - A) of its own "
                    "phone and A of the phone across the boundary (instead of leaving it out, "
                    "--real-edge-ignore)")
    ap.add_argument("--freq-mask", type=int, default=0, metavar="W",
                    help="frequency masking (SpecAugment): per training utterance and step, "
                         "--freq-masks bands of 0..W mel channels set to the mean (0: off)")
    ap.add_argument("--freq-masks", type=int, default=2, metavar="N",
                    help="bands masked per utterance with --freq-mask (default 2)")
    ap.add_argument("--narrowband", type=float, default=0.0, metavar="P",
                    help="add a narrowband copy (augment.narrowband: through 8 kHz and back, "
                    "nothing above 4 kHz, like telephone audio or an 8 kHz voice) of a share P "
                    "of the training utterances, drawn with --seed")
    ap.add_argument("--vocoded", type=float, default=0.0, metavar="P",
                    help="add an LPC-vocoded copy (augment.vocode: the sound of a parametric "
                    "synthesiser, timing kept) of a share P of the training utterances")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t_all = time.time()
    utts = dataset.load_utts(Path(args.data), "train", keep_audio=True, limit=args.limit)
    for d in args.real:
        utts += dataset.load_utts(Path(d).parent, Path(d).name, keep_audio=True)
    init_stats = None
    if args.init and args.init_norm:
        d0 = json.loads(Path(args.init).read_text())
        init_stats = (np.asarray(d0["feat_mean"], np.float32),
                      np.asarray(d0["feat_inv_std"], np.float32))
    bands = (args.cmn_level_bands[0], args.cmn_level_bands[1])
    cmn = (dataset.F.RunningMean(args.cmn_prior, args.cmn_frames, args.cmn_gate,
                                 args.cmn_rise if args.cmn_gate > 0 else 0.0,
                                 args.cmn_level_frames, args.cmn_level_floor, bands,
                                 args.cmn_level_recheck, args.cmn_level_lift)
           if args.cmn_frames > 0 else dataset.F.RunningMean(0.0, 0.0, level_bands=bands))
    dev, train, mean, inv_std = dataset.prepare(utts, args.dev_utts, args.narrowband, args.seed,
                                                args.real_edge_ignore,
                                                cmn if cmn.frames > 0 else None, init_stats,
                                                args.vocoded, args.real_edge_soft)
    if args.narrowband > 0:
        print(f"narrowband: {sum(u.meta.get('narrowband', 0) > 0 for u in train)} copies",
              flush=True)
    if args.vocoded > 0:
        print(f"vocoded: {sum(u.meta.get('vocoded', 0) > 0 for u in train)} copies", flush=True)
    n_frames = sum(len(u.labels) for u in train)
    if args.real_edge_ignore > 0:
        n_ign = sum(int(u.ignore.sum()) for u in train if u.ignore is not None)
        print(f"real-edge-ignore {args.real_edge_ignore}: {n_ign} of {n_frames} frames out of "
              "the loss", flush=True)
    print(f"train {len(train)} utts {n_frames} frames ({n_frames / 360000:.2f} h), dev {len(dev)}",
          flush=True)
    C = phones.n_classes()
    net = TDNN(specs_from_arch(args.arch, dataset.F.N_MELS, C, args.width))
    print(f"parameters: {net.n_params()}, receptive field +-{net.receptive_half()} frames", flush=True)
    if args.init:
        init_from_export(net, Path(args.init))
    log: list = []
    masks = (args.freq_mask, args.freq_masks)
    run_epochs(net, train, mean, inv_std, args.epochs, args.lr, args.max_frames, args.smoothing,
               args.seed, log, "float", masks)
    acc_float = frame_accuracy(net, dev, mean, inv_std)
    calibrate(net, train, mean, inv_std)
    net.quant = True
    acc_ptq = frame_accuracy(net, dev, mean, inv_std)
    print(f"dev frame acc float {acc_float:.4f}, fake-quant before QAT {acc_ptq:.4f}", flush=True)
    if args.qat_epochs:
        run_epochs(net, train, mean, inv_std, args.qat_epochs, args.lr / 10, args.max_frames,
                   args.smoothing, args.seed + 1, log, "qat", masks)
    acc_qat = frame_accuracy(net, dev, mean, inv_std)
    print(f"dev frame acc after QAT {acc_qat:.4f}", flush=True)

    counts = np.bincount(np.concatenate([u.labels for u in train]), minlength=C).astype(np.float64)
    log_prior = np.log((counts + 1.0) / (counts.sum() + C)).astype(np.float32)
    n_states, self_lp, next_lp = hmm.fit([u.labels for u in train], [u.seg for u in train], C)
    extra = {"log_prior": log_prior, "hmm_states": n_states, "hmm_self_logp": self_lp,
             "hmm_next_logp": next_lp, "prior_weight": 0.0, "frame_offset_s": 0.0,
             **cmn.to_model()}
    ck = checkpoint(net, mean, inv_std, extra)
    model = reference.model_from_dict(modelfile.model_dict(ck))
    pw, off, summ = evaluate_alignment(model, dev, [0.0, 0.3, 0.5, 0.7, 1.0])
    ck["prior_weight"], ck["frame_offset_s"] = pw, off
    ck["info"] = {"train_utts": len(train), "train_frames": n_frames, "params": net.n_params(),
                  "dev_frame_acc_float": acc_float, "dev_frame_acc_ptq": acc_ptq,
                  "dev_frame_acc_qat": acc_qat, "dev_alignment": summ,
                  "seconds": time.time() - t_all, "args": vars(args)}
    torch.save(ck, out / "ckpt.pt")
    (out / "train_log.json").write_text(json.dumps({"epochs": log, "info": ck["info"]}, indent=1))
    print(f"chose prior_weight {pw} frame_offset {off * 1000:.1f} ms; dev {json.dumps(summ)}")
    print(f"total {time.time() - t_all:.0f} s -> {out / 'ckpt.pt'}")


if __name__ == "__main__":
    main()
