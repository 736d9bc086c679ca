"""FDFE against patch-wise evaluation, for the paper's teachers at 64^2, 128^2 and 256^2.

    python benchmarks/bench_fdfe.py [--device cpu|cuda] [--sizes 64 128 256] [--patches 1024]

Patch-wise cost is exactly linear in the number of patches, so for large images it is timed on
`--patches` patches and scaled to all H*W of them (marked 'extrapolated'). Prints a Markdown table.
"""
import argparse, platform, time, datetime
import torch
from ustudents.teacher import patch_network, PATCH_SIZES
from ustudents.fdfe import dense_network, patchwise

def timeit(f, device, reps=3):
    f()
    if device.type == 'cuda': torch.cuda.synchronize()
    best = float('inf')
    for _ in range(reps):
        t = time.perf_counter(); f()
        if device.type == 'cuda': torch.cuda.synchronize()
        best = min(best, time.perf_counter() - t)
    return best

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--device', default='cpu'); ap.add_argument('--sizes', type=int, nargs='+', default=[64, 128, 256])
    ap.add_argument('--patches', type=int, default=1024, help='patches timed when patch-wise evaluation would take long')
    a = ap.parse_args()
    dev = torch.device(a.device)
    print(f"# FDFE vs patch-wise, {dev} ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads), torch {torch.__version__}, {datetime.date.today()}\n")
    print("| p | image | patch-wise (s) | FDFE (s) | speed-up |\n|---|---|---|---|---|")
    torch.manual_seed(0)
    with torch.inference_mode():
        for p in PATCH_SIZES:
            net = patch_network(p).to(dev).eval(); T = dense_network(net)
            for s in a.sizes:
                x = torch.rand(1, 3, s, s, device=dev)
                td = timeit(lambda: T(x), dev)
                n = s * s
                if n <= a.patches: tp, note = timeit(lambda: patchwise(net, x, p, chunk=256), dev, reps=1), ''
                else:
                    # time `a.patches` patches of the same image (the rows covering them) and scale linearly
                    rows = max(1, a.patches // s)
                    xs = x[..., :rows, :]
                    tp = timeit(lambda: patchwise(net, xs, p, chunk=256), dev, reps=1) * s / rows
                    note = ' (extrapolated)'
                print(f"| {p} | {s}x{s} | {tp:.2f}{note} | {td:.4f} | {tp / td:.0f}x |", flush=True)

if __name__ == '__main__': main()
