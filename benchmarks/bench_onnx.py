"""onnxruntime against PyTorch on this machine's CPU, for the exported detector (`ustudents.export`).

    python benchmarks/bench_onnx.py --json nbs/results/onnx_cpu.json      # about a quarter of an hour on two cores

For each p (17, 33, 65) and the multi-scale model, at 256 x 256 with M = 3 students: seconds per image of `anomaly_map` in
float32 and in the precision it picks by default (amp='auto': bf16 where the processor computes it natively), and of
onnxruntime on the exported float32 graph, each at 1 and 2 threads, best of --repeats after a warm-up, the three
alternating so that a load on the machine slows them alike; the largest difference between the two float32 maps; and the
peak memory (VmHWM, the high-water mark of its resident memory) of a fresh process that loads the detector and scores one image, PyTorch's with ustudents and
torch imported, onnxruntime's with onnxruntime and numpy only, as a deployment would run them. Untrained networks: the time
does not depend on the weights. The record names the machine.
"""
import argparse, json, os, subprocess, sys, tempfile, time
from pathlib import Path
import numpy as np
import torch
import onnxruntime as ort
from ustudents.core import machine, machine_line, amp_dtype, precision_name
from ustudents.teacher import patch_network, D_DESCRIPTOR
from ustudents.students import Students
from ustudents.score import Scale, UninformedStudents, calibrate, anomaly_map, save_model
from ustudents.export import export_onnx

TORCH_CHILD = '''
import sys, torch
from ustudents.score import load_model, anomaly_map
torch.set_num_threads(2); m = load_model(sys.argv[1]); H, W = m.image_size
anomaly_map(m, torch.rand(1, 3, H, W), amp='off')
print([int(l.split()[1]) // 1024 for l in open('/proc/self/status') if l.startswith('VmHWM')][0])
'''
ORT_CHILD = '''
import sys, numpy as np, onnxruntime as ort
o = ort.SessionOptions(); o.intra_op_num_threads = 2
s = ort.InferenceSession(sys.argv[1], o, providers=['CPUExecutionProvider']); _, _, H, W = s.get_inputs()[0].shape
s.run(['score'], {'images': np.random.default_rng(0).random((1, 3, H, W), dtype=np.float32)})
print([int(l.split()[1]) // 1024 for l in open('/proc/self/status') if l.startswith('VmHWM')][0])
'''

def model(ps, side, M=3):
    "An untrained detector of the receptive fields `ps`, calibrated on two random images."
    torch.manual_seed(0)
    scales = [Scale(T := patch_network(p), Students(p, M, arch=T.arch), torch.zeros(D_DESCRIPTOR), torch.ones(D_DESCRIPTOR))
              for p in ps]
    return calibrate(UninformedStudents(scales).eval(), torch.rand(2, 3, side, side), amp='off')

def peak_mib(code, path):
    r = subprocess.run([sys.executable, '-c', code, str(path)], capture_output=True, text=True)
    if r.returncode: sys.exit(r.stderr[-2000:])
    return int(r.stdout.split()[-1])

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--side', type=int, default=256); ap.add_argument('--repeats', type=int, default=2)
    ap.add_argument('--json', type=Path, default=None)
    a = ap.parse_args()
    m = machine('cpu', 'float32, and amp=auto: ' + precision_name(amp_dtype('cpu')))
    print(f"# {machine_line(m)}, torch {torch.__version__}, onnxruntime {ort.__version__}, {a.side}x{a.side}", flush=True)
    x = torch.rand(1, 3, a.side, a.side); rows = []
    with tempfile.TemporaryDirectory() as d:
        for name, ps in (('p = 17', (17,)), ('p = 33', (33,)), ('p = 65', (65,)), ('multi-scale', (17, 33, 65))):
            det = model(ps, a.side); f = Path(d) / 'd.onnx'
            export_onnx(det, f, overwrite=True, check=False); save_model(det, Path(d) / 'm.pt')
            for threads in (1, 2):
                torch.set_num_threads(threads)
                o = ort.SessionOptions(); o.intra_op_num_threads = threads
                s = ort.InferenceSession(str(f), o, providers=['CPUExecutionProvider'])
                runs = dict(torch_float32=lambda: anomaly_map(det, x, amp='off'), torch_auto=lambda: anomaly_map(det, x),
                            onnxruntime=lambda: torch.from_numpy(s.run(['score'], {'images': x.numpy()})[0]))
                best, out = {k: float('inf') for k in runs}, {}
                for _ in range(a.repeats + 1):                                 # the first round warms up
                    for k, fn in runs.items():
                        t0 = time.perf_counter(); out[k] = fn(); best[k] = min(best[k], time.perf_counter() - t0)
                row = dict(model=name, threads=threads, **{f'{k}_s': round(v, 3) for k, v in best.items()},
                           largest_difference=float((out['onnxruntime'] - out['torch_float32']).abs().max()))
                if threads == 2:
                    row.update(torch_peak_mib=peak_mib(TORCH_CHILD, Path(d) / 'm.pt'), onnxruntime_peak_mib=peak_mib(ORT_CHILD, f))
                rows.append(row); print(json.dumps(row), flush=True)
    torch.set_num_threads(2)
    for r in rows:    # the peaks were measured once per model, at two threads
        if 'torch_peak_mib' not in r:
            two = next(q for q in rows if q['model'] == r['model'] and q['threads'] == 2)
            r.update(torch_peak_mib=two['torch_peak_mib'], onnxruntime_peak_mib=two['onnxruntime_peak_mib'])
    if a.json:
        a.json.write_text(json.dumps(dict(date=time.strftime('%Y-%m-%d'), machine=m, onnxruntime=ort.__version__,
                                          side=a.side, repeats=a.repeats, M=3, rows=rows), indent=1) + '\n')

if __name__ == '__main__': main()
