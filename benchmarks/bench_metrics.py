"""Time and memory of the exact metrics.

    python benchmarks/bench_metrics.py [--counts 100 1000] [--side 256]   # time of PRO-AUC and pixel ROC AUC for N maps
    python benchmarks/bench_metrics.py --memory [--images 160 --original 1024 --model 256]
                                   # peak memory of evaluating one category as the experiments do: maps kept at the model's
                                   # resolution (float32), masks at the original one, every map set's metrics at original resolution

100 maps is the size of one MVTec AD category's test set at the model's resolution; 160 images of 1024 x 1024 is screw's test set.
The memory figure is the peak resident set size of a fresh process (ru_maxrss), printed beside the same computation's results.
"""
import argparse, json, subprocess, sys, time
import numpy as np
from scipy import ndimage
from ustudents.metrics import pro_auc, pixel_auroc

MEMORY = '''
import json, resource, sys, time
import numpy as np
from scipy import ndimage
from ustudents.experiment import run_metrics
n, orig, model = map(int, sys.argv[1:4])
rng = np.random.default_rng(0)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
masks, labels = [], []
for i in range(n):                                                  # defects of MVTec-like size: a few blobs per defective image
    m = np.zeros((orig, orig), bool)
    if i % 4:
        for _ in range(1 + i % 3): r, c = rng.integers(40, orig - 40, 2); m[r - 12 - i % 20:r + 12, c - 8:c + 8 + i % 30] = True
    masks.append(m); labels.append(int(m.any()))
small = [ndimage.zoom(k.astype(np.float32), model / orig, order=0) for k in masks]
maps = {name: np.stack([(rng.normal(size=(model, model)) + s * k).astype(np.float32) for k in small]) for name, s in (('17', 1.5), ('33', 2.0), ('65', 1.0), ('combined', 2.5))}
after_data = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter(); res = run_metrics(maps, masks, labels); seconds = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps(dict(images=n, original_side=orig, model_side=model, pixels_per_map_set=n * orig * orig, python_and_torch_mib=base / 1024,
                      with_maps_and_masks_mib=after_data / 1024, peak_mib=peak / 1024, seconds=round(seconds, 1),
                      combined_pro_auc=res['combined']['pro_auc'], combined_pixel_auroc=res['combined']['pixel_auroc'])))
'''

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--counts', type=int, nargs='+', default=[100, 1000]); ap.add_argument('--side', type=int, default=256)
    ap.add_argument('--memory', action='store_true'); ap.add_argument('--images', type=int, default=160)
    ap.add_argument('--original', type=int, default=1024); ap.add_argument('--model', type=int, default=256)
    a = ap.parse_args()
    if a.memory:
        r = subprocess.run([sys.executable, '-c', MEMORY, str(a.images), str(a.original), str(a.model)], capture_output=True, text=True)
        if r.returncode: sys.exit(r.stderr)
        m = json.loads(r.stdout)
        print(f"one category: {m['images']} test images at {m['original_side']}x{m['original_side']} ({m['pixels_per_map_set'] / 1e6:.0f} M pixels per map set), "
              f"4 map sets at {m['model_side']}x{m['model_side']}")
        print(f"peak resident memory {m['peak_mib']:.0f} MiB (of which Python with torch {m['python_and_torch_mib']:.0f} MiB, maps and masks "
              f"{m['with_maps_and_masks_mib'] - m['python_and_torch_mib']:.0f} MiB); PRO-AUC, pixel and image ROC AUC of all four sets in {m['seconds']} s")
        print(json.dumps(m))
        return
    rng = np.random.default_rng(0)
    print("| maps | pixels | PRO-AUC (s) | pixel ROC AUC (s) |\n|---|---|---|---|")
    for n in a.counts:
        masks = np.stack([ndimage.binary_dilation(rng.random((a.side, a.side)) > 0.9995, iterations=6) for _ in range(n)])
        maps = (rng.normal(size=masks.shape) + 2 * masks).astype(np.float32)
        t = time.perf_counter(); pro_auc(maps, masks); tp = time.perf_counter() - t
        t = time.perf_counter(); pixel_auroc(maps, masks); tr = time.perf_counter() - t
        print(f"| {n} | {maps.size / 1e6:.1f} M | {tp:.2f} | {tr:.2f} |", flush=True)

if __name__ == '__main__': main()
