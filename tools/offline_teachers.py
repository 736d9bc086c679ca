"""Pre-train the teachers that ship with the package (ustudents/teachers/) and record them in offline.json.

    python tools/offline_teachers.py                                   # the shipped teachers: ImageNet-distilled, on this machine's CPU
    python tools/offline_teachers.py --variant imagenet --device cuda --iterations 50000 --pool 0 --p-input-size 224 --out DIR   # the paper's budget on a GPU
    python tools/offline_teachers.py --patch-sizes 17 --state S --out DIR   # resumable; a later, larger --iterations continues

Variants (all offline: nothing is downloaded):
    imagenet  the paper's objective (lambda_k = lambda_c = 1, lambda_m = 0) distilling EfficientNet-Lite0, whose ImageNet weights
              install from the package registry (OFFLINE_P), through a pool of 16 384 patches per teacher whose P targets are
              computed once at 112 x 112 (`TeacherConfig.pool`, `p_input_size`), in bf16 autocast: the shipped teachers
    metric    metric learning and squared compactness only (lambda_k = 0, lambda_c = 0.002): no P at all; the teachers shipped
              before, kept for the teacher study (12_teachers)
    random-p  knowledge distillation of a randomly initialised ResNet-18, with squared compactness
Each teacher is saved in float16 with its configuration and provenance; offline.json records file, checksum, configuration and provenance.
"""
import argparse, hashlib, json, platform, time
from dataclasses import asdict
from pathlib import Path
import torch
from ustudents.data import sample_photographs
from ustudents.teacher import TeacherConfig, pretrain_teacher, save_teacher, PATCH_SIZES, OFFLINE_P

VARIANTS = {'imagenet': dict(lambda_k=1.0, lambda_m=0.0, lambda_c=1.0, p_weights='imagenet', p_network=OFFLINE_P, p_input_size=112, pool=16384,
                             compactness='squared'),   # chosen by benchmarks/teacher_imagenet.py forms (02_teacher)
            'metric': dict(lambda_k=0.0, lambda_m=1.0, lambda_c=0.002, p_weights=None, compactness='squared'),   # lambda_c: squared L_c sits near 10^3 at batch 64, L_m near 1
            'random-p': dict(lambda_k=1.0, lambda_m=0.0, lambda_c=1.0, p_weights=None, compactness='squared')}
ITERATIONS = {'imagenet': {17: 3000, 33: 4000, 65: 2000},          # what a 2-core CPU does in about 5, 6 and 10 minutes (bf16)
              'metric': {17: 600, 33: 400, 65: 150}, 'random-p': {17: 300, 33: 300, 65: 300}}
AMP = {'imagenet': True, 'metric': 'auto', 'random-p': 'auto'}    # bf16 autocast also on a CPU, where it is about twice as fast
SHIPPED = Path(__file__).resolve().parents[1] / 'ustudents' / 'teachers'
IMAGES = 'the photographs that ship with scikit-learn and scikit-image (ustudents.data.sample_photographs)'

def train(variant: str, p: int, iterations: int|None = None, device='cpu', num_workers=0, amp=None, batch_size=64, progress=True, state=None, **kw):
    "One offline teacher of `variant` for receptive field p; with `state` (a folder), resumable and extendable to more iterations."
    cfg = TeacherConfig(p=p, iterations=iterations or ITERATIONS[variant][p], batch_size=batch_size, **{**VARIANTS[variant], **kw})
    t0 = time.perf_counter()
    ckpt = Path(state) / f'{variant}_{cfg.compactness}_p{p}_state.pt' if state else None
    T, hist = pretrain_teacher(cfg, sample_photographs(), device=device, progress=progress, num_workers=num_workers, amp=AMP[variant] if amp is None else amp,
                               log_every=50, checkpoint=ckpt, checkpoint_every=500 if cfg.iterations % 500 == 0 else 50)
    T.provenance = dict(T.provenance, variant=variant, images=IMAGES, seconds=round(time.perf_counter() - t0, 1), batch=cfg.batch_size,
                        final_losses={k: round(hist[-1][k], 4) for k in ('k', 'm', 'c')},
                        device=f"{device}{f', {torch.get_num_threads()} threads, {platform.processor() or platform.machine()}' if str(device) == 'cpu' else ''}",
                        torch=str(torch.__version__), date=time.strftime('%Y-%m-%d'),
                        note={'imagenet': "distilled from an ImageNet network on a CPU with a shortened recipe (see the configuration): the paper's kind of teacher, not its budget"}.get(
                            variant, "pre-trained offline without ImageNet: for the teacher study, not for the paper's numbers"))
    return T.cpu(), hist

def ship(teachers: dict, folder: Path = SHIPPED, prefix: str = 'offline'):
    "Save {p: teacher} in float16 into `folder` and write offline.json (or `prefix`.json) with their checksums, configurations and provenance."
    folder.mkdir(parents=True, exist_ok=True); info = {}
    for p, T in sorted(teachers.items()):
        f = folder / f'{prefix}_p{p}.pt'; save_teacher(T, f, half=True)
        info[str(p)] = dict(file=f.name, sha256=hashlib.sha256(f.read_bytes()).hexdigest(), config=asdict(T.config), provenance=T.provenance)
    (folder / f'{prefix}.json').write_text(json.dumps(info, indent=1) + '\n')
    return info

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--variant', choices=VARIANTS, default='imagenet')
    ap.add_argument('--iterations', type=int, help="steps per teacher (default: the variant's ITERATIONS)")
    ap.add_argument('--compactness', choices=('signed', 'absolute', 'squared'), help="the compactness form (default: the variant's)")
    ap.add_argument('--pool', type=int, help="patches in the pool, 0 for fresh patches every step (default: the variant's)")
    ap.add_argument('--p-input-size', type=int, help="side P sees a patch at (default: the variant's)")
    ap.add_argument('--device', default='cpu'); ap.add_argument('--num-workers', type=int, default=0)
    ap.add_argument('--out', type=Path, default=SHIPPED); ap.add_argument('--prefix', default='offline', help='file names PREFIX_pP.pt and PREFIX.json')
    ap.add_argument('--patch-sizes', type=int, nargs='+', default=list(PATCH_SIZES))
    ap.add_argument('--state', type=Path, help='folder for the pre-training states: an interrupted run resumes, and a larger --iterations continues a finished one')
    a = ap.parse_args()
    if a.state: a.state.mkdir(parents=True, exist_ok=True)
    kw = {k: v for k, v in dict(compactness=a.compactness, pool=a.pool, p_input_size=a.p_input_size).items() if v is not None}
    torch.manual_seed(0)
    teachers = {p: train(a.variant, p, a.iterations, a.device, a.num_workers, state=a.state, **kw)[0] for p in a.patch_sizes}
    print(json.dumps(ship(teachers, a.out, a.prefix), indent=1))
