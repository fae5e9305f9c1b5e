#!/usr/bin/env python3
"""airbench93's recipe in PyTorch, on the CIFAR-10 batches this project's `npm run get-data` writes.

A peer for `npm run train`, not teaching code (autodiff does the backward pass here). It answers one question that
our own runs cannot: what does the published recipe reach on the data this machine has? The offline archive is
CIFAR-10 re-encoded as JPEG (quality 75, chroma subsampled 4:2:0), so its ceiling need not be the 93% reported on
the official release. Everything follows docs/best-model.md: the net (2x2 whitening conv, three conv-pool-bn-GELU
groups, max-pool head scaled by 1/9), batchnorm with a frozen scale, Dirac initialisation, Nesterov SGD with the
rates stated per 1024 examples for a summed loss, the triangular schedule, lookahead from epoch 3, alternating
flips, 2-pixel reflect translations and test-time augmentation over flips and 1-pixel shifts.

    python3 bench/airbench_torch.py --epochs 11 --out runs/airbench-torch

Prints one line per epoch and writes metrics.jsonl (one JSON object per epoch, then the final evaluation) in --out;
a metrics.jsonl already there is refused, not overwritten.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MEAN = (0.4914, 0.4822, 0.4465)
STD = (0.2470, 0.2435, 0.2616)
RECORD = 3073


def read_batches(folder, names):
    """Images [N, 3, 32, 32] in [0, 1] and labels [N] from the official binary layout."""
    parts = []
    for name in names:
        path = os.path.join(folder, name)
        if not os.path.isfile(path) or os.path.getsize(path) > 40_000_000:
            sys.exit(f"airbench_torch: {path} is not a CIFAR-10 batch file (npm run get-data writes them)")
        raw = np.fromfile(path, dtype=np.uint8)
        if raw.size % RECORD != 0:
            sys.exit(f"airbench_torch: {name} is not a whole number of {RECORD}-byte records")
        parts.append(raw.reshape(-1, RECORD))
    records = np.concatenate(parts)
    labels = torch.from_numpy(records[:, 0].astype(np.int64))
    images = torch.from_numpy(records[:, 1:].reshape(-1, 3, 32, 32).astype(np.float32) / 255)
    return images, labels


def normalise(x):
    return (x - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)


class FrozenScaleBatchNorm(nn.BatchNorm2d):
    """Batchnorm whose scale stays 1; running = momentum * running + (1 - momentum) * batch."""

    def __init__(self, channels, momentum):
        super().__init__(channels, eps=1e-12, momentum=1 - momentum)
        self.weight.requires_grad = False


def dirac_conv(c_in, c_out):
    conv = nn.Conv2d(c_in, c_out, 3, padding=1, bias=False)
    with torch.no_grad():
        nn.init.dirac_(conv.weight[: min(c_in, c_out)])
    return conv


class Group(nn.Module):
    def __init__(self, c_in, c_out, bn_momentum):
        super().__init__()
        self.conv1 = dirac_conv(c_in, c_out)
        self.norm1 = FrozenScaleBatchNorm(c_out, bn_momentum)
        self.conv2 = dirac_conv(c_out, c_out)
        self.norm2 = FrozenScaleBatchNorm(c_out, bn_momentum)

    def forward(self, x):
        x = F.gelu(self.norm1(F.max_pool2d(self.conv1(x), 2)))
        return F.gelu(self.norm2(self.conv2(x)))


class Airbench(nn.Module):
    def __init__(self, widths, bn_momentum=0.6, scale=1 / 9):
        super().__init__()
        self.whiten = nn.Conv2d(3, 24, 2, bias=True)
        self.whiten.weight.requires_grad = False
        self.groups = nn.Sequential(Group(24, widths[0], bn_momentum), Group(widths[0], widths[1], bn_momentum), Group(widths[1], widths[2], bn_momentum))
        self.head = nn.Linear(widths[2], 10, bias=False)
        self.scale = scale

    def forward(self, x):
        x = self.groups(F.gelu(self.whiten(x)))
        return self.head(F.max_pool2d(x, x.shape[-1]).flatten(1)) * self.scale

    def init_whitening(self, images, eps=5e-4):
        """Filters from the eigenvectors of the 2x2 patches' (uncentred) covariance, scaled to unit variance, +/-."""
        patches = images.unfold(2, 2, 1).unfold(3, 2, 1)  # [N, 3, 31, 31, 2, 2]
        flat = patches.permute(0, 2, 3, 1, 4, 5).reshape(-1, 12).double()
        values, vectors = torch.linalg.eigh(flat.T @ flat / flat.shape[0])
        filters = (vectors.T / torch.sqrt(values + eps)[:, None]).flip(0).reshape(12, 3, 2, 2).float()
        with torch.no_grad():
            self.whiten.weight.copy_(torch.cat([filters, -filters]))


def translate(padded, r):
    """One random shift in [-r, r]^2 per image from images reflect-padded by r."""
    n, size = padded.shape[0], padded.shape[-1] - 2 * r
    shifts = torch.randint(0, 2 * r + 1, (n, 2))
    out = torch.empty(n, 3, size, size)
    for dy in range(2 * r + 1):
        for dx in range(2 * r + 1):
            mask = (shifts[:, 0] == dy) & (shifts[:, 1] == dx)
            out[mask] = padded[mask, :, dy : dy + size, dx : dx + size]
    return out


def evaluate(model, images, labels, views):
    """Accuracy with 1 view, 2 (flips) or 6 (flips, and flips of the two 1-pixel diagonal shifts)."""
    model.eval()
    correct = 0
    with torch.no_grad():
        for x, y in zip(images.split(1000), labels.split(1000)):
            mirror = lambda v: 0.5 * (model(v) + model(v.flip(-1)))
            if views == 1:
                logits = model(x)
            elif views == 2:
                logits = mirror(x)
            else:
                p = F.pad(x, (1, 1, 1, 1), mode="reflect")
                logits = 0.5 * mirror(x) + 0.25 * (mirror(p[:, :, :32, :32]) + mirror(p[:, :, 2:, 2:]))
            correct += (logits.argmax(1) == y).sum().item()
    model.train()
    return correct / len(labels)


def main():
    ap = argparse.ArgumentParser(description="airbench93's recipe in PyTorch on this project's CIFAR-10 batches")
    ap.add_argument("--data", default="data/cifar-10-batches-bin")
    ap.add_argument("--epochs", type=float, default=11.0)
    ap.add_argument("--batch-size", type=int, default=1024)
    ap.add_argument("--widths", default="64,128,128")
    ap.add_argument("--train-images", type=int, default=50000, help="the first N training images (ours train on 49,000)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    widths = [int(w) if w.strip().isdigit() else 0 for w in a.widths.split(",")]
    if len(widths) != 3 or min(widths) < 1 or max(widths) > 1024:
        sys.exit(f"airbench_torch: --widths must be three positive integers, got {a.widths}")
    if not 1 <= a.batch_size <= 4096 or not 0 < a.epochs <= 100 or not 5000 <= a.train_images <= 50000 or a.batch_size > a.train_images:
        sys.exit("airbench_torch: --batch-size in 1..4096 and at most --train-images, --epochs in (0, 100], --train-images in 5000..50000")
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)

    train_x, train_y = read_batches(a.data, [f"data_batch_{i}.bin" for i in range(1, 6)])
    test_x, test_y = read_batches(a.data, ["test_batch.bin"])
    train_x, train_y = normalise(train_x[: a.train_images]), train_y[: a.train_images]
    test_x = normalise(test_x)
    os.makedirs(a.out, exist_ok=True)
    metrics = os.path.join(a.out, "metrics.jsonl")
    try:
        # "x": a file (or anything else) already at that path is refused, never overwritten.
        log = open(metrics, "x")
    except FileExistsError:
        sys.exit(f"airbench_torch: {metrics} already exists; choose another --out (nothing was written)")

    model = Airbench(widths)
    model.init_whitening(train_x[:5000])
    # NHWC in memory: oneDNN's convolutions on this CPU take 5.3 s a step of 1024 so, 8.5 s in NCHW.
    model = model.to(memory_format=torch.channels_last)
    train_x, test_x = train_x.contiguous(memory_format=torch.channels_last), test_x.contiguous(memory_format=torch.channels_last)

    # Rates per 1024 examples for a summed loss: the step of a constant gradient through Nesterov momentum is
    # (1 + 1 / (1 - momentum)) times the gradient, and the rates are divided by that.
    momentum, bias_scale = 0.85, 64.0
    kilostep = 1024 * (1 + 1 / (1 - momentum))
    lr, wd = 11.5 / kilostep, 0.0153 * a.batch_size / kilostep
    norm_biases = [p for n, p in model.named_parameters() if "norm" in n and p.requires_grad]
    others = [p for n, p in model.named_parameters() if "norm" not in n and p.requires_grad]
    opt = torch.optim.SGD(
        [dict(params=norm_biases, lr=lr * bias_scale, weight_decay=wd / (lr * bias_scale)), dict(params=others, lr=lr, weight_decay=wd / lr)],
        momentum=momentum,
        nesterov=True,
    )
    steps_per_epoch = len(train_x) // a.batch_size
    total = math.ceil(steps_per_epoch * a.epochs)
    peak = int(0.23 * total)
    schedule = np.interp(np.arange(total + 1), [0, peak, total], [0.2, 1.0, 0.07])
    base_lrs = [g["lr"] for g in opt.param_groups]

    flipped = torch.where(torch.rand(len(train_x)).view(-1, 1, 1, 1) < 0.5, train_x.flip(-1), train_x)
    padded = F.pad(flipped, (2, 2, 2, 2), mode="reflect")
    ema, step, started = None, 0, time.time()
    for epoch in range(math.ceil(a.epochs)):
        model.whiten.bias.requires_grad = epoch < 3
        images = translate(padded, 2)
        if epoch % 2 == 1:
            images = images.flip(-1)
        order = torch.randperm(len(images))
        t0 = time.time()
        for i in range(steps_per_epoch):
            if step >= total:
                break
            idx = order[i * a.batch_size : (i + 1) * a.batch_size]
            for g, base in zip(opt.param_groups, base_lrs):
                g["lr"] = base * schedule[step]
            batch = images[idx].contiguous(memory_format=torch.channels_last)
            loss = F.cross_entropy(model(batch), train_y[idx], label_smoothing=0.2, reduction="sum")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            if epoch >= 3 and step % 5 == 0:
                state = [v for v in model.state_dict().values() if v.dtype == torch.float32]
                if ema is None:
                    ema = [v.clone() for v in state]
                else:
                    decay = 0.95**5 * (step / total) ** 3
                    for e, v in zip(ema, state):
                        e.lerp_(v, 1 - decay)
                        v.copy_(e)
        if ema is not None:
            for e, v in zip(ema, [v for v in model.state_dict().values() if v.dtype == torch.float32]):
                v.copy_(e)
        row = dict(epoch=epoch + 1, steps=step, seconds=round(time.time() - t0, 1), test_acc_one_view_2000=evaluate(model, test_x[:2000], test_y[:2000], 1), loss=loss.item() / len(idx))
        print(json.dumps(row), flush=True)
        log.write(json.dumps(row) + "\n")
        log.flush()
    final = dict(final=True, epochs=a.epochs, batch_size=a.batch_size, widths=widths, train_images=len(train_x), seed=a.seed,
                 test_acc=evaluate(model, test_x, test_y, 6), test_acc_flips=evaluate(model, test_x, test_y, 2),
                 test_acc_one_view=evaluate(model, test_x, test_y, 1), minutes=round((time.time() - started) / 60, 1))
    print(json.dumps(final), flush=True)
    log.write(json.dumps(final) + "\n")


if __name__ == "__main__":
    main()
