"""Scaling out with torchrun, on this machine's CPU with the gloo backend and two processes: data-parallel teacher pre-training
equals one process seeing the same global batches (and resumes with another number of processes); a two-process sweep equals the
one-process sweep; a sweep whose process is killed is launched again and finishes without redoing finished jobs."""
import json, os, signal, socket, subprocess, sys, time
from pathlib import Path
import pytest, torch
from ustudents.data import make_synthetic_mvtec
from ustudents.teacher import load_teacher
from conftest import run_cli

ONE_THREAD = {'OMP_NUM_THREADS': '1', 'MKL_NUM_THREADS': '1'}     # one thread per process in every run, so that sums are taken in the same order

def assert_same_training(a, b, lr=2e-4, steps=8):
    "Equal to float tolerance: on average to 1e-5 of each tensor's scale; element-wise within what Adam's near-sign steps allow a vanishing gradient whose sign differs in the last bit (2 lr per step)."
    for (n, x), y in zip(a.state_dict().items(), b.state_dict().values()):
        assert ((x - y).abs().mean() / x.abs().mean()).item() < 1e-5, n
        assert (x - y).abs().max().item() <= 2 * lr * steps, n

def free_port() -> int:
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def torchrun(*args, nproc=2, wait=True, **kw):
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', str(nproc), '--master_addr', '127.0.0.1', '--master_port', str(free_port()), *map(str, args)]
    env = {**os.environ, **ONE_THREAD, 'PYTHONUNBUFFERED': '1'}
    if not wait: return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900, **kw)

# float32: data-parallel training equals one process up to float32's rounding; bf16 autocast (the default where the
# processor computes bf16 natively) would round the split batch and the whole one differently
TEACHER = ['pretrain-teacher', '--patch-size', 17, '--images', 'photographs', '--p-weights', 'none', '--p-input-size', 32, '--iterations', 6,
           '--batch-size', 8, '--lambda-m', 1, '--checkpoint-every', 2, '--amp', 'off', '--quiet']

def test_data_parallel_teacher_equals_one_process(tmp_path):
    r = torchrun('-m', 'ustudents', *TEACHER, '--out', tmp_path / 'two.pt'); assert r.returncode == 0, r.stderr[-3000:]
    assert json.loads(r.stdout.strip().splitlines()[-1])['processes'] == 2
    r = run_cli(*TEACHER, '--out', tmp_path / 'one.pt', env=ONE_THREAD); assert r.returncode == 0, r.stderr
    assert_same_training(load_teacher(tmp_path / 'two.pt'), load_teacher(tmp_path / 'one.pt'), steps=6)

RESUME = '''
import sys
from ustudents.core import init_distributed, world
from ustudents.teacher import TeacherConfig, pretrain_teacher, save_teacher
from ustudents.patches import sample_photographs
init_distributed()
cfg = TeacherConfig.quick(17, iterations=int(sys.argv[2]), batch_size=8, p_input_size=32, lambda_m=1.0)
T, _ = pretrain_teacher(cfg, sample_photographs(), progress=False, checkpoint=None if sys.argv[1] == '-' else sys.argv[1], checkpoint_every=2, log_every=2,
                        amp='off')   # float32, as TEACHER above
if world()[0] == 0: save_teacher(T, sys.argv[3])
'''

def test_pretraining_resumes_with_another_number_of_processes(tmp_path):
    script = tmp_path / 'resume.py'; script.write_text(RESUME)
    alone = lambda *a: subprocess.run([sys.executable, script, *map(str, a)], env={**os.environ, **ONE_THREAD}, capture_output=True, text=True, timeout=600)
    r = torchrun(script, tmp_path / 'state.pt', 4, tmp_path / 'half.pt'); assert r.returncode == 0, r.stderr[-3000:]   # two processes stop at step 4
    assert torch.load(tmp_path / 'state.pt', weights_only=True)['step'] == 4
    r = alone(tmp_path / 'state.pt', 8, tmp_path / 'resumed.pt'); assert r.returncode == 0, r.stderr     # one process finishes the run
    r = alone('-', 8, tmp_path / 'straight.pt'); assert r.returncode == 0, r.stderr                     # one process, uninterrupted
    assert_same_training(load_teacher(tmp_path / 'resumed.pt'), load_teacher(tmp_path / 'straight.pt'), steps=8)

@pytest.fixture(scope='module')
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp('sweep')
    make_synthetic_mvtec(d / 'data', 'bottle', 'cells', size=36, n_train=5, n_test_good=2, n_per_defect=1, seed=1)
    make_synthetic_mvtec(d / 'data', 'grid', 'weave', size=36, n_train=5, n_test_good=2, n_per_defect=1, seed=2)
    return d

def sweep_args(d, out, epochs=1):
    return ['sweep', '--teacher', 'offline:17', '--teacher', 'offline:33', '--data', d / 'data', '--categories', 'bottle', 'grid', '--out', out,
            '--students', 2, '--epochs', epochs, '--batch-size', 2, '--image-size', 36, '--val-fraction', 0.2, '--quiet']

def test_two_process_sweep_equals_one_process(data):
    r = torchrun('-m', 'ustudents', *sweep_args(data, data / 'two')); assert r.returncode == 0, r.stderr[-3000:]
    r = run_cli(*sweep_args(data, data / 'one'), env=ONE_THREAD); assert r.returncode == 0, r.stderr
    two, one = (json.loads((data / o / 'sweep.json').read_text()) for o in ('two', 'one'))
    assert (two['processes'], one['processes']) == (2, 1)
    for cat in ('bottle', 'grid'):
        for k in ('p17', 'p33', 'combined'): assert two['results'][cat][k] == one['results'][cat][k], (cat, k)
        a, b = (torch.load(data / o / cat / 'model.pt', weights_only=True)['state_dict'] for o in ('two', 'one'))
        assert all(torch.equal(a[k], b[k]) for k in a), cat
        assert sorted(p.name for p in (data / 'two' / cat).iterdir()) == ['manifest.json', 'maps.npz', 'model.pt', 'results.json', 'run.json', 'students']

def test_killed_sweep_is_finished_by_a_relaunch(data):
    out = data / 'killed'
    p = torchrun('-m', 'ustudents', *sweep_args(data, out, epochs=6), wait=False)
    t0 = time.time()
    while not list(out.glob('*/students/*/student.pt')) and time.time() - t0 < 600 and p.poll() is None: time.sleep(0.2)
    workers = subprocess.run(['pgrep', '-P', str(p.pid)], capture_output=True, text=True).stdout.split()
    assert p.poll() is None and workers, p.communicate()
    os.kill(int(workers[-1]), signal.SIGKILL)                        # one process dies; torchrun stops the other
    p.communicate(timeout=300); assert p.returncode != 0
    done = {f: f.stat().st_mtime_ns for f in out.glob('*/students/*/student.pt')}
    assert done and not (out / 'sweep.json').exists()
    r = torchrun('-m', 'ustudents', *sweep_args(data, out, epochs=6)); assert r.returncode == 0, r.stderr[-3000:]
    assert all(f.stat().st_mtime_ns == t for f, t in done.items())   # finished jobs were not redone
    assert len(list(out.glob('*/students/*/student.pt'))) == 8 and json.loads((out / 'sweep.json').read_text())['processes'] == 2

def test_sweep_rerun_with_another_teacher_refuses_then_redoes(data, tmp_path):
    "A sweep launched again into the same --out with a changed teacher never pairs the old students with it: it refuses, naming the change; --redo retrains."
    from ustudents.teacher import patch_network, save_teacher
    from ustudents.experiment import weights_digest, load_run
    torch.manual_seed(5); other = tmp_path / 'untrained17.pt'; save_teacher(patch_network(17), other)
    args = lambda teacher: ['sweep', '--teacher', teacher, '--data', data / 'data', '--categories', 'bottle', '--out', tmp_path / 'out',
                            '--students', 2, '--epochs', 1, '--batch-size', 2, '--image-size', 36, '--val-fraction', 0.2, '--quiet']
    r = run_cli(*args('offline:17')); assert r.returncode == 0, r.stderr
    files = {f: f.stat().st_mtime_ns for f in (tmp_path / 'out').rglob('*') if f.is_file()}
    r = run_cli(*args(other))
    assert r.returncode != 0 and 'holds another run' in r.stderr and '; --teacher sets it' in r.stderr and '--redo' in r.stderr and 'Traceback' not in r.stderr, r.stderr
    assert {f: f.stat().st_mtime_ns for f in files} == files                                  # nothing finished was touched
    r = run_cli(*args(other), '--redo'); assert r.returncode == 0, r.stderr
    run = json.loads((tmp_path / 'out' / 'bottle' / 'run.json').read_text())
    assert run['teachers'] == [weights_digest(load_teacher(other))]                         # the results describe the model beside them
    assert weights_digest(load_run(tmp_path / 'out' / 'bottle').scales[0].teacher) == run['teachers'][0]
    assert all(torch.load(f, weights_only=True)['spec']['teacher'] == run['teachers'][0] for f in (tmp_path / 'out' / 'bottle' / 'students').rglob('student.pt'))

def test_sweep_rerun_refuses_before_training_anything(data, tmp_path):
    "A rerun with other options that also names a new category refuses before the new category's students train, naming the option."
    args = lambda epochs, *cats: ['sweep', '--teacher', 'offline:17', '--data', data / 'data', '--categories', *cats, '--out', tmp_path / 'out',
                                  '--students', 2, '--epochs', epochs, '--batch-size', 2, '--image-size', 36, '--val-fraction', 0.2, '--quiet']
    r = run_cli(*args(1, 'bottle')); assert r.returncode == 0, r.stderr
    r = run_cli(*args(2, 'grid', 'bottle'))                                   # grid's jobs come first in the list
    assert r.returncode != 0 and 'config.epochs: 1 then, 2 now; --epochs sets it' in r.stderr and 'Nothing was trained' in r.stderr, r.stderr
    assert not (tmp_path / 'out' / 'grid').exists()
