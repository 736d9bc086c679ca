"""Everything this project measures on a GPU, in one run, and the offline teachers it ships.

    python benchmarks/gpu_run.py --out DIR            # on a CUDA machine (the project's H200 session): about 8 minutes
    python benchmarks/gpu_run.py --out DIR --tiny     # a rehearsal of every phase on a CPU in a few minutes
    python benchmarks/gpu_run.py --out DIR --phases teachers study --variants metric --teacher-iterations 5000 --no-untrained \
        --record gpu_h200_teachers.json                # the shipped teachers: longer pre-training, and the study of them

Phases, each writing its part of DIR/gpu_h200.json as soon as it is done (so a run cut short keeps what it measured):
1. rates: a student training step at 256 x 256 for p = 17, 33, 65 in fp32, TF32, bf16 and fp16, split into data (decoding a
   1024-pixel PNG and resizing it, as without preloading; indexing a preloaded tensor) and compute; a teacher pre-training
   step (T-hat and P at 224) per p; the GPU memory of a multi-scale anomaly map; the efficiency behind the notebooks' estimates.
2. compactness: pre-training at batch 64, d = 128 with each form of the compactness loss: the terms over the steps, the L_k
   reached, and the descriptors' correlation spectrum (random P: no ImageNet weights can be had offline).
3. teachers: the offline variants (metric learning + compactness; distillation of a random ResNet-18 + compactness) for
   p = 17, 33, 65, each for as many steps as the time budget allows.
4. study: on real textures with planted defects (scikit-image's brick, grass, gravel), students trained with each teacher
   (untrained, and the two offline variants) against the non-learned local-statistics baseline; PRO-AUC per texture, and
   the best offline variant. Each variant's teachers are in DIR/teachers_<variant>.tar (float16, with offline.json), ready to
   unpack into ustudents/.
"""
import argparse, json, platform, tarfile, tempfile, time, traceback
from pathlib import Path
import numpy as np
import torch
from timing import timed                      # benchmarks/timing.py: the one timing helper
from ustudents.images import load_image, resize_image
from ustudents.patches import sample_photographs, NaturalPatches
from ustudents.fdfe import dense_network
from ustudents.imagenet import PretrainedP
from ustudents.teacher import (TeacherConfig, pretrain_teacher, patch_network, correlation_matrix, effective_rank,
                               COMPACTNESS_FORMS, PATCH_SIZES, D_DESCRIPTOR, Distil, decoder, teacher_step)
from ustudents.core import amp_dtype, grad_scaler, machine, processor_name
from ustudents.students import Students, StudentConfig, student_step
from ustudents.score import anomaly_map
from ustudents.experiment import compare_teachers
from ustudents.cost import dense_macs_per_pixel, padded_pixels, patch_macs, RESNET18_MACS, BACKWARD, PEAK_TFLOPS
from ustudents.teacher import OFFLINE_RECIPES, ship_teachers

PRECISIONS = {'fp32': (False, 'off'), 'tf32': (True, 'off'), 'bf16': (True, 'bf16'), 'fp16': (True, 'fp16')}

def set_tf32(on: bool):
    torch.backends.cuda.matmul.allow_tf32 = on; torch.backends.cudnn.allow_tf32 = on

def phase_rates(dev, tiny, rec):
    side = 64 if tiny else 256
    steps = []
    for name, (tf32, amp) in PRECISIONS.items():
        if tiny and name != 'fp32': continue                     # a CPU has no TF32, and its 16-bit convolutions crawl
        set_tf32(tf32)
        dtype = amp_dtype(dev, amp)
        for p in PATCH_SIZES:
            torch.manual_seed(0)
            T, S = dense_network(patch_network(p)).to(dev).eval(), Students(p, 3, seed=0).to(dev)
            opts = [torch.optim.Adam(s.parameters(), lr=1e-4) for s in S.nets]
            scalers = [grad_scaler(dev, dtype) for _ in range(3)]
            x = torch.rand(1, 3, side, side, device=dev)
            mu, sigma = torch.zeros(D_DESCRIPTOR, device=dev), torch.ones(D_DESCRIPTOR, device=dev)
            step = lambda: student_step(T, list(S.dense), opts, scalers, x, mu, sigma, dtype)   # the library's training step, timed as it trains
            s = timed(step, dev, warmup=2, repeats=2 if tiny else 5)
            macs = padded_pixels(side, p) * dense_macs_per_pixel(p) * (1 + 3 * (1 + BACKWARD))
            steps.append(dict(precision=name, p=p, side=side, seconds=s, macs_per_s=macs / s))
            print(f"student step p={p} {name}: {s * 1000:.1f} ms, {macs / s / 1e12:.2f} T multiply-adds/s", flush=True)
    set_tf32(True)
    rec['student_steps'] = steps
    # data: decoding a 1024-pixel PNG and resizing it, against indexing a preloaded tensor and copying it to the device
    from PIL import Image
    with tempfile.TemporaryDirectory() as d:
        a = (np.random.default_rng(0).random((1024, 1024, 3)) * 255).astype(np.uint8); f = Path(d) / 'x.png'; Image.fromarray(a).save(f)
        t0 = time.perf_counter(); [resize_image(load_image(f), side) for _ in range(5)]; decode = (time.perf_counter() - t0) / 5
    cached = torch.rand(64, 3, side, side).pin_memory() if dev.type == 'cuda' else torch.rand(64, 3, side, side)
    index = timed(lambda: cached[[7]].to(dev, non_blocking=True), dev, warmup=2, repeats=20)
    rec['data_per_image'] = dict(decode_png_1024_and_resize_s=decode, preloaded_index_and_copy_s=index)
    # teacher pre-training steps: T-hat forward and backward on 64 patches, P at 224 forward; and drawing the patches on the CPU
    tsteps = []
    for name in (('tf32',) if tiny else ('tf32', 'bf16')):
        set_tf32(True); dtype = None if name == 'tf32' else amp_dtype(dev, 'bf16')
        for p in PATCH_SIZES:
            net, P = Distil(patch_network(p), decoder()).to(dev), PretrainedP(None, 64 if tiny else 224).to(dev)
            opt = torch.optim.Adam(net.parameters(), lr=2e-4)
            xb = torch.rand(8 if tiny else 64, 3, p, p, device=dev)
            cfg = TeacherConfig(p=p, lambda_k=1.0, lambda_m=0.0, lambda_c=1.0)                  # the paper's objective
            tstep = lambda: teacher_step(net, P, {'p': xb}, cfg, opt, grad_scaler(dev, dtype), dtype)   # the library's pre-training step
            s = timed(tstep, dev, warmup=2, repeats=2 if tiny else 10)
            macs = len(xb) * (patch_macs(p) * (1 + BACKWARD) + RESNET18_MACS * ((64 / 224) ** 2 if tiny else 1))
            tsteps.append(dict(precision=name, p=p, seconds=s, macs_per_s=macs / s))
            print(f"teacher step p={p} {name}: {s * 1000:.1f} ms", flush=True)
    rec['teacher_steps'] = tsteps
    photos = sample_photographs()
    t0 = time.perf_counter(); NaturalPatches(photos, 33, 8 if tiny else 64, seed=0).batch(0); rec['patch_sampling_per_batch_s'] = time.perf_counter() - t0
    # memory of one multi-scale map
    if dev.type == 'cuda':
        torch.cuda.reset_peak_memory_stats()
        from ustudents.score import build_model, calibrate
        model = build_model(dict(scales=[dict(p=p, M=3, alignment='patch') for p in PATCH_SIZES])).to(dev).eval()
        calibrate(model, torch.rand(2, 3, side, side)); torch.cuda.reset_peak_memory_stats()
        anomaly_map(model, torch.rand(8, 3, side, side)); rec['anomaly_map_batch8_peak_gib'] = torch.cuda.max_memory_allocated() / 2 ** 30
    # efficiency of the student step against the published peak, the basis of the notebooks' estimates
    peak = PEAK_TFLOPS['H200']
    best = lambda prec: float(np.mean([s['macs_per_s'] for s in steps if s['precision'] == prec]))
    if tiny: return
    rec['efficiency'] = dict(fp32=best('tf32') / (peak['fp32'] * 1e12 / 2), amp=best('bf16') / (peak['amp'] * 1e12 / 2),
                             note='mean over p = 17, 33, 65 of a student training step at batch 1, against the H200/H100 SXM dense peak')

def phase_compactness(dev, tiny, rec):
    photos = sample_photographs(); out = {}
    iters = 20 if tiny else 600
    for form in COMPACTNESS_FORMS:
        cfg = TeacherConfig(p=33, compactness=form, p_weights=None, p_input_size=64 if tiny else 224, batch_size=64, iterations=iters)
        t0 = time.perf_counter()
        T, hist = pretrain_teacher(cfg, photos, device=dev, progress=False, num_workers=0 if tiny else 8, log_every=10)
        held = NaturalPatches(photos, 33, 1024, seed=99).batch(0)['p'].to(dev)
        with torch.no_grad(): t = T.to(dev)(held).float()
        c = correlation_matrix(t).double(); ev = torch.linalg.eigvalsh(c).flip(0).clamp_min(0)
        off = c[~torch.eye(128, dtype=bool, device=c.device)]
        out[form] = dict(history=hist, seconds=time.perf_counter() - t0, final_L_k=float(np.mean([h['k'] for h in hist[-5:]])),
                         final_L_c=float(np.mean([h['c'] for h in hist[-5:]])), spectrum=ev.cpu().tolist(),
                         effective_rank=effective_rank(t), mean_abs_correlation=float(off.abs().mean()))
        print(f"compactness {form}: L_k {out[form]['final_L_k']:.1f}, L_c {out[form]['final_L_c']:.1f}, effective rank {out[form]['effective_rank']:.1f}", flush=True)
    rec['compactness'] = dict(p=33, batch=64, iterations=iters, P='random ResNet-18 at 224 (no ImageNet weights offline)', forms=out)

def phase_teachers(dev, tiny, rec, budget_s, out, variants=tuple(OFFLINE_RECIPES), iterations=0):
    photos = sample_photographs(); teachers, info = {}, {}
    per = budget_s / (len(variants) * len(PATCH_SIZES))
    for variant in variants:
        for p in PATCH_SIZES:
            probe = TeacherConfig(p=p, iterations=10, batch_size=64, **{**OFFLINE_RECIPES[variant], 'p_input_size': 64 if tiny else 224})
            t0 = time.perf_counter(); pretrain_teacher(probe, photos, device=dev, progress=False, num_workers=0 if tiny else 8, log_every=10)
            step = (time.perf_counter() - t0) / 10
            iters = iterations or (30 if tiny else int(max(500, min(20_000, per / step)) // 100 * 100))
            cfg = TeacherConfig(p=p, iterations=iters, batch_size=64, **{**OFFLINE_RECIPES[variant], 'p_input_size': 64 if tiny else 224})
            torch.manual_seed(0); t0 = time.perf_counter()
            T, hist = pretrain_teacher(cfg, photos, device=dev, progress=False, num_workers=0 if tiny else 8, log_every=50 if not tiny else 10)
            T = T.cpu()
            T.provenance = dict(T.provenance, variant=variant, images='scikit-learn and scikit-image sample photographs', seconds=round(time.perf_counter() - t0, 1),
                                final_losses={k: round(hist[-1][k], 4) for k in ('k', 'm', 'c')}, device=torch.cuda.get_device_name() if dev.type == 'cuda' else 'cpu',
                                note="pre-trained offline without ImageNet: for trying the method and for the docs, not for the paper's numbers")
            teachers[variant, p] = T; info[f'{variant} p{p}'] = dict(iterations=iters, seconds=T.provenance['seconds'], final_losses=T.provenance['final_losses'])
            print(f"teacher {variant} p={p}: {iters} steps in {T.provenance['seconds']:.0f} s, losses {T.provenance['final_losses']}", flush=True)
    rec['teachers'] = info
    for variant in variants:                                     # each variant's three teachers, ready to ship, in one file (kept even if the study is cut short)
        ship_teachers({p: teachers[variant, p] for p in PATCH_SIZES}, out / variant)
        with tarfile.open(out / f'teachers_{variant}.tar', 'w') as tf: tf.add(out / variant, arcname='teachers')
        import shutil; shutil.rmtree(out / variant)
    return teachers

def phase_study(dev, tiny, rec, teachers, out, variants=tuple(OFFLINE_RECIPES), untrained=True):
    size, ps = (32, (17,)) if tiny else (64, (17, 33))
    cfg = StudentConfig(M=3, epochs=2 if tiny else 40, batch_size=4, lr=1e-3, image_size=size)
    torch.manual_seed(0)
    candidates = ({'untrained': {p: patch_network(p) for p in PATCH_SIZES}} if untrained else {}) | {v: {p: teachers[v, p] for p in PATCH_SIZES} for v in variants}
    n = dict(n_train=12, n_test_good=4, n_per_defect=2) if tiny else dict(n_train=40, n_test_good=8, n_per_defect=4)
    res = compare_teachers(candidates, cfg=cfg, patch_sizes=ps, device=dev, **n)
    for t, r in res.items(): print(f"study {t}: " + ', '.join(f"{k} {v['combined'] if isinstance(v, dict) else v:.3f}" for k, v in r.items()), flush=True)
    mean = {name: float(np.mean([res[t][name]['combined'] for t in res])) for name in candidates}
    best = max(variants, key=mean.get)
    rec['study'] = dict(textures=res, mean_combined=mean, baseline_mean=float(np.mean([res[t]['local statistics'] for t in res])),
                        best_offline_variant=best, students=dict(M=cfg.M, epochs=cfg.epochs, batch_size=cfg.batch_size, lr=cfg.lr, image_size=size, patch_sizes=list(ps)), **n)
    print(f"best offline variant: {best} ({mean})", flush=True)

def phase_study_large(dev, tiny, rec, teachers):
    "If time remains: the untrained and the best offline teacher again, with larger images and longer student training."
    best = rec.get('study', {}).get('best_offline_variant')
    if best is None: return
    size = 48 if tiny else 128
    cfg = StudentConfig(M=3, epochs=2 if tiny else 60, batch_size=4, lr=1e-3, image_size=size)
    torch.manual_seed(0)
    candidates = {'untrained': {p: patch_network(p) for p in PATCH_SIZES}, best: {p: teachers[best, p] for p in PATCH_SIZES}}
    res = compare_teachers(candidates, cfg=cfg, patch_sizes=(17, 33), device=dev, crop=256, n_train=12 if tiny else 40, n_test_good=4 if tiny else 8, n_per_defect=2 if tiny else 4)
    for t, r in res.items(): print(f"large study {t}: " + ', '.join(f"{k} {v['combined'] if isinstance(v, dict) else v:.3f}" for k, v in r.items()), flush=True)
    rec['study_large'] = dict(textures=res, students=dict(M=cfg.M, epochs=cfg.epochs, batch_size=cfg.batch_size, lr=cfg.lr, image_size=size, patch_sizes=[17, 33]), crop=256)

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out', type=Path, required=True); ap.add_argument('--tiny', action='store_true')
    ap.add_argument('--teacher-budget-s', type=float, default=150); ap.add_argument('--deadline-s', type=float, default=480)
    ap.add_argument('--phases', nargs='+', default=['rates', 'compactness', 'teachers', 'study', 'study_large'])
    ap.add_argument('--variants', nargs='+', default=list(OFFLINE_RECIPES)); ap.add_argument('--teacher-iterations', type=int, default=0, help='fixed steps per teacher (0: from the budget)')
    ap.add_argument('--no-untrained', action='store_true', help='leave the untrained teacher out of the study'); ap.add_argument('--record', default='gpu_h200.json')
    a = ap.parse_args(); a.out.mkdir(parents=True, exist_ok=True)
    dev = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    rec = dict(date=time.strftime('%Y-%m-%d'), device=torch.cuda.get_device_name() if dev.type == 'cuda' else processor_name(),
               machine=machine(dev, 'per row: float32, TF32 or bfloat16'), tiny=a.tiny, seconds={})
    save = lambda: (a.out / a.record).write_text(json.dumps(rec, indent=1))
    teachers, start = None, time.perf_counter()
    for phase in a.phases:
        t0 = time.perf_counter()
        if phase == 'study_large' and t0 - start > a.deadline_s: print(f"== {phase} skipped: past the deadline", flush=True); continue
        try:
            if phase == 'rates': phase_rates(dev, a.tiny, rec)
            elif phase == 'compactness': phase_compactness(dev, a.tiny, rec)
            elif phase == 'teachers': teachers = phase_teachers(dev, a.tiny, rec, a.teacher_budget_s, a.out, a.variants, a.teacher_iterations)
            elif phase == 'study' and teachers is not None: phase_study(dev, a.tiny, rec, teachers, a.out, a.variants, not a.no_untrained)
            elif phase == 'study_large' and teachers is not None: phase_study_large(dev, a.tiny, rec, teachers)
        except Exception: rec.setdefault('errors', {})[phase] = traceback.format_exc()[-3000:]; print(traceback.format_exc(), flush=True)
        rec['seconds'][phase] = round(time.perf_counter() - t0, 1); save()
        print(f"== {phase} done in {rec['seconds'][phase]} s", flush=True)

if __name__ == '__main__': main()
