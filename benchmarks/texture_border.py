"""The border rule: what fills the context outside the image, chosen on development textures.

    python benchmarks/texture_border.py --out nbs/results/texture_border.json    # about 40 minutes on two cores; resumes

The candidates: the context outside the image filled with zeros (black, the project's filling until this record),
with the edge pixel replicated, or with the image reflected at its edge (`fdfe.BORDERS`), each for teacher and
students alike; and, for each filling, the same model with its validation statistics taken inside the band only (the
pixels farther than (p - 1) / 2 from every edge, whose patches stay inside the image). Measured on development
categories of the three real textures (`make_texture_category(development=True)`: every image, the test images
included, cut from the photographs' training region; no pixel of a benchmark test image) at 128 x 128, p = 33, the
students of the teacher study (`STUDENTS`: M = 3, 5 epochs) from the shipped teacher, two student seeds. Reported per
texture and seed: PRO-AUC of e~ + v~, of e~ and of v~, and, on the anomaly-free test images, the mean v~ within the
band and inside it (the frame). The rule, fixed before the full run: the candidates are taken in order of
simplicity, zeros (the filling until this record), replicate (it takes images of any size), reflect (it refuses
images no larger than the context), then each of these with the statistics inside the band; each replaces the choice
so far if its mean development PRO-AUC of e~ + v~ beats it by more than the standard error of their paired
differences (textures x seeds).
"""
import argparse, json, sys, time
from pathlib import Path
import numpy as np
import torch
sys.path.insert(0, str(Path(__file__).resolve().parent))
from teacher_imagenet import texture_data, STUDENTS
from texture_parts import standardised
from ustudents.fdfe import BORDERS
from ustudents.teacher import offline_teacher
from ustudents.students import StudentConfig
from ustudents.score import fit, anomaly_map, padding_band
from ustudents.metrics import pro_auc
from ustudents.experiment import write_json
from ustudents.core import machine, amp_dtype

P = 33
BAND_STATS = 'statistics inside the band'

def candidates(rec: dict) -> dict:
    "{candidate: [PRO-AUC of e~ + v~ per (texture, seed)]}, in one order for every candidate."
    runs = rec['runs']; keys = sorted(set.intersection(*(set(runs.get(b, {})) for b in BORDERS)))  # done for all
    out = {b: [runs[b][k]['e~ + v~'] for k in keys] for b in BORDERS}
    out.update({f'{b}, {BAND_STATS}': [runs[b][k][f'e~ + v~, {BAND_STATS}'] for k in keys] for b in list(out)})
    return out

def choose(rec: dict) -> dict:
    "The rule of the docstring, applied to the record."
    c = candidates(rec); chosen, steps = 'zeros', []
    for k in list(c)[1:]:                                   # in order of simplicity
        diff = np.array(c[k]) - np.array(c[chosen])
        se = float(diff.std(ddof=1) / np.sqrt(len(diff))) if len(diff) > 1 else float('inf')
        steps.append(dict(candidate=k, against=chosen, difference=round(float(diff.mean()), 4),
                          standard_error=round(se, 4)))
        if diff.mean() > se: chosen = k
    rule = __doc__.split('The rule, fixed before the full run: ')[1].split('\n\n')[0].replace('\n', ' ')
    return dict(pairs=len(c['zeros']), rule=rule,
                mean={k: round(float(np.mean(v)), 4) for k, v in c.items()}, steps=steps, chosen=chosen)

def main(out: Path, seeds=(0, 1), size: int = 128, cfg: StudentConfig = STUDENTS):
    data = texture_data(size, 128, development=True); side = cfg.image_size
    teacher = offline_teacher(P).float().eval()
    rec = (json.loads(out.read_text()) if out.exists() else
           dict(date=time.strftime('%Y-%m-%d'), machine=machine('cpu', amp_dtype('cpu')), p=P, image_size=side,
                students=cfg.__dict__, seeds=list(seeds), protocol=__doc__.split('\n\n')[2].replace('\n', ' '),
                runs={}, seconds=0.0))
    b = padding_band(P, side)
    for seed in seeds:                       # a seed for every candidate before the next seed
        for border in BORDERS:
            for tex, (tr, va, te, masks, kinds) in data.items():
                key = f'{tex}|{seed}'
                if key in rec['runs'].get(border, {}): continue
                t0 = time.perf_counter(); torch.manual_seed(seed)
                model = fit([teacher], tr, va, StudentConfig(**{**cfg.__dict__, 'seed': seed, 'border': border,
                                                               'calibration': 'image'}),
                            progress=False)
                r, rv = anomaly_map(model, te, parts=True), anomaly_map(model, va, parts=True)
                et, vt, good = r['e_tilde'][P], r['v_tilde'][P], torch.from_numpy(kinds == 'good')
                # the band left out of the validation statistics: e and v standardised on the inside's pixels only
                inner = standardised(r['e'][P], rv['e'][P][:, ~b]) + standardised(r['v'][P], rv['v'][P][:, ~b])
                pro = lambda m: round(float(pro_auc(m.numpy(), masks)), 4)
                rec['runs'].setdefault(border, {})[key] = {
                    'e~ + v~': pro(et + vt), 'e~': pro(et), 'v~': pro(vt), f'e~ + v~, {BAND_STATS}': pro(inner),
                    'v~ on good images, band': round(float(vt[good][:, b].mean()), 3),
                    'v~ on good images, inside': round(float(vt[good][:, ~b].mean()), 3)}
                rec['seconds'] = round(rec['seconds'] + time.perf_counter() - t0, 1)
                print(border, key, json.dumps(rec['runs'][border][key]), flush=True)
                write_json(out, rec)
    rec['chosen'] = choose(rec); write_json(out, rec); print(json.dumps(rec['chosen'], indent=1))

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--out', type=Path, default=Path('nbs/results/texture_border.json'))
    ap.add_argument('--smoke', action='store_true',
                    help='a tiny run that checks the script (64 px, one epoch, one seed)')
    a = ap.parse_args()
    if a.smoke:
        main(a.out, seeds=(0,), size=64, cfg=StudentConfig(**{**STUDENTS.__dict__, 'epochs': 1, 'image_size': 64}))
    else: main(a.out)
