"""bf16 autocast against float32 on this machine, for the training steps the notebooks run.

    python benchmarks/bench_amp.py --json nbs/results/amp_cpu.json     # about three minutes on two cores with native bf16
    ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 python benchmarks/bench_amp.py --repeats 3 --json nbs/results/amp_cpu_avx2.json
                                                                       # the same processor played as one without native bf16
                                                                       # (AVX2 only, as most laptops): about ten minutes

The record names the machine (`ustudents.core.machine`: processor, instruction sets, whether it computes bf16 natively, threads).

The library's own steps (`students.student_step`, `teacher.teacher_step`) in the settings the notebooks use on a CPU: the students of
04_score and 06_viz (p = 17 and 33, M = 3, batch 2, 64 x 64), those of 10_oneclass (p = 33, M = 5, batch 8, 32 x 32), and a teacher
step of the offline recipe (p = 17, 33, 65, batch 64, P's targets cached in the pool). float32 and bf16 alternate, repeat by repeat, so a
load on the machine slows both alike; the ratio is the median float32 time over the median bf16 time.
"""
import argparse, json, statistics, time
from pathlib import Path
import torch
from ustudents.fdfe import dense_network
from ustudents.imagenet import P_NETWORKS, OFFLINE_P
from ustudents.teacher import patch_network, decoder, Distil, teacher_step, TeacherConfig, D_DESCRIPTOR
from ustudents.core import amp_dtype, grad_scaler, machine, machine_line
from ustudents.students import Students, student_step

def student(p, M, batch, side):
    torch.manual_seed(0)
    T, S = dense_network(patch_network(p)).eval(), Students(p, M, seed=0)
    opts = [torch.optim.Adam(s.parameters(), lr=1e-4) for s in S.nets]
    x = torch.rand(batch, 3, side, side); mu, sigma = torch.zeros(D_DESCRIPTOR), torch.ones(D_DESCRIPTOR)
    return lambda dtype: student_step(T, list(S.dense), opts, [grad_scaler('cpu', dtype) for _ in opts], x, mu, sigma, dtype)

def teacher(p, batch):
    torch.manual_seed(0)
    net = Distil(patch_network(p), decoder(P_NETWORKS[OFFLINE_P])); opt = torch.optim.Adam(net.parameters(), lr=2e-4)
    b = dict(p=torch.rand(batch, 3, p, p), target=torch.randn(batch, P_NETWORKS[OFFLINE_P]))   # a pool's batch: P's targets cached
    cfg = TeacherConfig(p=p, lambda_k=1.0, lambda_m=0.0, lambda_c=1.0)
    return lambda dtype: teacher_step(net, None, b, cfg, opt, grad_scaler('cpu', dtype), dtype)

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--repeats', type=int, default=5); ap.add_argument('--json', type=Path, default=None)
    a = ap.parse_args(); bf16 = amp_dtype('cpu', 'bf16')
    cases = {'students of 04_score (p = 17, M = 3, batch 2, 64 x 64)': student(17, 3, 2, 64),
             'students of 04_score (p = 33, M = 3, batch 2, 64 x 64)': student(33, 3, 2, 64),
             'students of 10_oneclass (p = 33, M = 5, batch 8, 32 x 32)': student(33, 5, 8, 32),
             **{f'teacher of the offline recipe (p = {p}, batch 64, pool)': teacher(p, 64) for p in (17, 33, 65)}}
    print(machine_line(machine('cpu', 'float32 and bfloat16, alternating')), flush=True)
    rows = {}
    for name, step in cases.items():
        t = {None: [], bf16: []}
        for dtype in (None, bf16): step(dtype)                                  # warm-up
        for _ in range(a.repeats):
            for dtype in (None, bf16):
                t0 = time.perf_counter(); step(dtype); t[dtype].append(time.perf_counter() - t0)
        f32, b16 = statistics.median(t[None]), statistics.median(t[bf16])
        rows[name] = dict(float32_s=round(f32, 4), bf16_s=round(b16, 4), speedup=round(f32 / b16, 2))
        print(f"{name}: float32 {f32:.3f} s, bf16 {b16:.3f} s, bf16 is {f32 / b16:.2f}x as fast", flush=True)
    if a.json:
        a.json.write_text(json.dumps(dict(date=time.strftime('%Y-%m-%d'), machine=machine('cpu', 'float32 and bfloat16, alternating'),
                                          repeats=a.repeats, steps=rows), indent=1) + '\n')

if __name__ == '__main__': main()
