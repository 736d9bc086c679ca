"""Time of the exact PRO-AUC (and pixel ROC AUC) for 100 and 1000 maps of 256 x 256.

    python benchmarks/bench_metrics.py [--counts 100 1000] [--side 256]

100 maps is the size of one MVTec AD category's test set at the model's resolution.
"""
import argparse, time
import numpy as np
from scipy import ndimage
from ustudents.metrics import pro_auc, pixel_auroc

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--counts', type=int, nargs='+', default=[100, 1000]); ap.add_argument('--side', type=int, default=256)
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    print("| maps | pixels | PRO-AUC (s) | pixel ROC AUC (s) |\n|---|---|---|---|")
    for n in a.counts:
        masks = np.stack([ndimage.binary_dilation(rng.random((a.side, a.side)) > 0.9995, iterations=6) for _ in range(n)])
        maps = (rng.normal(size=masks.shape) + 2 * masks).astype(np.float32)
        t = time.perf_counter(); pro_auc(maps, masks); tp = time.perf_counter() - t
        t = time.perf_counter(); pixel_auroc(maps, masks); tr = time.perf_counter() - t
        print(f"| {n} | {maps.size / 1e6:.1f} M | {tp:.2f} | {tr:.2f} |", flush=True)

if __name__ == '__main__': main()
