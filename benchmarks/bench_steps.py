"""Where a training step's time goes: data against compute.

    python benchmarks/bench_steps.py [--device cuda] [--side 256]

For a student training step (M = 3, batch 1, the paper's setting) at each receptive field: the time to get the image — decoding
a 1024-pixel PNG and resizing it (what every epoch cost before images were decoded once), or indexing the preloaded tensor and
copying it to the device (what `train_run` does now) — against the time of the step's forward and backward passes. And for a
teacher pre-training step (batch 64): drawing the patch triplets on the CPU against T-hat's and P's passes.
"""
import argparse, json, tempfile
from pathlib import Path
import numpy as np
import torch
from PIL import Image
from timing import timed                      # benchmarks/timing.py: the one timing helper
from ustudents.images import load_image, resize_image
from ustudents.patches import NaturalPatches, sample_photographs
from ustudents.fdfe import dense_network
from ustudents.imagenet import PretrainedP
from ustudents.teacher import patch_network, decoder, Distil, teacher_step, TeacherConfig, PATCH_SIZES, D_DESCRIPTOR
from ustudents.core import amp_dtype, grad_scaler, precision_name
from ustudents.students import Students, student_step

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--device', default='cpu'); ap.add_argument('--side', type=int, default=256); ap.add_argument('--amp', default='auto')
    ap.add_argument('--repeats', type=int, default=2); ap.add_argument('--json', type=Path, default=None)
    a = ap.parse_args(); dev = torch.device(a.device); dtype = amp_dtype(dev, a.amp)
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / 'x.png'; Image.fromarray((np.random.default_rng(0).random((1024, 1024, 3)) * 255).astype(np.uint8)).save(f)
        decode = timed(lambda: resize_image(load_image(f), a.side), torch.device('cpu'), repeats=5)
    cache = torch.rand(32, 3, a.side, a.side)
    if dev.type == 'cuda': cache = cache.pin_memory()
    index = timed(lambda: cache[[5]].to(dev, non_blocking=True), dev, repeats=20)
    rows = []
    for p in PATCH_SIZES:
        torch.manual_seed(0)
        T, S = dense_network(patch_network(p)).to(dev).eval(), Students(p, 3, seed=0).to(dev)
        opts = [torch.optim.Adam(s.parameters(), lr=1e-4) for s in S.nets]
        x = torch.rand(1, 3, a.side, a.side, device=dev); mu, sigma = torch.zeros(D_DESCRIPTOR, device=dev), torch.ones(D_DESCRIPTOR, device=dev)
        step = lambda: student_step(T, list(S.dense), opts, [grad_scaler(dev, dtype) for _ in opts], x, mu, sigma, dtype)   # the library's step
        compute = timed(step, dev, repeats=a.repeats)
        rows.append(dict(p=p, compute_s=compute, decode_s=decode, preloaded_s=index, decode_share=decode / (decode + compute), preloaded_share=index / (index + compute)))
    print(f"student step, M = 3, batch 1, {a.side}x{a.side}, {dev}, {precision_name(dtype)}:")
    print("| p | compute (s) | data by decoding a 1024 px PNG (s) | its share | data from the preloaded tensor (s) | its share |\n|---|---|---|---|---|---|")
    for r in rows: print(f"| {r['p']} | {r['compute_s']:.3f} | {r['decode_s']:.3f} | {r['decode_share']:.0%} | {r['preloaded_s']:.5f} | {r['preloaded_share']:.2%} |")
    photos = sample_photographs(); ds = NaturalPatches(photos, 33, 64, seed=0)
    sample = timed(lambda: ds.batch(0), torch.device('cpu'), repeats=3)
    net, P = Distil(patch_network(33), decoder()).to(dev), PretrainedP(None, 224).to(dev)
    opt = torch.optim.Adam(net.parameters(), lr=2e-4); b = {k: v.to(dev) for k, v in ds.batch(0).items()}
    cfg, scaler = TeacherConfig(p=33, lambda_k=1.0, lambda_m=0.0, lambda_c=1.0), grad_scaler(dev, dtype)   # the paper's objective
    tstep = lambda: teacher_step(net, P, b, cfg, opt, scaler, dtype)                                       # the library's pre-training step
    teach = timed(tstep, dev, repeats=2)
    print(f"teacher step, p = 33, batch 64, P at 224: drawing the triplets {sample:.3f} s on one CPU process, T-hat and P {teach:.3f} s on {dev} "
          f"(with {max(1, round(sample / teach))} or more DataLoader workers the GPU does not wait)")
    if a.json: a.json.write_text(json.dumps(dict(device=str(dev), side=a.side, student=rows, patch_sampling_s=sample, teacher_step_s=teach), indent=1))

if __name__ == '__main__': main()
