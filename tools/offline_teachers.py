"""Pre-train the teachers that ship with the package (ustudents/teachers/) and record them in offline.json.

    python tools/offline_teachers.py --variant metric --iterations 300              # on this machine's CPU
    python tools/offline_teachers.py --variant metric --iterations 6000 --device cuda --out DIR
    python tools/offline_teachers.py --iterations 1000 --patch-sizes 17 --state S --out DIR   # resumable; later --iterations 2000 continues

Variants (all offline: no download, no ImageNet):
    metric   metric learning and compactness only (lambda_k = 0): no P at all
    random-p knowledge distillation of a randomly initialised ResNet-18, with compactness
Both use the squared compactness loss: with nothing else to keep the descriptors apart, the paper's signed form lets them
collapse onto one direction (half the components +u, half -u reaches its bound -d; measured in 02_teacher). The metric
variant weighs it by 0.002, which puts lambda_c * L_c (about 10^3 at batch 64) on the scale of L_m (about 1).
Each teacher is saved in float16 with its configuration and provenance; offline.json records file, checksum and provenance.
"""
import argparse, hashlib, json, time
from pathlib import Path
import torch
from ustudents.data import sample_photographs
from ustudents.teacher import TeacherConfig, pretrain_teacher, save_teacher, PATCH_SIZES

VARIANTS = {'metric': dict(lambda_k=0.0, lambda_m=1.0, lambda_c=0.002, p_weights=None, compactness='squared'),   # lambda_c: squared L_c sits near 10^3 at batch 64, L_m near 1
            'random-p': dict(lambda_k=1.0, lambda_m=0.0, lambda_c=1.0, p_weights=None, compactness='squared')}
SHIPPED = Path(__file__).resolve().parents[1] / 'ustudents' / 'teachers'

def train(variant: str, p: int, iterations: int, device='cpu', num_workers=0, amp='auto', batch_size=64, progress=True, state=None, **kw):
    "One offline teacher of `variant` for receptive field p; with `state` (a folder), resumable and extendable to more iterations."
    cfg = TeacherConfig(p=p, iterations=iterations, batch_size=batch_size, **{**VARIANTS[variant], **kw})
    t0 = time.perf_counter()
    ckpt = Path(state) / f'{variant}_p{p}_state.pt' if state else None
    T, hist = pretrain_teacher(cfg, sample_photographs(), device=device, progress=progress, num_workers=num_workers, amp=amp, log_every=50,
                               checkpoint=ckpt, checkpoint_every=100)
    T.provenance = dict(T.provenance, variant=variant, images='scikit-learn and scikit-image sample photographs', seconds=round(time.perf_counter() - t0, 1),
                        final_losses={k: round(hist[-1][k], 4) for k in ('k', 'm', 'c')}, device=str(device),
                        note='pre-trained offline without ImageNet: for trying the method and for the docs, not for the paper\'s numbers')
    return T.cpu(), hist

def ship(teachers: dict, folder: Path = SHIPPED):
    "Save {p: teacher} in float16 into `folder` and write offline.json with their checksums."
    folder.mkdir(parents=True, exist_ok=True); info = {}
    for p, T in sorted(teachers.items()):
        f = folder / f'offline_p{p}.pt'; save_teacher(T, f, half=True)
        info[str(p)] = dict(file=f.name, sha256=hashlib.sha256(f.read_bytes()).hexdigest(), provenance=T.provenance)
    (folder / 'offline.json').write_text(json.dumps(info, indent=1) + '\n')
    return info

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--variant', choices=VARIANTS, default='metric'); ap.add_argument('--iterations', type=int, default=300)
    ap.add_argument('--device', default='cpu'); ap.add_argument('--num-workers', type=int, default=0)
    ap.add_argument('--out', type=Path, default=SHIPPED); ap.add_argument('--patch-sizes', type=int, nargs='+', default=list(PATCH_SIZES))
    ap.add_argument('--state', type=Path, help='folder for the pre-training states: an interrupted run resumes, and a larger --iterations continues a finished one')
    a = ap.parse_args()
    if a.state: a.state.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    teachers = {p: train(a.variant, p, a.iterations, a.device, a.num_workers, state=a.state)[0] for p in a.patch_sizes}
    print(json.dumps(ship(teachers, a.out), indent=1))
