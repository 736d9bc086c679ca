"""The students on the textures, measured to convergence on development data: PRO-AUC against epochs and images.

    python benchmarks/texture_curves.py --out nbs/results/texture_curves.json   # about an hour on two cores; resumes

On development categories of the three real textures (`make_texture_category(development=True)`: every image cut from
the photographs' training region, no pixel of a benchmark test image) at 128 x 128, the students of the teacher study
(`STUDENTS`: M = 3, batch 2, lr 1e-3; the context `fdfe.BORDER` and the statistics `fdfe.CALIBRATION`, as the border
rule chose) train from the shipped teacher at p = 17, 33 and 65, seed 0. After each epoch in `--at` they are
calibrated on the category's validation images and score its test images: PRO-AUC of e~ + v~, of e~ and of v~, with
the mean training loss of that epoch. Beside the epoch curves on all training
images, the same at p = 33 on a quarter and on half of them (the first images of the training split). Each finished
run is written at once, so an interrupted study resumes.

The rule that chooses the study's budget, fixed before the curves were read: of the epoch counts measured on the curves
with all training images, the one with the highest mean development PRO-AUC of e~ + v~ over textures x receptive fields;
where a shorter one is within one standard error of their paired differences, the shortest such.
"""
import argparse, json, sys, time
from pathlib import Path
import numpy as np
import torch
sys.path.insert(0, str(Path(__file__).resolve().parent))
from teacher_imagenet import texture_data, STUDENTS
from ustudents.teacher import offline_teacher
from ustudents.students import StudentConfig, Students, train_students
from ustudents.score import Scale, UninformedStudents, calibrate, anomaly_map
from ustudents.metrics import pro_auc
from ustudents.experiment import write_json
from ustudents.fdfe import BORDER, CALIBRATION
from ustudents.core import machine, amp_dtype

PS = (17, 33, 65)
SHARES = (0.25, 0.5)      # of the training images, at p = 33

def score_dev(S, mu, sigma, teacher, va, te, masks, region) -> dict:
    "PRO-AUC on the development test images of e~ + v~, e~ and v~, the model calibrated on `va`."
    model = calibrate(UninformedStudents([Scale(teacher, S, mu, sigma)]).eval(), va, region=region)
    r = anomaly_map(model, te, parts=True); p = teacher.p
    pro = lambda m: round(float(pro_auc(m.numpy(), masks)), 4)
    return {'e~ + v~': pro(r['score']), 'e~': pro(r['e_tilde'][p]), 'v~': pro(r['v_tilde'][p])}

def run(teacher, data, cfg: StudentConfig, at, n_train=None) -> dict:
    "One training run, scored after every epoch in `at`: {'n_train', 'curve': [{epoch, train_loss, seconds, ...}]}."
    tr, va, te, masks, _ = data
    tr = tr if n_train is None else tr[:n_train]
    curve, t0, spent = [], time.perf_counter(), [0.0]
    def on_epoch(state):
        if state['epoch'] not in at: return
        s0 = time.perf_counter()
        S = Students(teacher.p, cfg.M, cfg.alignment, arch=teacher.arch, border=cfg.border)
        S.load_state_dict(state['students'])
        r = score_dev(S.eval(), state['mu'], state['sigma'], teacher, va, te, masks, cfg.calibration)
        spent[0] += time.perf_counter() - s0
        curve.append(dict(epoch=state['epoch'], train_loss=round(float(np.mean(state['history'][-1])), 3),
                          seconds=round(time.perf_counter() - t0 - spent[0], 1), **r))
    torch.manual_seed(cfg.seed)
    train_students(teacher, tr, cfg, progress=False, on_epoch=on_epoch)
    return dict(n_train=len(tr), curve=curve)

def choose(rec: dict) -> dict:
    "The rule of the docstring, applied to the curves with all training images."
    full = [r for k, r in rec['runs'].items() if r['share'] == 1]
    at = sorted(set.intersection(*[{c['epoch'] for c in r['curve']} for r in full]))
    pro = np.array([[next(c['e~ + v~'] for c in r['curve'] if c['epoch'] == e) for e in at]
                    for r in full])                                                               # (runs, at)
    best = int(pro.mean(0).argmax())
    se = lambda j: (float(np.std(pro[:, best] - pro[:, j], ddof=1) / np.sqrt(len(pro))) if len(pro) > 1
                    else float('inf'))                # one pair has no spread: nothing is resolved, the shortest
    pick = next(j for j in range(len(at)) if pro[:, best].mean() - pro[:, j].mean() <= se(j))
    rule = __doc__.split('The rule that chooses the study\'s budget, fixed before the curves were read: ')[1]
    return dict(rule=rule.strip().replace('\n', ' '), pairs=len(pro), epochs=at[pick], best=at[best],
                mean={str(e): round(float(m), 4) for e, m in zip(at, pro.mean(0))})

def main(out: Path, epochs: int, at: list, ps=PS, shares=SHARES, size: int = 128, cfg: StudentConfig = STUDENTS):
    data = texture_data(size, 128, development=True)
    cfg = StudentConfig(**{**cfg.__dict__, 'epochs': epochs, 'border': BORDER, 'calibration': CALIBRATION})
    rec = (json.loads(out.read_text()) if out.exists() else
           dict(date=time.strftime('%Y-%m-%d'), machine=machine('cpu', amp_dtype('cpu')), image_size=cfg.image_size,
                students=cfg.__dict__, protocol=__doc__.split('\n\n')[2].replace('\n', ' '), runs={}, seconds=0.0))
    jobs = [(33, 1)] * (33 in ps) + [(33, s) for s in shares] + [(p, 1) for p in ps if p != 33]  # p = 33 first
    for p, share in jobs:
        teacher = offline_teacher(p).float().eval()
        for tex, d in data.items():
            key = f'{tex}|p={p}|share={share}'
            if key in rec['runs']: continue
            t0 = time.perf_counter()
            n = None if share == 1 else max(1, round(share * len(d[0])))
            rec['runs'][key] = dict(texture=tex, p=p, share=share, **run(teacher, d, cfg, at, n))
            rec['seconds'] = round(rec['seconds'] + time.perf_counter() - t0, 1)
            print(key, json.dumps(rec['runs'][key]['curve'][-1]), flush=True)
            write_json(out, rec)
    rec['chosen'] = choose(rec); write_json(out, rec); print(json.dumps(rec['chosen'], indent=1))

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--out', type=Path, default=Path('nbs/results/texture_curves.json'))
    ap.add_argument('--epochs', type=int, default=10)
    ap.add_argument('--at', default='1,2,3,5,7,10')
    ap.add_argument('--smoke', action='store_true', help='a tiny run that checks the script (64 px, 2 epochs, p = 17)')
    a = ap.parse_args()
    if a.smoke:
        main(a.out, 2, [1, 2], ps=(17,), shares=(), size=64,
             cfg=StudentConfig(**{**STUDENTS.__dict__, 'image_size': 64}))
    else: main(a.out, a.epochs, [int(e) for e in a.at.split(',')])
