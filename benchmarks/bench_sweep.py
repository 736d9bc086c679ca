"""What torchrun buys on this machine, and what it would on eight GPUs.

    python benchmarks/bench_sweep.py > nbs/results/bench_sweep.txt     # its first line names the machine

1. The job-parallel sweep: `ustudents sweep` over two synthetic categories x two receptive fields, one process with two threads
   against two processes with one thread each under torchrun (gloo): wall time and speed-up.
2. Data-parallel teacher pre-training: seconds per step with one and two processes (batch 64 split in two), and the bytes each
   step communicates: the all-reduce of T-hat's and D's gradients, and the all-gather of the descriptors for the compactness loss.
3. The expected scaling to 8 GPUs, from those figures.
"""
import json, os, socket, subprocess, sys, tempfile, time
from pathlib import Path
from ustudents.data import make_synthetic_mvtec
from ustudents.teacher import patch_network, decoder, D_DESCRIPTOR
from ustudents.core import machine, machine_line, amp_dtype

def free_port():
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def timed(cmd, env):
    t = time.perf_counter(); r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if r.returncode: sys.exit(r.stderr[-2000:])
    return time.perf_counter() - t

def main():
    print(f"machine: {machine_line(machine('cpu', amp_dtype('cpu')))}", flush=True)   # the sweep's --amp auto
    exe = str(Path(sys.executable).with_name('ustudents'))
    torchrun = [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', '2', '--master_addr', '127.0.0.1']
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        for i, (name, tex) in enumerate((('bottle', 'cells'), ('grid', 'weave'))):
            make_synthetic_mvtec(d / 'data', name, tex, size=40, n_train=8, n_test_good=2, n_per_defect=1, seed=i)
        args = lambda out: ['sweep', '--teacher', 'offline:17', '--teacher', 'offline:33', '--data', str(d / 'data'), '--categories', 'bottle', 'grid',
                            '--out', str(d / out), '--students', '2', '--epochs', '3', '--batch-size', '2', '--image-size', '40', '--val-fraction', '0.2', '--quiet']
        one = timed([exe, *args('one')], {**os.environ, 'OMP_NUM_THREADS': '2'})
        one1 = timed([exe, *args('one1')], {**os.environ, 'OMP_NUM_THREADS': '1'})
        two = timed([*torchrun, '--master_port', str(free_port()), '-m', 'ustudents', *args('two')], {**os.environ, 'OMP_NUM_THREADS': '1'})
        print(f"sweep (2 categories x 2 scales x 2 students = 8 student jobs + 2 category jobs): one process on both cores {one:.0f} s, "
              f"one process on one core {one1:.0f} s, two processes on one core each {two:.0f} s: speed-up {one / two:.2f}x over the first "
              f"(a CPU process already uses every core), {one1 / two:.2f}x over the second (the job-parallel scaling, as with one GPU per process); "
              f"all include about 5 s of start-up per launch")
        teach = lambda out: ['pretrain-teacher', '--patch-size', '33', '--images', 'photographs', '--p-weights', 'none', '--p-input-size', '64',
                             '--iterations', '20', '--batch-size', '64', '--checkpoint-every', '10', '--out', str(d / out), '--quiet']
        t1 = timed([exe, *teach('t1.pt')], {**os.environ, 'OMP_NUM_THREADS': '2'})
        t11 = timed([exe, *teach('t11.pt')], {**os.environ, 'OMP_NUM_THREADS': '1'})
        t2 = timed([*torchrun, '--master_port', str(free_port()), '-m', 'ustudents', *teach('t2.pt')], {**os.environ, 'OMP_NUM_THREADS': '1'})
        print(f"teacher pre-training, 20 steps of batch 64 (p = 33, P at 64): one process on both cores {t1:.0f} s, on one core {t11:.0f} s, "
              f"two processes (DDP, 32 patches each) {t2:.0f} s: speed-up {t1 / t2:.2f}x and {t11 / t2:.2f}x")
    n_params = sum(w.numel() for w in patch_network(65).parameters()) + sum(w.numel() for w in decoder().parameters())
    grads, gather = 4 * n_params, 4 * 64 * D_DESCRIPTOR
    print(f"communicated per teacher step (p = 65, batch 64, float32): gradients {grads / 2 ** 20:.1f} MiB all-reduced "
          f"(a ring all-reduce moves about 2 (N-1)/N of that per process), descriptors {gather / 2 ** 10:.0f} KiB all-gathered")
    rec = Path(__file__).resolve().parents[1] / 'nbs' / 'results' / 'gpu_h200.json'      # a teacher step (batch 64, P at 224) measured on an H200
    steps = [t['seconds'] for t in json.loads(rec.read_text()).get('teacher_steps', []) if t['p'] == 65 and t['precision'] == 'tf32'] if rec.exists() else []
    step_ms = 1e3 * steps[0] if steps else 10.0
    print(f"a teacher step (p = 65, batch 64, P at 224) on one GPU: {step_ms:.1f} ms ({'measured on an H200, ' + str(rec.name) if steps else 'assumed'})")
    nvlink = 150e9
    comm_ms = 2 * 7 / 8 * grads / nvlink * 1e3
    print(f"expected on 8 GPUs: the sweep's student jobs are independent, so 8x while there are at least 8 jobs per wave "
          f"(15 categories x 3 scales x 3 students = 135 jobs: about 7.9x, the category jobs add 15 short evaluations); teacher pre-training: "
          f"about {comm_ms:.2f} ms of all-reduce per step over NVLink at ~150 GB/s against ~{step_ms / 8:.1f} ms of compute per GPU at an eighth of the batch, "
          f"so about {8 * (step_ms / 8) / (step_ms / 8 + comm_ms):.1f}x (batch 64 split 8 ways leaves each GPU 8 patches: small steps, launch-bound in practice)")

if __name__ == '__main__': main()
