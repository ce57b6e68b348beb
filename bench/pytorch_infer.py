#!/usr/bin/env python3
"""PyTorch reference for `npm run bench -- infer`: tiny-YOLOv2 and YOLOv2 (VOC heads, 125 channels) with
the same layer shapes as src/models/tiny.ts and src/models/darknet19.ts, eval mode, no autograd,
NCHW float32, random weights (timing only).

    /usr/bin/python3 bench/pytorch_infer.py                       # both models, 416, batch 1 and 8
    /usr/bin/python3 bench/pytorch_infer.py --models tiny --batches 1 --iters 5 --threads 2
    /usr/bin/python3 bench/pytorch_infer.py --serve   # for bench/infer-vs-torch.bench.ts (lines on stdin)

Needs Debian's CPU build of PyTorch (`apt-get install -y python3-torch`). Prints one JSON line per model,
variant and batch: {"name":"infer-torch","model","variant":"eval"|"folded","inputSize","batch","medianMs",
"minMs","maxMs","iterations","cpuMedianMs" (process CPU time, all threads),"msPerImage","threads","torch"}. `eval` is the model as built (conv → BatchNorm2d →
LeakyReLU); `folded` has every batch norm folded into its conv (torch.nn.utils.fusion.fuse_conv_bn_eval).
"""
import argparse
import copy
import json
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.fusion import fuse_conv_bn_eval

TINY_FILTERS = [16, 32, 64, 128, 256, 512, 1024, 1024]
DARKNET19 = [
    [(32, 3)],
    [(64, 3)],
    [(128, 3), (64, 1), (128, 3)],
    [(256, 3), (128, 1), (256, 3)],
    [(512, 3), (256, 1), (512, 3), (256, 1), (512, 3)],
    [(1024, 3), (512, 1), (1024, 3), (512, 1), (1024, 3)],
]
HEAD = 5 * (5 + 20)


def conv_bn_leaky(cin, cout, k):
    return nn.Sequential(
        nn.Conv2d(cin, cout, k, padding=k // 2, bias=False),
        nn.BatchNorm2d(cout, eps=1e-5),
        nn.LeakyReLU(0.1, inplace=True),
    )


class Tiny(nn.Module):
    """yolov2-tiny-voc: 8 conv-bn-leaky 3×3, max pools 2/2 ×5 then 2/1 ('same', padded right/bottom), 1×1 head."""

    def __init__(self):
        super().__init__()
        layers, cin = [], 3
        for i, f in enumerate(TINY_FILTERS):
            layers.append(conv_bn_leaky(cin, f, 3))
            if i < 5:
                layers.append(nn.MaxPool2d(2, 2))
            elif i == 5:
                layers += [nn.ReplicationPad2d((0, 1, 0, 1)), nn.MaxPool2d(2, 1)]
            cin = f
        layers.append(nn.Conv2d(cin, HEAD, 1))
        self.body = nn.Sequential(*layers)

    def forward(self, x):
        return self.body(x)


def reorg(x):
    """darknet's reorg stride 2 on NCHW: reshape(C/4, H, 2, W, 2) → transpose(2, 4, 0, 1, 3) → (4C, H/2, W/2)."""
    b, c, h, w = x.shape
    y = x.reshape(b, c // 4, h, 2, w, 2).permute(0, 3, 5, 1, 2, 4)
    return y.reshape(b, 4 * c, h // 2, w // 2)


class YOLOv2(nn.Module):
    """yolov2-voc: Darknet-19, two 3×3×1024, passthrough 1×1×64 + reorg, concat, 3×3×1024, 1×1 head."""

    def __init__(self):
        super().__init__()
        self.stages, cin = nn.ModuleList(), 3
        for stage in DARKNET19:
            mods = []
            for f, k in stage:
                mods.append(conv_bn_leaky(cin, f, k))
                cin = f
            self.stages.append(nn.Sequential(*mods))
        self.c18 = conv_bn_leaky(1024, 1024, 3)
        self.c19 = conv_bn_leaky(1024, 1024, 3)
        self.c20 = conv_bn_leaky(512, 64, 1)
        self.c21 = conv_bn_leaky(256 + 1024, 1024, 3)
        self.head = nn.Conv2d(1024, HEAD, 1)

    def forward(self, x):
        for s, stage in enumerate(self.stages):
            x = stage(x)
            if s == 4:
                passthrough = x
            if s < 5:
                x = F.max_pool2d(x, 2, 2)
        x = self.c19(self.c18(x))
        route = reorg(self.c20(passthrough))
        return self.head(self.c21(torch.cat([route, x], 1)))


def randomise_bn(model, gen):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            c = m.num_features
            m.weight.data = 0.5 + torch.rand(c, generator=gen)
            m.bias.data = 0.3 * torch.randn(c, generator=gen)
            m.running_mean.data = 0.3 * torch.randn(c, generator=gen)
            m.running_var.data = 0.5 + 1.5 * torch.rand(c, generator=gen)


def fold(module):
    """Replace every Sequential(conv, bn, leaky) by Sequential(folded conv, leaky)."""
    for name, child in module.named_children():
        if isinstance(child, nn.Sequential) and len(child) == 3 and isinstance(child[1], nn.BatchNorm2d):
            setattr(module, name, nn.Sequential(fuse_conv_bn_eval(child[0], child[1]), child[2]))
        else:
            fold(child)
    return module


def measure(model, x, iters, warmup=1):
    with torch.inference_mode():
        for _ in range(warmup):
            model(x)
        times, cpu = [], []
        for _ in range(iters):
            c0, t0 = time.process_time(), time.perf_counter()
            model(x)
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
    return times, cpu


def record(name, variant, size, batch, iters, t, cpu):
    med = statistics.median(t)
    return json.dumps({
        'name': 'infer-torch', 'model': 'tinyYOLOv2' if name == 'tiny' else 'yolov2', 'variant': variant,
        'inputSize': size, 'batch': batch, 'medianMs': round(med, 3), 'minMs': round(min(t), 3),
        'maxMs': round(max(t), 3), 'iterations': iters, 'cpuMedianMs': round(statistics.median(cpu), 3), 'msPerImage': round(med / batch, 1),
        'threads': torch.get_num_threads(), 'torch': torch.__version__,
    })


def serve(a, gen):
    models = {}
    for name in ('tiny', 'yolov2'):
        base = (Tiny if name == 'tiny' else YOLOv2)().eval()
        randomise_bn(base, gen)
        models[name] = {'eval': base, 'folded': fold(copy.deepcopy(base))}
    print(json.dumps({'ready': True}), flush=True)
    for line in sys.stdin:
        name, batch, iters, variant = line.split()
        batch, iters = int(batch), int(iters)
        x = torch.rand(batch, 3, a.size, a.size, generator=gen)
        t, cpu = measure(models[name][variant], x, iters)
        print(record(name, variant, a.size, batch, iters, t, cpu), flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--models', default='tiny,yolov2')
    p.add_argument('--batches', default='1,8')
    p.add_argument('--size', type=int, default=416)
    p.add_argument('--iters', type=int, default=5)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--variants', default='eval,folded')
    p.add_argument('--serve', action='store_true',
                   help='build both models once, then answer stdin lines "<tiny|yolov2> <batch> <iters> <eval|folded>" with one JSON line each')
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    gen = torch.Generator().manual_seed(0)
    if a.serve:
        serve(a, gen)
        return
    for name in a.models.split(','):
        base = (Tiny if name == 'tiny' else YOLOv2)().eval()
        randomise_bn(base, gen)
        variants = {'eval': base}
        if 'folded' in a.variants:
            variants['folded'] = fold(copy.deepcopy(base))
        for batch in map(int, a.batches.split(',')):
            x = torch.rand(batch, 3, a.size, a.size, generator=gen)
            for variant in a.variants.split(','):
                t, cpu = measure(variants[variant], x, a.iters)
                print(record(name, variant, a.size, batch, a.iters, t, cpu), flush=True)


if __name__ == '__main__':
    main()
