"""The teacher measurements behind 02_teacher and 12_teachers, and the offline teachers the package ships.

    python benchmarks/teacher_study.py --preset cpu --out DIR --ship   # this machine's two cores: about 1.5 hours (P sees patches at 112, not 224)
    python benchmarks/teacher_study.py --preset gpu --out DIR                  # a GPU: minutes (benchmarks/gpu_run.py runs this too)
    python benchmarks/teacher_study.py --preset tiny --out DIR                 # a rehearsal of every phase

Phases, each writing its part of OUT/teacher_study.json as soon as it is done:
1. compactness: pre-training at batch 64 and d = 128 with each form of the compactness loss (P a random ResNet-18 at 224:
   no ImageNet weights can be had offline): the terms over the steps, the L_k reached, the descriptors' correlation spectrum.
2. teachers: the offline variants (metric: metric learning + compactness; random-p: distillation of a random ResNet-18 +
   compactness) at the study's receptive fields.
3. study: on real textures with planted defects (scikit-image's brick, grass, gravel), the same students trained with each
   teacher (untrained, and the two offline variants) against the non-learned local-statistics baseline: PRO-AUC per texture.
4. ship: the best offline variant pre-trained for p = 17, 33, 65 (reusing the study's teachers), written to OUT/teachers and,
   with --ship, into ustudents/teachers with offline.json.
"""
import argparse, json, shutil, sys, tarfile, time, traceback
from pathlib import Path
import numpy as np
import torch
ROOT = Path(__file__).resolve().parents[1]
from ustudents.data import sample_photographs, NaturalPatches
from ustudents.teacher import TeacherConfig, pretrain_teacher, patch_network, correlation_matrix, effective_rank, COMPACTNESS_FORMS, PATCH_SIZES
from ustudents.students import StudentConfig
from ustudents.experiment import compare_teachers
from ustudents.teacher import OFFLINE_RECIPES, ship_teachers, offline_teachers

PRESETS = {   # what each machine can afford; every figure written says which preset made it
    'tiny': dict(compactness_iterations=10, p_input_size=64, study_iterations=10, ship_iterations=10, workers=0,
                 students=dict(M=2, epochs=1, batch_size=4, lr=1e-3, image_size=32), study_p=(17,), n=dict(n_train=8, n_test_good=2, n_per_defect=1), crop=64),
    'cpu': dict(compactness_iterations=150, p_input_size=112, study_iterations=300, ship_iterations=250, workers=0,
                students=dict(M=2, epochs=10, batch_size=4, lr=1e-3, image_size=40), study_p=(17,), n=dict(n_train=20, n_test_good=6, n_per_defect=3), crop=80),
    'gpu': dict(compactness_iterations=600, p_input_size=224, study_iterations=3000, ship_iterations=3000, workers=8,
                students=dict(M=3, epochs=40, batch_size=4, lr=1e-3, image_size=64), study_p=(17, 33), n=dict(n_train=40, n_test_good=8, n_per_defect=4), crop=128),
}

def compactness(dev, pre, rec):
    "Pre-training with each compactness form: losses, L_k reached, correlation spectrum of held-out descriptors."
    photos, out = sample_photographs(), {}
    held = NaturalPatches(photos, 33, 1024, seed=99).batch(0)['p']
    for form in COMPACTNESS_FORMS:
        cfg = TeacherConfig(p=33, compactness=form, p_weights=pre.get('p_weights'), p_input_size=pre['p_input_size'], batch_size=64, iterations=pre['compactness_iterations'])
        t0 = time.perf_counter()
        T, hist = pretrain_teacher(cfg, photos, device=dev, progress=False, num_workers=pre['workers'], log_every=10)
        with torch.no_grad(): t = T.to(dev)(held.to(dev)).float()
        c = correlation_matrix(t).double().cpu(); ev = torch.linalg.eigvalsh(c).flip(0).clamp_min(0); share = ev / ev.sum()
        off = c[~torch.eye(128, dtype=bool)]
        out[form] = dict(history=hist, seconds=round(time.perf_counter() - t0, 1), final_L_k=float(np.mean([h['k'] for h in hist[-3:]])),
                         final_L_c=float(np.mean([h['c'] for h in hist[-3:]])), spectrum=ev.tolist(),
                         effective_rank=effective_rank(t),
                         top_share=float(share[0]), mean_correlation=float(off.mean()), mean_abs_correlation=float(off.abs().mean()))
        print(f"compactness {form}: L_k {out[form]['final_L_k']:.1f}, L_c {out[form]['final_L_c']:.1f}, effective rank {out[form]['effective_rank']:.1f}", flush=True)
    rec['compactness'] = dict(p=33, batch=64, d=128, iterations=pre['compactness_iterations'], p_input_size=pre['p_input_size'],
                              P='a randomly initialised ResNet-18 (no ImageNet weights can be had offline)', forms=out)

def teacher(variant, p, iterations, dev, pre):
    "One offline teacher, with its provenance."
    cfg = TeacherConfig(p=p, iterations=iterations, batch_size=64, **{**OFFLINE_RECIPES[variant], 'p_input_size': pre['p_input_size']})
    torch.manual_seed(0); t0 = time.perf_counter()
    T, hist = pretrain_teacher(cfg, sample_photographs(), device=dev, progress=False, num_workers=pre['workers'], log_every=10)
    T = T.cpu()
    T.provenance = dict(T.provenance, variant=variant, images='scikit-learn and scikit-image sample photographs', seconds=round(time.perf_counter() - t0, 1),
                        final_losses={k: round(hist[-1][k], 4) for k in ('k', 'm', 'c')}, device=str(dev) if dev.type == 'cpu' else torch.cuda.get_device_name(),
                        note="pre-trained offline without ImageNet: for trying the method and for the docs, not for the paper's numbers")
    print(f"teacher {variant} p={p}: {iterations} steps in {T.provenance['seconds']:.0f} s, losses {T.provenance['final_losses']}", flush=True)
    return T

def study(dev, pre, rec, teachers):
    cfg = StudentConfig(**pre['students'])
    torch.manual_seed(0)
    candidates = {'untrained': {p: patch_network(p) for p in pre['study_p']}} | {v: {p: teachers[v, p] for p in pre['study_p']} for v in OFFLINE_RECIPES}
    res = compare_teachers(candidates, cfg=cfg, patch_sizes=pre['study_p'], device=dev, crop=pre['crop'], **pre['n'])
    for t, r in res.items(): print(f"study {t}: " + ', '.join(f"{k} {v['combined'] if isinstance(v, dict) else v:.3f}" for k, v in r.items()), flush=True)
    mean = {name: float(np.mean([res[t][name]['combined'] for t in res])) for name in candidates}
    rec['study'] = dict(textures=res, mean_combined=mean, baseline_mean=float(np.mean([res[t]['local statistics'] for t in res])),
                        best_offline_variant=max(OFFLINE_RECIPES, key=mean.get), students=pre['students'], patch_sizes=list(pre['study_p']),
                        teacher_iterations=pre['study_iterations'], crop=pre['crop'], **pre['n'])
    print(f"best offline variant: {rec['study']['best_offline_variant']} ({mean})", flush=True)

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--preset', choices=PRESETS, default='cpu'); ap.add_argument('--out', type=Path, required=True)
    ap.add_argument('--ship', action='store_true', help='also install the best variant into ustudents/teachers')
    ap.add_argument('--phases', nargs='+', default=['compactness', 'teachers', 'study', 'ship'])
    ap.add_argument('--p-weights', choices=['none', 'imagenet'], default='none', help="P in the compactness phase: random, or ImageNet's (a download)")
    a = ap.parse_args(); a.out.mkdir(parents=True, exist_ok=True)
    pre, dev = dict(PRESETS[a.preset], p_weights=None if a.p_weights == 'none' else a.p_weights), torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    f = a.out / 'teacher_study.json'
    rec = json.loads(f.read_text()) if f.exists() else {}
    rec.update(preset=a.preset, date=time.strftime('%Y-%m-%d'), device=torch.cuda.get_device_name() if dev.type == 'cuda' else f'cpu, {torch.get_num_threads()} threads',
               torch=torch.__version__); rec.setdefault('seconds', {})
    save = lambda: f.write_text(json.dumps(rec, indent=1))
    teachers = {}
    for phase in a.phases:
        t0 = time.perf_counter()
        try:
            if phase == 'compactness': compactness(dev, pre, rec)
            elif phase == 'teachers':
                teachers = {(v, p): teacher(v, p, pre['study_iterations'], dev, pre) for v in OFFLINE_RECIPES for p in pre['study_p']}
            elif phase == 'study': study(dev, pre, rec, teachers)
            elif phase == 'ship':
                best = rec['study']['best_offline_variant']
                ts = {p: teachers.get((best, p)) or teacher(best, p, pre['ship_iterations'], dev, pre) for p in PATCH_SIZES}
                info = ship_teachers(ts, a.out / 'teachers')
                if a.ship:
                    for name in [*(v['file'] for v in info.values()), 'offline.json']: shutil.copy(a.out / 'teachers' / name, ROOT / 'ustudents' / 'teachers' / name)
                rec['shipped'] = dict(variant=best, iterations={p: ts[p].provenance['steps'] for p in PATCH_SIZES})
        except Exception: rec.setdefault('errors', {})[phase] = traceback.format_exc()[-3000:]; print(traceback.format_exc(), flush=True)
        rec['seconds'][phase] = round(time.perf_counter() - t0, 1); save()
        print(f"== {phase} done in {rec['seconds'][phase]} s", flush=True)

if __name__ == '__main__': main()
