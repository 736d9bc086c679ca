"""Pre-train the teachers that ship with the package (ustudents/teachers/) and record them in offline.json: the command line of
ustudents.teacher.pretrain_offline and ship_teachers, whose recipes are ustudents.teacher.OFFLINE_RECIPES.

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
import argparse, json
from pathlib import Path
import torch
from ustudents.teacher import PATCH_SIZES, OFFLINE_RECIPES, pretrain_offline, ship_teachers

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--variant', choices=OFFLINE_RECIPES, default='imagenet')
    ap.add_argument('--iterations', type=int, help="steps per teacher (default: the variant's OFFLINE_ITERATIONS)")
    ap.add_argument('--compactness', choices=('signed', 'absolute', 'squared'), help="the compactness form (default: the variant's)")
    ap.add_argument('--pool', type=int, help="patches in the pool, 0 for fresh patches every step (default: the variant's)")
    ap.add_argument('--p-input-size', type=int, help="side P sees a patch at (default: the variant's)")
    ap.add_argument('--device', default='cpu'); ap.add_argument('--num-workers', type=int, default=0)
    ap.add_argument('--out', type=Path, default=None, help="default: the package's own teachers/ folder"); ap.add_argument('--prefix', default='offline', help='file names PREFIX_pP.pt and PREFIX.json')
    ap.add_argument('--patch-sizes', type=int, nargs='+', default=list(PATCH_SIZES))
    ap.add_argument('--state', type=Path, help='folder for the pre-training states: an interrupted run resumes, and a larger --iterations continues a finished one')
    a = ap.parse_args()
    if a.state: a.state.mkdir(parents=True, exist_ok=True)
    kw = {k: v for k, v in dict(compactness=a.compactness, pool=a.pool, p_input_size=a.p_input_size).items() if v is not None}
    torch.manual_seed(0)
    teachers = {p: pretrain_offline(a.variant, p, a.iterations, a.device, a.num_workers, state=a.state, **kw)[0] for p in a.patch_sizes}
    print(json.dumps(ship_teachers(teachers, a.out, a.prefix), indent=1))
