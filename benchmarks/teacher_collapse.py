"""Why the offline teachers lost to an untrained one: do their descriptors collapse, and what does that cost?

    python benchmarks/teacher_collapse.py --out nbs/results/teacher_collapse.json                     # about 10 minutes on two cores
    python benchmarks/teacher_collapse.py --out X.json --teacher 'old shipped=/path/offline_p17.pt'   # add any saved teacher

Teachers compared at p = 17: an untrained network; two metric-learning teachers pre-trained offline for the same 200 steps
(batch 64, lambda_m = lambda_c = 1, no P) that differ only in the form of the compactness loss, the paper's signed sum and the
squared one; the squared one again with lambda_c = 0.002 (the offline recipe of tools/offline_teachers.py, its terms balanced);
the teacher shipped with the package (the squared recipe, pre-trained on a CPU). At p = 33: an untrained network and the shipped
teacher. And any teacher given with --teacher: the record in nbs/results adds the teachers shipped before (signed L_c, 5 000 steps
on an H200) that way. Pre-trained teachers are cached in --cache, so a second run only measures.

For each teacher, on the teacher study's three textures (brick, grass, gravel from scikit-image, 64 px, 40 training images,
planted defects):
- effective rank of its descriptors on the training images (exp of the entropy of the correlation spectrum; 1 = collapsed);
- a teacher-only anomaly score, no students: the distance of each test descriptor to its nearest training descriptor (after
  the students' per-component standardisation), and its PRO-AUC. It ranks the teachers as the students do (02_teacher),
  and costs seconds instead of a student training per teacher.
"""
import argparse, json, sys, tempfile, time
from pathlib import Path
import numpy as np
import torch
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from ustudents.data import make_texture_category, MVTecAD, preload, sample_photographs, REAL_TEXTURES
from ustudents.teacher import TeacherConfig, pretrain_teacher, patch_network, offline_teacher, load_teacher, save_teacher, effective_rank
from ustudents.fdfe import dense_network
from ustudents.metrics import pro_auc

P, STEPS, SIZE = 17, 200, 64   # the 200-step comparison is at p = 17

def trained(form: str, cache: Path, lambda_c: float = 1.0):
    "The 200-step metric-learning teacher with compactness `form` weighted by `lambda_c` (cached)."
    f = cache / f"metric_{form}{'' if lambda_c == 1 else f'_lc{lambda_c}'}_{STEPS}.pt"
    if f.exists(): return load_teacher(f, P)
    cfg = TeacherConfig(p=P, iterations=STEPS, batch_size=64, lambda_k=0.0, lambda_m=1.0, lambda_c=lambda_c, p_weights=None, compactness=form)
    torch.manual_seed(0)
    T, _ = pretrain_teacher(cfg, sample_photographs(), progress=False, log_every=50)
    cache.mkdir(parents=True, exist_ok=True); save_teacher(T, f)
    return T

def nearest_distance(train: torch.Tensor, test: torch.Tensor, k: int = 10_000) -> np.ndarray:
    "Distance of every test descriptor to its nearest among k sampled training descriptors, standardised per component; (n, H, W)."
    d = train.shape[1]; f = train.permute(0, 2, 3, 1).reshape(-1, d)
    mu, sd = f.mean(0), f.std(0) + 1e-6
    f = ((f - mu) / sd)[torch.randperm(len(f), generator=torch.Generator().manual_seed(0))[:k]]
    q = (test.permute(0, 2, 3, 1) - mu) / sd; n, H, W, _ = q.shape
    return torch.cat([torch.cdist(c, f).min(1).values for c in q.reshape(-1, d).split(4096)]).reshape(n, H, W).numpy()

def texture_data(size: int = SIZE) -> dict:
    "The teacher study's images: {texture: (training images, test images, masks)}."
    data = {}
    with tempfile.TemporaryDirectory() as D:
        for tex in REAL_TEXTURES:
            cat = make_texture_category(D, tex, size=size, crop=128, n_train=40, n_test_good=8, n_per_defect=4, seed=0)
            tr, te = (MVTecAD(D, cat.name, s, image_size=size, seed=0) for s in ('train', 'test'))
            data[tex] = (preload(tr), preload(te), np.stack([te.original_mask(i).numpy() for i in range(len(te))]))
    return data

def measure(T, data: dict) -> dict:
    "Effective rank of T's descriptors on the training images, and PRO-AUC of the nearest-descriptor score, per texture and mean."
    T = T.float().eval(); dense = dense_network(T); r = dict(pro_auc={}, effective_rank={})
    for tex, (train_x, test_x, masks) in data.items():
        with torch.no_grad():
            f_train = torch.cat([dense(x) for x in train_x.split(8)]); f_test = torch.cat([dense(x) for x in test_x.split(8)])
        r['effective_rank'][tex] = effective_rank(f_train.permute(0, 2, 3, 1).reshape(-1, 128)[::7])
        r['pro_auc'][tex] = pro_auc(nearest_distance(f_train, f_test), masks)
    r['mean_pro_auc'] = float(np.mean(list(r['pro_auc'].values()))); r['mean_effective_rank'] = float(np.mean(list(r['effective_rank'].values())))
    return r

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out', type=Path, required=True); ap.add_argument('--cache', type=Path, default=Path('/tmp/ustudents_collapse'))
    ap.add_argument('--teacher', action='append', default=[], help="NAME=PATH of a saved teacher to add (its p is read from the file)")
    a = ap.parse_args()
    untrained = {p: (torch.manual_seed(0), patch_network(p))[1] for p in (17, 33)}     # each drawn right after seeding, as in the study
    S = {p: offline_teacher(p) for p in (17, 33)}
    shipped = lambda p: f"shipped ({S[p].provenance['variant']}, {S[p].config.compactness} L_c weighted {S[p].config.lambda_c:g}, {S[p].provenance['steps']} steps)"
    teachers = {(17, 'untrained'): untrained[17], (17, f'metric, signed L_c, {STEPS} steps'): trained('signed', a.cache),
                (17, f'metric, squared L_c, {STEPS} steps'): trained('squared', a.cache),
                (17, f'metric, squared L_c weighted 0.002, {STEPS} steps'): trained('squared', a.cache, 0.002), (17, shipped(17)): S[17]}
    teachers[33, 'untrained'] = untrained[33]; teachers[33, shipped(33)] = S[33]
    for spec in a.teacher:
        name, path = spec.split('=', 1); T = load_teacher(path); teachers[T.p, name] = T
    data = texture_data()
    rec = dict(date=time.strftime('%Y-%m-%d'), device=f'cpu, {torch.get_num_threads()} threads', torch=torch.__version__, image_size=SIZE,
               n_train=40, n_test_good=8, n_per_defect=4, teachers={})
    for (p, name), T in sorted(teachers.items(), key=lambda kv: kv[0][0]):
        r = measure(T, data); r['p'] = p; rec['teachers'][f'p = {p}: {name}'] = r
        print(f"p = {p}, {name}: effective rank {r['mean_effective_rank']:.1f}, nearest-descriptor PRO-AUC {r['mean_pro_auc']:.3f} "
              f"({', '.join(f'{t} {v:.3f}' for t, v in r['pro_auc'].items())})", flush=True)
    a.out.write_text(json.dumps(rec, indent=1) + '\n')

if __name__ == '__main__': main()
