"""The dense pipeline against the machine's own limit: multiply-adds, convolution ceiling, achieved
rate of `anomaly_map`, images per second, latency, peak memory, FDFE's speed-up over patch-wise
evaluation, and the time of a student training step.

    python benchmarks/bench.py --quick            # CPU, a few minutes (128 x 128 images)
    python benchmarks/bench.py --device cuda      # GPU, 256 x 256 as in the paper

Prints Markdown tables. Multiply-adds are counted from the architectures (METHOD.md section 7:
about 1.4 M, 1.6 M and 3.0 M per pixel and network), at the image's pixels (not the padding).
"""
import argparse, datetime, platform, resource, time
import torch
import torch.nn as nn
from ustudents.teacher import patch_network, PATCH_SIZES
from ustudents.fdfe import dense_network, patchwise
from ustudents.students import Students, student_loss
from ustudents.score import Scale, UninformedStudents, anomaly_map

def macs_per_pixel(p: int) -> int:
    "Multiply-adds of one network per output pixel with FDFE: every convolution runs once per pixel."
    return sum(l.in_channels * l.out_channels * l.kernel_size[0] * l.kernel_size[1]
               for l in patch_network(p).layers if isinstance(l, nn.Conv2d))

def sync(dev):
    if dev.type == 'cuda': torch.cuda.synchronize()

def best_time(f, dev, reps):
    f(); sync(dev); best = float('inf')
    for _ in range(reps):
        t = time.perf_counter(); f(); sync(dev); best = min(best, time.perf_counter() - t)
    return best

def peak_mb(dev):
    if dev.type == 'cuda': return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # process peak resident set (Linux: KiB)

def model_for(ps, M=3, dev='cpu', side=256):
    scales = []
    for p in ps:
        s = Scale(patch_network(p), Students(p, M), torch.zeros(128), torch.ones(128))
        for n in ('e_mu', 'v_mu'): getattr(s, n).fill_(0.)
        for n in ('e_sigma', 'v_sigma'): getattr(s, n).fill_(1.)
        scales.append(s)
    return UninformedStudents(scales, (side, side)).to(dev).eval()

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--device', default='cpu'); ap.add_argument('--quick', action='store_true', help='128 x 128 images, fewer repetitions')
    ap.add_argument('--side', type=int, default=None, help='image side (default 256, or 128 with --quick)')
    ap.add_argument('--amp', action='store_true', help='bf16 autocast for anomaly_map and training')
    a = ap.parse_args()
    dev = torch.device(a.device); side = a.side or (128 if a.quick else 256); reps = 1 if a.quick else 3
    torch.manual_seed(0)
    name = torch.cuda.get_device_name() if dev.type == 'cuda' else f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads"
    print(f"# ustudents benchmark: {dev} ({name}), torch {torch.__version__}, {datetime.date.today()}, images {side}x{side}, "
          f"{'bf16 autocast' if a.amp else 'fp32'}\n")

    # the ceiling: one large dense convolution, as the students' widest layers
    conv = nn.Conv2d(256, 256, 5).to(dev).eval(); x = torch.randn(1, 256, 132, 132, device=dev)
    with torch.inference_mode(), torch.autocast(dev.type, torch.bfloat16, enabled=a.amp):
        t = best_time(lambda: conv(x), dev, reps + 1)
    ceiling = 256 * 256 * 25 * 128 * 128 / t
    print(f"convolution ceiling (256->256, 5x5, 128x128 output): {ceiling / 1e9:.1f} G multiply-adds/s\n")

    print("| model | M-adds/pixel/net | G-adds/image | latency, 1 image (s) | images/s (batch 4) | achieved (G-adds/s) | of ceiling | peak memory (MiB) |")
    print("|---|---|---|---|---|---|---|---|")
    for ps in [(17,), (33,), (65,), PATCH_SIZES]:
        model = model_for(ps, dev=dev, side=side)
        gmacs = sum(macs_per_pixel(p) for p in ps) * 4 * side * side / 1e9        # teacher + 3 students per scale
        img1, img4 = torch.rand(1, 3, side, side, device=dev), torch.rand(4, 3, side, side, device=dev)
        if dev.type == 'cuda': torch.cuda.reset_peak_memory_stats()
        lat = best_time(lambda: anomaly_map(model, img1, amp=a.amp), dev, reps)
        thr = 4 / best_time(lambda: anomaly_map(model, img4, amp=a.amp, batch_size=4), dev, reps)
        rate = gmacs * thr
        label = 'multi-scale ' + '+'.join(map(str, ps)) if len(ps) > 1 else f'p = {ps[0]}'
        print(f"| {label} | {sum(macs_per_pixel(p) for p in ps) / len(ps) / 1e6:.2f} | {gmacs:.0f} | {lat:.3f} | {thr:.2f} | {rate:.1f} | "
              f"{rate / (ceiling / 1e9):.0%} | {peak_mb(dev):.0f} |", flush=True)

    print("\n| p | FDFE speed-up over patch-wise, " + ' / '.join(f'{s}x{s}' for s in (64, side)) + " |\n|---|---|")
    with torch.inference_mode():
        for p in PATCH_SIZES:
            net = patch_network(p).to(dev).eval(); T = dense_network(net); out = []
            for s in (64, side):
                x = torch.rand(1, 3, s, s, device=dev); rows = max(1, 256 // s)
                tp = best_time(lambda: patchwise(net, x[..., :rows, :], p, chunk=256), dev, 1) * s / rows   # linear in patches
                out.append(f"{tp / best_time(lambda: T(x), dev, reps):.0f}x")
            print(f"| {p} | {' / '.join(out)} |", flush=True)

    print("\n| p | student training step, M = 3 (s): batch 1 / batch 8 |\n|---|---|")
    for p in PATCH_SIZES:
        T = dense_network(patch_network(p)).to(dev).eval(); S = Students(p, 3).to(dev).train()
        opts = [torch.optim.Adam(n.parameters(), 1e-4) for n in S.nets]
        res = []
        for b in (1, 8):
            x = torch.rand(b, 3, side, side, device=dev)
            def step():
                with torch.no_grad(), torch.autocast(dev.type, torch.bfloat16, enabled=a.amp): y = T(x).float()
                for d, o in zip(S.dense, opts):
                    with torch.autocast(dev.type, torch.bfloat16, enabled=a.amp): pr = d(x)
                    l = student_loss(pr.float(), y); o.zero_grad(); l.backward(); o.step()
            res.append(f"{best_time(step, dev, 1):.2f}")
        print(f"| {p} | {' / '.join(res)} |", flush=True)

if __name__ == '__main__': main()
