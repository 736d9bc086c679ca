"""The students' learning rate for the CPU budget of the one-class run on real digits, chosen without a test image.

    python benchmarks/oneclass_lr.py --out nbs/results/oneclass_lr.json     # about 3 minutes on two cores

The paper trains the students with Adam at 1e-4 for MVTec AD's long budget and gives no setting for MNIST. The CPU run in
10_oneclass can afford three epochs, so the rate is chosen here, on the regression loss alone: students (p = 33, M = 2, the
shipped teacher) trained for four epochs on 120 training digits of class 3 of the mnist5k split, their loss measured on 40 other
training digits of that class. No test image and no label is read. The rate with the lowest held-out loss is the one used.
"""
import argparse, time
import torch
from ustudents.data import one_class_mnist5k
from ustudents.teacher import offline_teacher
from ustudents.students import StudentConfig, train_students, student_loss, normalise
from ustudents.fdfe import dense_network
from ustudents.experiment import write_json
from ustudents.core import machine, amp_dtype

RATES = (1e-4, 3e-4, 1e-3, 3e-3)

def main(out=None):
    tr = one_class_mnist5k(3, train=True).images                  # (400, 3, 32, 32): training digits only
    fit, held = tr[:120], tr[-40:]
    teacher = offline_teacher(33); T = dense_network(teacher).eval()
    res = {}
    for lr in RATES:
        t0 = time.perf_counter()
        S, mu, sigma, hist = train_students(teacher, fit, StudentConfig(M=2, epochs=4, batch_size=8, lr=lr, image_size=32), progress=False)
        with torch.no_grad():
            target = normalise(T(held), mu, sigma)
            held_loss = [float(student_loss(S.dense[k](held), target)) for k in range(2)]
        res[f'{lr:g}'] = dict(train_loss=[round(h[0], 2) for h in hist], held_out_loss=[round(l, 2) for l in held_loss], seconds=round(time.perf_counter() - t0, 1))
        print(f"lr {lr:g}: training loss per epoch {res[f'{lr:g}']['train_loss']}, held-out loss {res[f'{lr:g}']['held_out_loss']}", flush=True)
    best = min(res, key=lambda k: sum(res[k]['held_out_loss']))
    print('lowest held-out loss:', best)
    if out: write_json(out, dict(rates=res, chosen=float(best), rule='lowest mean held-out regression loss', machine=machine('cpu', amp_dtype('cpu'))))

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0]); ap.add_argument('--out')
    main(ap.parse_args().out)
