"""The ImageNet-distilled teachers, measured: which compactness form, and what distillation buys the students.

    python benchmarks/teacher_imagenet.py forms --out nbs/results/teacher_forms.json     # p = 17, three forms: about 25 minutes on two cores
    python benchmarks/teacher_imagenet.py development --out nbs/results/teacher_forms.json  # the rule: students on development data, about 30 minutes
    python benchmarks/teacher_imagenet.py study --out nbs/results/teacher_imagenet.json  # the student study at 128 x 128: about 40 minutes
    python benchmarks/teacher_imagenet.py synthetic --out nbs/results/teacher_imagenet.json   # the same on the synthetic textures: about 20 minutes
    python benchmarks/teacher_imagenet.py multiscale --out nbs/results/teacher_imagenet.json  # multi-scale, p = 17 + 33 + 65: about 60 minutes

forms: the shipped recipe (tools/offline_teachers.py, variant imagenet) at p = 17 with each compactness form, the paper's signed sum,
the absolute and the squared one. For each, measured without any label: the training losses; how much of P's feature a linear map
can read back from the teacher's descriptor on patches the teacher never saw (least squares fitted on 4 096 fresh patches,
evaluated on 2 048 others: the share of P's variance left unexplained, 0 = all of it carried); the effective rank of the
descriptors on those patches and on the textures' training images. Then, reported beside them and not used to choose, the
students' PRO-AUC at 64 x 64 on the three textures (p = 17, M = 3). A first rule chose the form by those label-free measurements
(the one that carries most of P's feature, unless its descriptors collapse: effective rank below COLLAPSED); it is kept in the
record as `proxy_choice`, because the proxies did not rank the forms as the students did.

development: the rule that chooses. The same students (two seeds) on development categories cut from the photographs' training
region alone (make_texture_category(development=True): no pixel of a benchmark test image), for each form and an untrained
teacher; the form with the highest mean PRO-AUC there is `chosen`.

study: on the three real textures at 128 x 128 (crops of 128 pixels: the photograph's own scale), the same students (p = 33, M = 3,
STUDENTS) on an untrained teacher (seeds 0 and 1), on the no-P teacher shipped before (variant metric, benchmarks/teachers/), and
on the shipped ImageNet-distilled teacher (students of two seeds), and, as an ablation, on the same recipe with the other
compactness form that `development` weighed and did not choose; beside them two references that need no students: a Gaussian on EfficientNet-Lite0's
own features (what distillation can at best carry) and the local-statistics baseline. PRO-AUC per texture and per defect.

synthetic: the study at p = 33 on the synthetic textures of the quick experiments (TEXTURES, make_synthetic_mvtec) at 128 x 128,
with the same counts: untrained (seed 0), no-P and shipped teachers, and the two references. Kept in the record under `synthetic`.

multiscale: the paper's multi-scale model (students at p = 17, 33 and 65, their normalised scores averaged) on the three real
textures at 128 x 128: three untrained teachers (seed 0), the three no-P teachers shipped before (benchmarks/teachers/), the three
shipped ones. Kept under `multiscale`. Every phase keeps a row whose teachers (their provenance) and student seed are unchanged.
"""
import argparse, json, tempfile, time
from pathlib import Path
import numpy as np
import torch
import torch.nn.functional as F
ROOT = Path(__file__).resolve().parents[1]
from ustudents.patches import sample_photographs, NaturalPatches
from ustudents.data import (make_texture_category, make_synthetic_mvtec, TEXTURES, MVTecAD, preload, REAL_TEXTURES,
                            DEFECTS)
from ustudents.imagenet import PretrainedP, lite0_classifier, IMAGENET_MEAN, IMAGENET_STD
from ustudents.teacher import (patch_network, offline_teacher, load_teacher, save_teacher, effective_rank,
                               COMPACTNESS_FORMS, D_DESCRIPTOR)
from ustudents.core import machine, amp_dtype
from ustudents.fdfe import dense_network
from ustudents.students import StudentConfig
from ustudents.score import fit, anomaly_map
from ustudents.experiment import LocalStatistics
from ustudents.metrics import pro_auc
from ustudents.teacher import OFFLINE_RECIPES, pretrain_offline

COLLAPSED = 10        # an effective rank below this is a collapse (of 128 directions)
FORM_STUDENTS = StudentConfig(M=3, epochs=6, batch_size=2, lr=1e-3, image_size=64)
STUDENTS = StudentConfig(M=3, epochs=5, batch_size=2, lr=1e-3, image_size=128)
N = dict(n_train=20, n_test_good=8, n_per_defect=4)

def category_data(write, textures, size: int) -> dict:
    "{texture: (train, val, test images, masks, defect of each test image)}; `write(folder, texture)` writes each category and returns it."
    data = {}
    with tempfile.TemporaryDirectory() as D:
        for tex in textures:
            cat = write(D, tex)
            tr, va, te = (MVTecAD(D, cat.name, s, image_size=size, seed=0) for s in ('train', 'val', 'test'))
            data[tex] = (preload(tr), preload(va), preload(te), np.stack([te.original_mask(i).numpy() for i in range(len(te))]), np.array([d for *_, d in te.items]))
    return data

def texture_data(size: int, crop: int, development: bool = False) -> dict:
    "The real textures: crops of `crop` pixels of each photograph, resized to `size`."
    return category_data(lambda D, t: make_texture_category(D, t, size=size, crop=crop, seed=0, development=development, **N), REAL_TEXTURES, size)

def scores(maps: np.ndarray, masks: np.ndarray, kinds: np.ndarray) -> dict:
    "PRO-AUC of the maps over all test images, and per defect (the good images with one defect's)."
    return dict(all=pro_auc(maps, masks), **{k: pro_auc(maps[(kinds == 'good') | (kinds == k)], masks[(kinds == 'good') | (kinds == k)]) for k in DEFECTS})

def summary(per_texture: dict) -> dict:
    keys = next(iter(per_texture.values())).keys()
    return dict(textures=per_texture, mean={k: float(np.mean([v[k] for v in per_texture.values()])) for k in keys})

def students_score(teachers: list, data: dict, cfg: StudentConfig, seed: int = 0) -> dict:
    "The same students (seeded) on `teachers`, PRO-AUC per texture and per defect."
    out = {}
    for tex, (tr, va, te, masks, kinds) in data.items():
        torch.manual_seed(seed)
        model = fit(teachers, tr, va, StudentConfig(**{**cfg.__dict__, 'seed': seed}), progress=False)
        out[tex] = scores(anomaly_map(model, te).numpy(), masks, kinds)
    return summary(out)

class Lite0Gaussian:
    "A Gaussian on EfficientNet-Lite0's ImageNet features (stride 8 and 16, 40 + 112 channels, images upsampled 2x); score = Mahalanobis distance."
    def __init__(self): self.net = lite0_classifier('imagenet')
    @torch.no_grad()
    def features(self, x):                                  # (B, 3, H, W) -> (B, 152, 2H/8, 2W/8)
        x = F.interpolate(x, scale_factor=2, mode='bilinear', align_corners=False)
        x = (x - torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)) / torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
        n = self.net; x = n.bn1(n.conv_stem(x)); feats = []
        for i, b in enumerate(n.blocks[:5]):
            x = b(x)
            if i in (2, 4): feats.append(x)
        return torch.cat([feats[0], F.interpolate(feats[1], size=feats[0].shape[-2:], mode='bilinear', align_corners=False)], 1)
    def fit(self, train):
        f = torch.cat([self.features(x) for x in train.split(8)]).double().permute(0, 2, 3, 1).reshape(-1, 152)
        self.mean = f.mean(0); self.precision = torch.linalg.inv(torch.cov(f.T) + 1e-6 * torch.eye(152, dtype=f.dtype)); return self
    def __call__(self, x):
        f = torch.cat([self.features(b) for b in x.split(8)]).double().permute(0, 2, 3, 1) - self.mean
        d = (f @ self.precision * f).sum(-1).float()[:, None]                     # (B, 1, h, w)
        return F.interpolate(d, size=x.shape[-2:], mode='bilinear', align_corners=False)[:, 0]

def decodable(T, P, p: int, start: int = 10**6) -> dict:
    "How much of P's feature a least-squares linear map reads back from T-hat's descriptor on fresh patches; effective rank there."
    s = NaturalPatches(sample_photographs(), p, 64, seed=0)
    x = torch.stack([s.triplet(k)[0] for k in range(start, start + 6144)])
    with torch.no_grad():
        t = torch.cat([T(b) for b in x.split(512)]).double(); y = torch.cat([P(b) for b in x.split(256)]).double()
    A = torch.cat([t, torch.ones(len(t), 1, dtype=t.dtype)], 1)
    W = torch.linalg.lstsq(A[:4096], y[:4096]).solution
    res = (y[4096:] - A[4096:] @ W).pow(2).sum(); tot = (y[4096:] - y[4096:].mean(0)).pow(2).sum()
    return dict(unexplained=float(res / tot), effective_rank_patches=effective_rank(t[4096:].float()))

def forms(out: Path, cache: Path):
    P = PretrainedP('imagenet', OFFLINE_RECIPES['imagenet']['p_input_size'], OFFLINE_RECIPES['imagenet']['p_network'])
    data = texture_data(64, 128); rec = dict(date=time.strftime('%Y-%m-%d'), machine=machine('cpu', amp_dtype('cpu')),
                                             p=17, recipe=OFFLINE_RECIPES['imagenet'], students=FORM_STUDENTS.__dict__, collapsed_below=COLLAPSED, forms={})
    torch.manual_seed(0); U = patch_network(17).eval()
    rec['untrained'] = decodable(U, P, 17)                   # the reference: what a random network's descriptor carries
    print('untrained', json.dumps(rec['untrained']), flush=True)
    for form in COMPACTNESS_FORMS:
        f = cache / f'imagenet_{form}_p17.pt'
        if f.exists(): T = load_teacher(f)
        else: T, _ = pretrain_offline('imagenet', 17, compactness=form, progress=False); cache.mkdir(parents=True, exist_ok=True); save_teacher(T, f)
        T = T.float().eval()
        r = dict(decodable(T, P, 17), final_losses=T.provenance['final_losses'], seconds=T.provenance['seconds'], steps=T.provenance['steps'])
        with torch.no_grad(): y = torch.cat([dense_network(T)(v[0]) for v in data.values()])
        r['effective_rank_textures'] = effective_rank(y.permute(0, 2, 3, 1).reshape(-1, D_DESCRIPTOR)[::7])
        r['students'] = students_score([T], data, FORM_STUDENTS)
        rec['forms'][form] = r
        print(form, json.dumps({k: v for k, v in r.items() if k != 'students'}), 'students', json.dumps(r['students']['mean']), flush=True)
        out.write_text(json.dumps(rec, indent=1) + '\n')
    ok = {f: r for f, r in rec['forms'].items() if min(r['effective_rank_patches'], r['effective_rank_textures']) >= COLLAPSED}
    rec['chosen'] = min(ok, key=lambda f: ok[f]['unexplained']) if ok else None
    out.write_text(json.dumps(rec, indent=1) + '\n'); print('chosen:', rec['chosen'])

def development(out: Path, cache: Path, seeds=(0, 1)):
    "The forms' students on development categories (the photographs' training region only): the rule that chooses the form."
    rec = json.loads(out.read_text())
    data = texture_data(64, 128, development=True)
    torch.manual_seed(0); teachers = {'untrained': patch_network(17)}
    for form in COMPACTNESS_FORMS: teachers[form] = load_teacher(cache / f'imagenet_{form}_p17.pt')
    dev = rec.setdefault('development', {})
    for name, T in teachers.items():
        for seed in seeds:
            if str(seed) in dev.get(name, {}): continue
            r = students_score([T.float().eval()], data, FORM_STUDENTS, seed=seed)
            dev.setdefault(name, {})[str(seed)] = r; print(name, seed, json.dumps(r['mean']), flush=True)
            out.write_text(json.dumps(rec, indent=1) + '\n')
    mean = {f: float(np.mean([dev[f][str(s)]['mean']['all'] for s in seeds])) for f in COMPACTNESS_FORMS}
    rec['proxy_choice'] = rec.pop('chosen', rec.get('proxy_choice'))   # what the label-free rule chose, kept for the record
    rec['rule'] = 'the form whose students score the highest mean PRO-AUC on the development categories, over student seeds ' + str(list(seeds))
    rec['chosen'] = max(mean, key=mean.get)
    out.write_text(json.dumps(rec, indent=1) + '\n'); print('development means', json.dumps(mean), 'chosen:', rec['chosen'])

def form_teacher(p: int, form: str, cache: Path):
    "The shipped recipe with another compactness form: the ablation of the form `development` did not choose (cached)."
    f = cache / f'imagenet_{form}_p{p}.pt'
    if f.exists(): return load_teacher(f)
    T, _ = pretrain_offline('imagenet', p, compactness=form, progress=False); cache.mkdir(parents=True, exist_ok=True); save_teacher(T, f)
    return T

def _same(a, b) -> bool: return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)

def references(data: dict) -> dict:
    "The two references that need no students: a Gaussian on P's own features, and the local-statistics baseline."
    g = Lite0Gaussian()
    return {'Gaussian on Lite0 features': summary({t: scores(g.fit(tr)(te).numpy(), m, k) for t, (tr, va, te, m, k) in data.items()}),
            'local statistics': summary({t: scores(LocalStatistics().fit(tr, va)(te).numpy(), m, k) for t, (tr, va, te, m, k) in data.items()})}

def provenance(T): return getattr(T, 'provenance', None) or 'randomly initialised'

def measure(teachers: dict, data: dict, old: dict, save) -> dict:
    """Students on each of `teachers` ({name: (list of teachers, student seed)}); a row of `old` with the same teachers (their
    provenance) and student seed is kept, not recomputed (an untrained teacher only under its own name). `save(rows)` after each."""
    rows = {}
    for name, (Ts, seed) in teachers.items():
        prov = [provenance(T) for T in Ts]; prov = prov[0] if len(prov) == 1 else prov
        untrained = 'randomly initialised' in json.dumps(prov)
        kept = next((r for n, r in old.items() if _same(r['provenance'], prov) and r.get('student_seed', 0) == seed and (not untrained or n == name)), None)
        if kept: r = kept
        else:
            t0 = time.perf_counter(); r = students_score([T.float().eval() for T in Ts], data, STUDENTS, seed=seed); r['seconds'] = round(time.perf_counter() - t0, 1)
        forms = [getattr(getattr(T, 'config', None), 'compactness', None) for T in Ts]
        r.update(provenance=prov, student_seed=seed, compactness=forms[0] if len(set(forms)) == 1 else forms, p=[T.p for T in Ts])
        rows[name] = r; print(name, 'kept' if kept else 'measured', json.dumps(r['mean']), flush=True); save(rows)
    return rows

def drawn(p: int, seed: int): torch.manual_seed(seed); return patch_network(p)
def no_p(p: int): return load_teacher(ROOT / 'benchmarks' / 'teachers' / f'metric_p{p}.pt')

def header(p) -> dict:
    return dict(date=time.strftime('%Y-%m-%d'), machine=machine('cpu', amp_dtype('cpu')), p=p,
                image_size=128, crop=128, students=STUDENTS.__dict__, **N)

def study(out: Path, cache: Path, p: int = 33):
    "The student study on the real textures at p = 33."
    data = texture_data(128, 128)
    shipped = offline_teacher(p); other = next(f for f in COMPACTNESS_FORMS if f != shipped.config.compactness and f != 'absolute')
    teachers = {'untrained (seed 0)': ([drawn(p, 0)], 0), 'untrained (seed 1)': ([drawn(p, 1)], 0),
                'no P (recipe metric)': ([no_p(p)], 0),
                'ImageNet-distilled (recipe imagenet)': ([shipped], 0), 'ImageNet-distilled (recipe imagenet), students of seed 1': ([shipped], 1),
                f'ImageNet-distilled, {other} L_c (ablation)': ([form_teacher(p, other, cache)], 0)}
    old = json.loads(out.read_text()) if out.exists() else {}
    rec = {**old, **header(p), 'references': old.get('references', {}), 'teachers': {}}
    if not rec['references']:
        t0 = time.perf_counter(); rec['references'] = references(data); rec['references_seconds'] = round(time.perf_counter() - t0, 1)
    for name, r in rec['references'].items(): print(name, json.dumps(r['mean']), flush=True)
    def save(rows): rec['teachers'] = rows; out.write_text(json.dumps(rec, indent=1) + '\n')
    measure(teachers, data, old.get('teachers', {}), save)

def synthetic_data(size: int = 128) -> dict:
    "The synthetic textures, with the same counts as the real ones."
    return category_data(lambda D, t: make_synthetic_mvtec(D, f'synthetic_{t}', t, size=size, seed=0, **N), TEXTURES, size)

def synthetic(out: Path, cache: Path, p: int = 33):
    "The same study on the synthetic textures (the quick experiments' data) at 128 x 128, p = 33: untrained, no-P and shipped teachers."
    data = synthetic_data(128); rec = json.loads(out.read_text()); old = rec.get('synthetic', {})
    sec = {**header(p), 'textures': list(TEXTURES), 'references': old.get('references', {}), 'teachers': {}}
    if not sec['references']: sec['references'] = references(data)
    for name, r in sec['references'].items(): print(name, json.dumps(r['mean']), flush=True)
    teachers = {'untrained (seed 0)': ([drawn(p, 0)], 0), 'no P (recipe metric)': ([no_p(p)], 0), 'ImageNet-distilled (recipe imagenet)': ([offline_teacher(p)], 0)}
    def save(rows): sec['teachers'] = rows; rec['synthetic'] = sec; out.write_text(json.dumps(rec, indent=1) + '\n')
    measure(teachers, data, old.get('teachers', {}), save)

def multiscale(out: Path, cache: Path, ps=(17, 33, 65)):
    "The real-texture study with the paper's multi-scale model (p = 17, 33, 65 at 128 x 128, M students per scale): untrained, no-P, shipped."
    data = texture_data(128, 128); rec = json.loads(out.read_text()); old = rec.get('multiscale', {})
    sec = {**header(list(ps)), 'teachers': {}}
    teachers = {'untrained (seed 0)': ([drawn(p, 0) for p in ps], 0), 'ImageNet-distilled (recipe imagenet)': ([offline_teacher(p) for p in ps], 0),
                'no P (recipe metric)': ([no_p(p) for p in ps], 0)}
    def save(rows): sec['teachers'] = rows; rec['multiscale'] = sec; out.write_text(json.dumps(rec, indent=1) + '\n')
    measure(teachers, data, old.get('teachers', {}), save)

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('phase', choices=('forms', 'development', 'study', 'synthetic', 'multiscale')); ap.add_argument('--out', type=Path, required=True)
    ap.add_argument('--cache', type=Path, default=Path('/tmp/ustudents_imagenet'), help='where the forms phase keeps its teachers')
    a = ap.parse_args()
    dict(forms=forms, development=development, study=study, synthetic=synthetic, multiscale=multiscale)[a.phase](a.out, a.cache)
