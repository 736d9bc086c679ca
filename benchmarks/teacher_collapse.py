"""Why the offline teachers lost to an untrained one: do their descriptors collapse, and what does that cost?

    python benchmarks/teacher_collapse.py --out nbs/results/teacher_collapse.json                     # about 20 minutes on two cores
    python benchmarks/teacher_collapse.py --out X.json --teacher 'old shipped=/path/offline_p17.pt'   # add any saved teacher
    python benchmarks/teacher_collapse.py --out X.json --add --teacher 'NAME=PATH'   # measure only that one, into the record X.json

Teachers compared at p = 17: an untrained network; two metric-learning teachers pre-trained offline for the same 200 steps
(batch 64, lambda_m = lambda_c = 1, no P) that differ only in the form of the compactness loss, the paper's signed sum and the
squared one; the squared one again with lambda_c = 0.002 (the offline recipe of tools/offline_teachers.py, its terms
balanced), and once more from seed 1; the teacher shipped with the package (the squared recipe, pre-trained on a CPU); and
untrained networks from seeds 1 and 2, so that the spread over initialisations is on record. At p = 33: an untrained network
and the shipped teacher. At p = 65, whose receptive field is larger than 64-pixel images: untrained networks from seeds 0, 1
and 2 and the shipped teacher, on the same textures at 96 pixels (crops of twice the side, so each pixel covers as much of
the photograph as before). And any teacher given with --teacher: the record in nbs/results adds the teachers shipped before
(signed L_c, 5 000 steps on an H200) that way. Pre-trained teachers are cached in --cache, so a second run only measures.
Three trajectories were added to that record with --add, each row with the configuration it was pre-trained with: at p = 17
the compactness term alone (lambda_m = 0, squared, weighted 0.002) after 200, 400 and 600 steps; the shipped recipe at p = 33
after 200 and 600 steps and at p = 65 continued to 300 and 450 steps (python tools/offline_teachers.py --patch-sizes P
--iterations N --state S --out DIR). A run
without --add rewrites the record: add them again, or 02_teacher will miss them.

For each teacher, on the teacher study's three textures (brick, grass, gravel from scikit-image, 64 px -- 96 px for p = 65 --,
40 training images, planted defects):
- effective rank of its descriptors on the training images (exp of the entropy of the correlation spectrum; 1 = collapsed);
- a teacher-only anomaly score, no students: the distance of each test descriptor to its nearest training descriptor (after
  the students' per-component standardisation), and its PRO-AUC. It ranks the teachers as the students do (02_teacher),
  and costs seconds instead of a student training per teacher. Also per defect (the good test images with one defect's):
  which defects a teacher's training made it better or worse at.
"""
import argparse, json, tempfile, time
from dataclasses import asdict
from pathlib import Path
import numpy as np
import torch
ROOT = Path(__file__).resolve().parents[1]
from ustudents.patches import sample_photographs
from ustudents.data import make_texture_category, MVTecAD, preload, REAL_TEXTURES, DEFECTS
from ustudents.teacher import (TeacherConfig, pretrain_teacher, patch_network, offline_teacher, load_teacher,
                               save_teacher, effective_rank)
from ustudents.core import machine, amp_dtype
from ustudents.fdfe import dense_network
from ustudents.metrics import pro_auc

P, STEPS, SIZE = 17, 200, 64   # the 200-step comparison is at p = 17
LARGE = 96                      # image side for p = 65, whose receptive field exceeds 64 pixels

def trained(form: str, cache: Path, lambda_c: float = 1.0, seed: int = 0):
    "The 200-step metric-learning teacher with compactness `form` weighted by `lambda_c`, from `seed` (cached)."
    f = cache / f"metric_{form}{'' if lambda_c == 1 else f'_lc{lambda_c}'}_{STEPS}{f'_s{seed}' if seed else ''}.pt"
    if f.exists(): return load_teacher(f, P)
    cfg = TeacherConfig(p=P, iterations=STEPS, batch_size=64, lambda_k=0.0, lambda_m=1.0, lambda_c=lambda_c, p_weights=None, compactness=form, seed=seed)
    torch.manual_seed(seed)
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
    "The teacher study's images: {texture: (training images, test images, masks, defect of each test image)}; crops of 2 * size pixels of each photograph."
    data = {}
    with tempfile.TemporaryDirectory() as D:
        for tex in REAL_TEXTURES:
            cat = make_texture_category(D, tex, size=size, crop=2 * size, n_train=40, n_test_good=8, n_per_defect=4, seed=0)
            tr, te = (MVTecAD(D, cat.name, s, image_size=size, seed=0) for s in ('train', 'test'))
            data[tex] = (preload(tr), preload(te), np.stack([te.original_mask(i).numpy() for i in range(len(te))]), np.array([d for *_, d in te.items]))
    return data

def measure(T, data: dict) -> dict:
    "Effective rank of T's descriptors on the training images, and PRO-AUC of the nearest-descriptor score: per texture, per defect, mean."
    T = T.float().eval(); dense = dense_network(T); r = dict(pro_auc={}, effective_rank={}, pro_auc_per_defect={})
    for tex, (train_x, test_x, masks, kinds) in data.items():
        with torch.no_grad():
            f_train = torch.cat([dense(x) for x in train_x.split(8)]); f_test = torch.cat([dense(x) for x in test_x.split(8)])
        r['effective_rank'][tex] = effective_rank(f_train.permute(0, 2, 3, 1).reshape(-1, 128)[::7])
        score = nearest_distance(f_train, f_test)
        r['pro_auc'][tex] = pro_auc(score, masks)
        one = {k: (kinds == 'good') | (kinds == k) for k in DEFECTS}                     # the good images and one defect's
        r['pro_auc_per_defect'][tex] = {k: pro_auc(score[sel], masks[sel]) for k, sel in one.items()}
    r['mean_pro_auc'] = float(np.mean(list(r['pro_auc'].values()))); r['mean_effective_rank'] = float(np.mean(list(r['effective_rank'].values())))
    r['mean_pro_auc_per_defect'] = {k: float(np.mean([v[k] for v in r['pro_auc_per_defect'].values()])) for k in DEFECTS}
    return r

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out', type=Path, required=True); ap.add_argument('--cache', type=Path, default=Path('/tmp/ustudents_collapse'))
    ap.add_argument('--teacher', action='append', default=[], help="NAME=PATH of a saved teacher to add (its p is read from the file)")
    ap.add_argument('--add', action='store_true', help="measure only the --teacher ones and add them to the record --out, whose other rows stay as they are")
    a = ap.parse_args()
    if a.add: return add(a.out, a.teacher)
    drawn = lambda p, seed=0: (torch.manual_seed(seed), patch_network(p))[1]               # an untrained teacher, drawn right after seeding, as in the study
    untrained = {p: drawn(p) for p in (17, 33, 65)}
    S = {p: offline_teacher(p) for p in (17, 33, 65)}
    shipped = lambda p: f"shipped ({S[p].provenance['variant']}, {S[p].config.compactness} L_c weighted {S[p].config.lambda_c:g}, {S[p].provenance['steps']} steps)"
    teachers = {(17, 'untrained'): untrained[17], (17, f'metric, signed L_c, {STEPS} steps'): trained('signed', a.cache),
                (17, f'metric, squared L_c, {STEPS} steps'): trained('squared', a.cache),
                (17, f'metric, squared L_c weighted 0.002, {STEPS} steps'): trained('squared', a.cache, 0.002),
                (17, f'metric, squared L_c weighted 0.002, {STEPS} steps, seed 1'): trained('squared', a.cache, 0.002, seed=1), (17, shipped(17)): S[17]}
    for s in (1, 2): teachers[17, f'untrained, seed {s}'] = drawn(17, s)
    teachers[33, 'untrained'] = untrained[33]; teachers[33, shipped(33)] = S[33]
    teachers[65, 'untrained'] = untrained[65]; teachers[65, shipped(65)] = S[65]
    for s in (1, 2): teachers[65, f'untrained, seed {s}'] = drawn(65, s)
    for spec in a.teacher:
        name, path = spec.rsplit('=', 1); T = load_teacher(path); teachers[T.p, name] = T
    data, large = texture_data(), texture_data(LARGE)
    rec = dict(date=time.strftime('%Y-%m-%d'), machine=machine('cpu', amp_dtype('cpu')), image_size=SIZE,
               n_train=40, n_test_good=8, n_per_defect=4, teachers={})
    for (p, name), T in sorted(teachers.items(), key=lambda kv: kv[0][0]):
        r = measure(T, large if p == 65 else data); r['p'] = p; r['image_size'] = LARGE if p == 65 else SIZE; rec['teachers'][f'p = {p}: {name}'] = r
        print(f"p = {p}, {name}: effective rank {r['mean_effective_rank']:.1f}, nearest-descriptor PRO-AUC {r['mean_pro_auc']:.3f} "
              f"({', '.join(f'{t} {v:.3f}' for t, v in r['pro_auc'].items())}; per defect {', '.join(f'{k} {v:.3f}' for k, v in r['mean_pro_auc_per_defect'].items())})", flush=True)
    a.out.write_text(json.dumps(rec, indent=1) + '\n')

def add(out: Path, specs: list):
    "Measure the teachers NAME=PATH and add them to the record `out`, in the order of their p; the rows already there are kept."
    if not out.exists(): raise SystemExit(f"--add needs an existing record; {out} does not exist: run without --add first.")
    if not specs: raise SystemExit("--add measures the teachers given with --teacher NAME=PATH; none was given.")
    rec = json.loads(out.read_text()); data = {}
    for spec in specs:
        name, path = spec.rsplit('=', 1); T = load_teacher(path); size = LARGE if T.p == 65 else SIZE
        if size not in data: data[size] = texture_data(size)
        r = measure(T, data[size]); r['p'] = T.p; r['image_size'] = size; r['date'] = time.strftime('%Y-%m-%d')
        if getattr(T, 'config', None) is not None: r['config'] = asdict(T.config)   # how it was pre-trained
        rec['teachers'][f'p = {T.p}: {name}'] = r
        print(f"p = {T.p}, {name}: effective rank {r['mean_effective_rank']:.1f}, nearest-descriptor PRO-AUC {r['mean_pro_auc']:.3f}", flush=True)
    rec['teachers'] = dict(sorted(rec['teachers'].items(), key=lambda kv: kv[1]['p']))
    out.write_text(json.dumps(rec, indent=1) + '\n')

if __name__ == '__main__': main()
