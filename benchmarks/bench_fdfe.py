"""FDFE against patch-wise evaluation, for the paper's teachers at 64^2, 128^2 and 256^2.

    python benchmarks/bench_fdfe.py [--device cpu|cuda] [--sizes 64 128 256] [--patches 1024]

Patch-wise cost is exactly linear in the number of patches, so for large images it is timed on
`--patches` patches and scaled to all H*W of them (marked 'extrapolated'). Prints a Markdown table.
"""
import argparse, datetime
import torch
from timing import timed                      # benchmarks/timing.py: the one timing helper
from ustudents.core import machine, machine_line
from ustudents.teacher import patch_network, PATCH_SIZES
from ustudents.fdfe import dense_network, patchwise

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--device', default='cpu'); ap.add_argument('--sizes', type=int, nargs='+', default=[64, 128, 256])
    ap.add_argument('--patches', type=int, default=1024, help='patches timed when patch-wise evaluation would take long')
    a = ap.parse_args()
    dev = torch.device(a.device)
    print(f"# FDFE vs patch-wise, {dev} ({machine_line(machine(dev))}), torch {torch.__version__}, {datetime.date.today()}\n")
    print("| p | image | patch-wise (s) | FDFE (s) | speed-up |\n|---|---|---|---|---|")
    torch.manual_seed(0)
    with torch.inference_mode():
        for p in PATCH_SIZES:
            net = patch_network(p).to(dev).eval(); T = dense_network(net)
            for s in a.sizes:
                x = torch.rand(1, 3, s, s, device=dev)
                td = timed(lambda: T(x), dev, repeats=3, best=True)
                n = s * s
                if n <= a.patches: tp, note = timed(lambda: patchwise(net, x, p, chunk=256), dev, repeats=1, best=True), ''
                else:
                    # time `a.patches` patches of the same image (the rows covering them) and scale linearly
                    rows = max(1, a.patches // s)
                    xs = x[..., :rows, :]
                    tp = timed(lambda: patchwise(net, xs, p, chunk=256), dev, repeats=1, best=True) * s / rows
                    note = ' (extrapolated)'
                print(f"| {p} | {s}x{s} | {tp:.2f}{note} | {td:.4f} | {tp / td:.0f}x |", flush=True)

if __name__ == '__main__': main()
