"""The students of the one-class run on real digits, measured to convergence on development data (never the test).

    python benchmarks/oneclass_curves.py --out nbs/results/oneclass_curves.json   # resumable: finished runs are kept

For a few classes chosen before looking (a seeded draw), students (p = 33, M = 5, the shipped teacher) train on the
class's development split (`mnist5k_development`: 320 training digits, of which a tenth holds out for the validation
statistics; 80 held-out training digits of the class and 80 digits of other classes, none of them a test digit). After
the epochs in `--at`, the model is calibrated and scores the development digits: ROC AUC of the full score (e~ + v~),
of e~ alone and of v~ alone (each reduced by the map's mean, the one-class rule), and the held-out regression error
(the mean e on the development normals). Beside them, on the same digits, 1-NN on pixels and 1-NN on the shipped
teacher's dense descriptors. Runs vary one setting at a time from the base: epochs (the curve), training digits,
learning rate, batch size. Each finished run is written at once, so an interrupted study resumes.

The rule that chooses the ten-class run's budget, fixed before the curves were read: of the epoch counts measured on the
base curve, the one with the highest mean development ROC AUC of the full score over the drawn classes; where two are
within one standard error of the classes' paired differences, the shorter.
"""
import argparse, json, time
from pathlib import Path
import numpy as np
import torch
from ustudents.data import mnist5k_development, split_train, MNIST5K_DEV
from ustudents.teacher import offline_teacher, offline_teachers
from ustudents.students import StudentConfig, train_students, Students
from ustudents.score import Scale, UninformedStudents, calibrate, anomaly_map
from ustudents.metrics import image_auroc, image_score, IMAGE_SCORE
from ustudents.experiment import write_json, nearest_neighbour_score
from ustudents.fdfe import dense_network
from ustudents.core import machine, amp_dtype, precision_name

P = 33
CLASSES = tuple(int(c) for c in np.sort(np.random.default_rng(0).choice(10, 3, replace=False)))  # drawn, not chosen
BASE = dict(M=5, epochs=3, batch_size=8, lr=1e-3, weight_decay=1e-5, image_size=32, n_train=None)

def score_dev(S, mu, sigma, teacher, val, dev, amp):
    "ROC AUC on the development digits of e~ + v~, e~ and v~ (the map's mean), and the held-out error."
    # a 32-pixel digit has no interior at p = 33: the statistics over the whole image
    model = calibrate(UninformedStudents([Scale(teacher, S, mu, sigma)]).eval(), val, amp=amp, region='image')
    out = anomaly_map(model, dev.images, parts=True, batch_size=32, amp=amp)
    et, vt, e = out['e_tilde'][P], out['v_tilde'][P], out['e'][P]
    auc = lambda m: round(float(image_auroc(image_score(m, IMAGE_SCORE), dev.labels)), 4)
    return dict(us=auc(out['score']), e_tilde=auc(et), v_tilde=auc(vt),
                held_out_error=round(float(e[dev.labels == 0].mean()), 3))

def baselines(teacher, train, dev):
    "1-NN on pixels and on the teacher's dense descriptors, on the same development digits."
    auc = lambda **kw: round(float(image_auroc(nearest_neighbour_score(train.images, dev.images, **kw), dev.labels)), 4)
    return {'1-NN pixels': auc(), '1-NN teacher': auc(network=dense_network(teacher).eval())}

def run(teacher, cls, cfg, at, amp):
    train, dev = mnist5k_development(cls)
    x = train.images if cfg['n_train'] is None else train.images[:cfg['n_train']]
    tr_idx, val_idx = split_train(list(range(len(x))), 0.1, 0)
    tr, val = x[tr_idx], x[val_idx]
    sc = StudentConfig(**{k: v for k, v in cfg.items() if k != 'n_train'})
    curve, t0, spent = [], time.perf_counter(), [0.0]
    def on_epoch(state):
        if state['epoch'] not in at: return
        s0 = time.perf_counter()
        S = Students(P, sc.M, sc.alignment, arch=teacher.arch); S.load_state_dict(state['students'])
        r = score_dev(S.eval(), state['mu'], state['sigma'], teacher, val, dev, amp)
        spent[0] += time.perf_counter() - s0
        curve.append(dict(epoch=state['epoch'], train_loss=round(float(np.mean(state['history'][-1])), 3),
                          seconds=round(time.perf_counter() - t0 - spent[0], 1), **r))
        print(f"  class {cls} {cfg_key(cfg)} epoch {state['epoch']}: {curve[-1]}", flush=True)
    torch.manual_seed(0)
    train_students(teacher, tr, sc, progress=False, on_epoch=on_epoch, amp=amp)
    return dict(config=cfg, n_train=len(tr), n_val=len(val), curve=curve)

def choose(rec) -> dict:
    "The rule of the docstring, applied to the base curves: the chosen epoch count and the means it compared."
    base = [r for k, r in rec['runs'].items() if r['config'] == {**BASE, 'epochs': r['config']['epochs']}]
    if {r['normal_class'] for r in base} != set(CLASSES): return {}
    at = sorted(set.intersection(*[{c['epoch'] for c in r['curve']} for r in base]))
    us = np.array([[next(c['us'] for c in r['curve'] if c['epoch'] == e) for e in at] for r in base])   # (classes, at)
    best = int(us.mean(0).argmax())
    se = lambda j: float(np.std(us[:, best] - us[:, j], ddof=1) / np.sqrt(len(us)))
    pick = next(j for j in range(len(at)) if us[:, best].mean() - us[:, j].mean() <= se(j))
    return dict(rule=__doc__.split('\n\n')[3].replace('\n', ' '), epochs=at[pick],
                mean_us={str(e): round(float(m), 4) for e, m in zip(at, us.mean(0))})

def cfg_key(cfg): return ','.join(f'{k}={v}' for k, v in cfg.items() if BASE.get(k) != v or k == 'epochs')

def main(out, epochs, at, variants, classes):
    out = Path(out); rec = json.loads(out.read_text()) if out.exists() else {}
    teacher = offline_teacher(P); amp = 'auto'
    rec.update(protocol=__doc__.split('\n\n')[2].replace('\n', ' '), base=BASE,
               teacher=offline_teachers()[P]['sha256'], n_dev=2 * MNIST5K_DEV, image_score=IMAGE_SCORE,
               precision=precision_name(amp_dtype('cpu', amp)))
    rec.setdefault('baselines', {}); rec.setdefault('runs', {}); rec['drawn_classes'] = list(CLASSES)
    for cls in classes:
        if str(cls) not in rec['baselines']:
            rec['baselines'][str(cls)] = baselines(teacher, *mnist5k_development(cls))
            write_json(out, rec)
        print(f"class {cls}: {rec['baselines'][str(cls)]}", flush=True)
    for v in variants:
        cfg = {**BASE, **v, 'epochs': epochs if 'epochs' not in v else v['epochs']}
        for cls in classes:
            key = f"{cls}|{cfg_key(cfg)}"
            if key in rec['runs']: continue
            pts = [a for a in at if a <= cfg['epochs']]
            rec['runs'][key] = dict(normal_class=cls, **run(teacher, cls, cfg, pts, amp))
            rec['machine'] = machine('cpu', amp_dtype('cpu', amp))
            write_json(out, rec)
    rec['chosen'] = choose(rec); write_json(out, rec); print('chosen:', rec['chosen'])

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--out', default='nbs/results/oneclass_curves.json')
    ap.add_argument('--epochs', type=int, default=24)
    ap.add_argument('--at', default='1,2,3,4,6,8,12,16,24,32,48')
    ap.add_argument('--variants', default='base', help="'base' or a JSON list of settings to vary, e.g. "
                    '\'[{"lr": 3e-4}, {"n_train": 72, "epochs": 12}]\'')
    ap.add_argument('--classes', default=','.join(map(str, CLASSES)))
    a = ap.parse_args()
    main(a.out, a.epochs, [int(e) for e in a.at.split(',')], [{}] if a.variants == 'base' else json.loads(a.variants),
         [int(c) for c in a.classes.split(',')])
