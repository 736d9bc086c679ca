"""What each part of the score and each scale adds on the real textures, and where the border frame comes from.

    python benchmarks/texture_parts.py --out nbs/results/texture_parts.json    # about 30 minutes on two cores

The multi-scale students of the teacher study (`benchmarks/teacher_imagenet.py multiscale`, its row 'ImageNet-distilled
(recipe imagenet)': the shipped teachers at p = 17, 33 and 65, M = 3 students of seed 0 for 5 epochs on 20 training images
per texture at 128 x 128), trained again, their maps kept in parts. PRO-AUC per texture of e~, v~ and e~ + v~ at each p,
and of the mean over the three scales of each (the last is the model's score, the study's number). The frame: on the
anomaly-free test images, the share of the image within (p - 1) / 2 pixels of an edge (where a pixel's patch reaches into
the zero padding) and the mean e~ and v~ there and inside; and, beside it, PRO-AUC of e~ + v~ when the validation
statistics leave that band out. The border rule is not chosen from these numbers: they are the benchmark's test images.
"""
import argparse, json, sys, time
from pathlib import Path
import numpy as np
import torch
sys.path.insert(0, str(Path(__file__).resolve().parent))
from teacher_imagenet import texture_data, STUDENTS, N
from ustudents.teacher import offline_teacher
from ustudents.students import StudentConfig
from ustudents.score import fit, anomaly_map, padding_band
from ustudents.metrics import pro_auc
from ustudents.experiment import write_json
from ustudents.core import machine, amp_dtype

PS = (17, 33, 65)

def standardised(x: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
    "x in the mean and standard deviation of ref's values."
    return (x - ref.double().mean().float()) / ref.double().std(unbiased=False).float()

def main(out: Path):
    data = texture_data(128, 128); side = STUDENTS.image_size
    teachers = [offline_teacher(p).float().eval() for p in PS]
    rec = dict(date=time.strftime('%Y-%m-%d'), machine=machine('cpu', amp_dtype('cpu')), p=list(PS), image_size=side,
               students=STUDENTS.__dict__, **N, protocol=__doc__.split('\n\n')[2].replace('\n', ' '), textures={})
    t0 = time.perf_counter()
    for tex, (tr, va, te, masks, kinds) in data.items():
        torch.manual_seed(0)
        model = fit(teachers, tr, va, StudentConfig(**{**STUDENTS.__dict__, 'seed': 0}), progress=False)
        r, rv = anomaly_map(model, te, parts=True), anomaly_map(model, va, parts=True)
        good = torch.from_numpy(kinds == 'good')
        pro = lambda m: round(float(pro_auc(m.numpy(), masks)), 4)
        row = {}
        for p in PS:
            et, vt = r['e_tilde'][p], r['v_tilde'][p]
            b = padding_band(p, side)
            # the band left out of the validation statistics: e and v standardised on the inside's pixels only
            inner = standardised(r['e'][p], rv['e'][p][:, ~b]) + standardised(r['v'][p], rv['v'][p][:, ~b])
            row[str(p)] = {'e~': pro(et), 'v~': pro(vt), 'e~ + v~': pro(et + vt),
                           'e~ + v~, statistics inside the band only': pro(inner),
                           'share of the image in the band': round(float(b.float().mean()), 3),
                           **{f'{k} on good images, {w}': round(float(t[good][:, b if w == 'band' else ~b].mean()), 3)
                              for k, t in (('e~', et), ('v~', vt)) for w in ('band', 'inside')}}
        mean = lambda k: torch.stack([r[k][p] for p in PS]).mean(0)
        row['multi-scale'] = {'e~': pro(mean('e_tilde')), 'v~': pro(mean('v_tilde')), 'e~ + v~': pro(r['score'])}
        rec['textures'][tex] = row
        print(tex, json.dumps(row), flush=True)
        rec['seconds'] = round(time.perf_counter() - t0, 1); write_json(out, rec)
    keys = [(s, k) for s in [*map(str, PS), 'multi-scale'] for k in rec['textures'][tex][s] if k.startswith(('e~', 'v~'))
            and 'good images' not in k]
    rec['mean'] = {s: {k: round(float(np.mean([rec['textures'][t][s][k] for t in rec['textures']])), 4)
                       for s2, k in keys if s2 == s} for s in [*map(str, PS), 'multi-scale']}
    write_json(out, rec); print(json.dumps(rec['mean'], indent=1))

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--out', type=Path, default=Path('nbs/results/texture_parts.json'))
    main(ap.parse_args().out)
