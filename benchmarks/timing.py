"The benchmarks' one timing helper: a function's seconds on a device, with the device synchronised around it."
import time
import torch

def sync(dev):
    "Wait for the device's queued work (a no-op on a CPU)."
    if torch.device(dev).type == 'cuda': torch.cuda.synchronize()

def timed(fn, dev, warmup: int = 1, repeats: int = 3, best: bool = False) -> float:
    "Seconds per call of `fn` on `dev` after `warmup` calls: the mean over `repeats`, or the fastest with `best`."
    for _ in range(warmup): fn()
    sync(dev); times = []
    for _ in range(repeats):
        t0 = time.perf_counter(); fn(); sync(dev); times.append(time.perf_counter() - t0)
    return min(times) if best else sum(times) / len(times)
