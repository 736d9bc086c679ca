"""The dense pipeline against the machine's own limit: multiply-adds, convolution ceiling, achieved
rate of `anomaly_map`, images per second, latency, peak memory, FDFE's speed-up over patch-wise
evaluation, and the time of a student training step.

    python benchmarks/bench.py --quick            # CPU, a few minutes (128 x 128 images)
    python benchmarks/bench.py                    # CPU, 256 x 256 as in the paper (about 25 minutes on 2 cores)
    python benchmarks/bench.py --device cuda      # GPU, 256 x 256
    python benchmarks/bench.py --compile --json nbs/results/bench_cpu.json   # also torch.compile; write the figures (shown in 04_score)

Prints Markdown tables. Multiply-adds are counted from the architectures (METHOD.md section 7:
about 1.4 M, 1.6 M and 3.0 M per pixel and network), at the image's pixels: the zero context of
p - 1 pixels around the image is work the method does but is not counted, so it lowers the ratio.
"""
import argparse, datetime, json, multiprocessing as mp, resource, time
from pathlib import Path
import torch
import torch.nn as nn
from timing import sync, timed                # benchmarks/timing.py: the one timing helper
from ustudents.core import machine, machine_line
from ustudents.teacher import patch_network, PATCH_SIZES, D_DESCRIPTOR
from ustudents.core import grad_scaler
from ustudents import fdfe
from ustudents.fdfe import dense_network, patchwise
from ustudents.students import Students, student_step
from ustudents.score import build_model, anomaly_map, compile_networks
from ustudents.fdfe import DEFAULT_ALIGNMENT

def macs_per_pixel(p: int) -> int:
    "Multiply-adds of one network per output pixel with FDFE: every convolution runs once per pixel."
    return sum(l.in_channels * l.out_channels * l.kernel_size[0] * l.kernel_size[1]
               for l in patch_network(p).layers if isinstance(l, nn.Conv2d))

def model_for(ps, M=3, dev='cpu', side=256):
    "A calibrated-looking model with random weights (`score.build_model`, statistics 0 and 1): the speed does not depend on the weights."
    model = build_model(dict(scales=[dict(p=p, M=M, alignment=DEFAULT_ALIGNMENT) for p in ps], image_size=(side, side)))
    for s in model.scales:
        for n in ('e_mu', 'v_mu'): getattr(s, n).fill_(0.)
        for n in ('e_sigma', 'v_sigma'): getattr(s, n).fill_(1.)
    return model.to(dev).eval()

def _one_image_peak(side, q):
    "Peak resident memory of a fresh process that computes one multi-scale map (run in a child process)."
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    model = model_for(PATCH_SIZES, side=side); anomaly_map(model, torch.rand(1, 3, side, side))
    q.put((base / 1024, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))

def one_image_peak_mib(side):
    ctx = mp.get_context('spawn'); q = ctx.Queue(); pr = ctx.Process(target=_one_image_peak, args=(side, q))
    pr.start(); base, peak = q.get(); pr.join()
    return base, peak

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--device', default='cpu'); ap.add_argument('--quick', action='store_true', help='128 x 128 images, fewer repetitions')
    ap.add_argument('--side', type=int, default=None, help='image side (default 256, or 128 with --quick)')
    ap.add_argument('--amp', action='store_true', help='bf16 autocast for anomaly_map and training, asked for by name '
                    '(fast only where the processor computes bf16 natively; see ustudents.core.amp_dtype)')
    ap.add_argument('--json', default=None, help='also write the figures to this JSON file')
    ap.add_argument('--compile', action='store_true', help='also time anomaly_map with torch.compile (compile_networks) for each p')
    a = ap.parse_args()
    dev = torch.device(a.device); side = a.side or (128 if a.quick else 256); reps = 1 if a.quick else 2
    torch.manual_seed(0)
    rec = dict(device=str(dev), machine=machine(dev, torch.bfloat16 if a.amp else None), date=str(datetime.date.today()), side=side,
               maps=[], layout=[], fusion=[], compile=[], fdfe=[], training=[])
    print(f"# ustudents benchmark: {dev}, {machine_line(rec['machine'])}, torch {torch.__version__}, {rec['date']}, images {side}x{side}\n")

    # the ceiling: one large dense convolution, as the students' widest layers
    conv = nn.Conv2d(256, 256, 5).to(dev).eval(); x = torch.randn(1, 256, 132, 132, device=dev)
    with torch.inference_mode(), torch.autocast(dev.type, torch.bfloat16, enabled=a.amp):
        t = timed(lambda: conv(x), dev, repeats=reps + 1, best=True)
    ceiling = 256 * 256 * 25 * 128 * 128 / t; rec['ceiling_gmacs'] = round(ceiling / 1e9, 1)
    print(f"convolution ceiling (256->256, 5x5, 128x128 output): {ceiling / 1e9:.1f} G multiply-adds/s\n")

    if dev.type == 'cpu':
        base, peak = one_image_peak_mib(side); rec['one_image_peak_mib'] = round(peak); rec['process_base_mib'] = round(base)
        print(f"peak resident memory of a fresh process computing one multi-scale {side}x{side} map: {peak:.0f} MiB "
              f"(of which {base:.0f} MiB is the Python process with torch loaded)\n")

    print("| model | M-adds/pixel/net | G-adds/image | latency, 1 image (s) | images/s (batch 4) | achieved (G-adds/s) | of ceiling | peak memory (MiB) |")
    print("|---|---|---|---|---|---|---|---|")
    for ps in [(17,), (33,), (65,), PATCH_SIZES]:
        model = model_for(ps, dev=dev, side=side)
        gmacs = sum(macs_per_pixel(p) for p in ps) * 4 * side * side / 1e9        # teacher + 3 students per scale
        img1, img4 = torch.rand(1, 3, side, side, device=dev), torch.rand(4, 3, side, side, device=dev)
        if dev.type == 'cuda': torch.cuda.reset_peak_memory_stats()
        lat = timed(lambda: anomaly_map(model, img1, amp='bf16' if a.amp else 'off'), dev, repeats=reps, best=True)
        thr = 4 / timed(lambda: anomaly_map(model, img4, amp='bf16' if a.amp else 'off', batch_size=4), dev, repeats=reps, best=True)
        rate = gmacs * thr
        peak = torch.cuda.max_memory_allocated() / 2**20 if dev.type == 'cuda' else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        label = 'multi-scale ' + '+'.join(map(str, ps)) if len(ps) > 1 else f'p = {ps[0]}'
        row = dict(model=label, madds_per_pixel_per_net_m=round(sum(macs_per_pixel(p) for p in ps) / len(ps) / 1e6, 2), gmacs_per_image=round(gmacs),
                   latency_s=round(lat, 3), images_per_s=round(thr, 3), achieved_gmacs=round(rate, 1), of_ceiling=round(rate / (ceiling / 1e9), 3),
                   peak_mib=round(peak))
        rec['maps'].append(row)
        print(f"| {label} | {row['madds_per_pixel_per_net_m']:.2f} | {gmacs:.0f} | {lat:.3f} | {thr:.2f} | {rate:.1f} | "
              f"{row['of_ceiling']:.0%} | {peak:.0f} |", flush=True)
    if dev.type == 'cpu': print("(peak memory on the CPU: the process's peak so far, batch 4 included)")

    print(f"\n| p | dense network, one {side}x{side} image: channels-first (s) | channels-last (s) | speed-up |\n|---|---|---|---|")
    with torch.inference_mode():
        for p in PATCH_SIZES:
            net = patch_network(p).to(dev).eval(); x = torch.rand(1, 3, side, side, device=dev); t = {}
            for cl in (False, True):
                T = dense_network(net, channels_last=cl)      # the same weights, in one layout or the other
                with torch.autocast(dev.type, torch.bfloat16, enabled=a.amp): t[cl] = timed(lambda: T(x), dev, repeats=reps, best=True)
            rec['layout'].append(dict(p=p, channels_first_s=round(t[False], 4), channels_last_s=round(t[True], 4)))
            print(f"| {p} | {t[False]:.3f} | {t[True]:.3f} | {t[False] / t[True]:.2f}x |", flush=True)

    print("\n| layer (batch 4, channels-last) | teacher + 3 students as 4 convolutions (s) | as one grouped convolution (s) | speed-up of fusing |\n|---|---|---|---|")
    with torch.inference_mode():
        for cin, cout, k, n in [(128, 128, 5, side // 2 + 16), (128, 256, 5, side // 2 + 16), (256, 256, 2, side // 4 + 8)]:
            x = torch.randn(4, cin, n, n, device=dev).contiguous(memory_format=torch.channels_last)
            convs = [nn.Conv2d(cin, cout, k).to(dev).eval() for _ in range(4)]
            fused = nn.Conv2d(4 * cin, 4 * cout, k, groups=4).to(dev).eval()
            xg = torch.cat([x] * 4, 1).contiguous(memory_format=torch.channels_last)
            ts, tg = timed(lambda: [c(x) for c in convs], dev, repeats=reps, best=True), timed(lambda: fused(xg), dev, repeats=reps, best=True)
            rec['fusion'].append(dict(layer=f'{cin}->{cout}, {k}x{k}, {n}x{n}', separate_s=round(ts, 4), grouped_s=round(tg, 4)))
            print(f"| {cin}->{cout}, {k}x{k}, {n}x{n} | {ts:.3f} | {tg:.3f} | {ts / tg:.2f}x |", flush=True)

    if a.compile:
        print(f"\n| p | anomaly_map, one {side}x{side} image: eager (s) | torch.compile (s) | speed-up | compile time (s) |\n|---|---|---|---|---|")
        for p in PATCH_SIZES:
            img = torch.rand(1, 3, side, side, device=dev)
            model = model_for((p,), dev=dev, side=side)
            te = timed(lambda: anomaly_map(model, img, amp='bf16' if a.amp else 'off'), dev, repeats=reps, best=True)
            compile_networks(model)
            t0 = time.perf_counter(); anomaly_map(model, img, amp='bf16' if a.amp else 'off'); sync(dev); tc0 = time.perf_counter() - t0
            tc = timed(lambda: anomaly_map(model, img, amp='bf16' if a.amp else 'off'), dev, repeats=reps, best=True)
            rec['compile'].append(dict(p=p, eager_s=round(te, 3), compiled_s=round(tc, 3), compile_s=round(tc0, 1)))
            print(f"| {p} | {te:.3f} | {tc:.3f} | {te / tc:.2f}x | {tc0:.0f} |", flush=True)

    sizes = sorted({64, side})
    print("\n| p | FDFE speed-up over patch-wise, " + ' / '.join(f'{s}x{s}' for s in sizes) + " |\n|---|---|")
    with torch.inference_mode():
        for p in PATCH_SIZES:
            net = patch_network(p).to(dev).eval(); T = dense_network(net); out = {}
            for s in sizes:
                x = torch.rand(1, 3, s, s, device=dev); rows = max(1, 256 // s)
                tp = timed(lambda: patchwise(net, x[..., :rows, :], p, chunk=256), dev, repeats=1, best=True) * s / rows   # linear in patches
                out[s] = round(tp / timed(lambda: T(x), dev, repeats=reps, best=True))
            rec['fdfe'].append(dict(p=p, speedup={str(s): v for s, v in out.items()}))
            print(f"| {p} | {' / '.join(f'{v}x' for v in out.values())} |", flush=True)

    print("\n| p | student training step, M = 3 (s): batch 1 / batch 8 |\n|---|---|")
    for p in PATCH_SIZES:
        T = dense_network(patch_network(p)).to(dev).eval(); S = Students(p, 3).to(dev).train()
        opts = [torch.optim.Adam(n.parameters(), 1e-4) for n in S.nets]
        res = {}
        for b in (1, 8):
            x = torch.rand(b, 3, side, side, device=dev)
            dtype = torch.bfloat16 if a.amp else None; zero, one = torch.zeros(D_DESCRIPTOR, device=dev), torch.ones(D_DESCRIPTOR, device=dev)
            step = lambda: student_step(T, list(S.dense), opts, [grad_scaler(dev, dtype) for _ in opts], x, zero, one, dtype)   # the library's training step
            res[b] = round(timed(step, dev, repeats=1, best=True), 2)
        rec['training'].append(dict(p=p, batch1_s=res[1], batch8_s=res[8]))
        print(f"| {p} | {res[1]:.2f} / {res[8]:.2f} |", flush=True)

    if a.json:
        Path(a.json).parent.mkdir(parents=True, exist_ok=True); Path(a.json).write_text(json.dumps(rec, indent=1))
        print(f"\nwritten to {a.json}")

if __name__ == '__main__': main()
