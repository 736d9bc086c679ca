"""The experiment notebooks' full branches, end to end on CPU with the 'smoke' budget, against fake data written in the real
on-disk formats (MVTec AD's PNG tree with an RGB and a gray category, torchvision's MNIST and CIFAR-10 files, an Imagenette
folder, ResNet-18 weights where torchvision keeps them); then run again after damaging artefacts, which must be redone and
nothing else."""
import json, os, subprocess, sys, time
from pathlib import Path
import numpy as np, pytest, torch
from PIL import Image
from ustudents.data import make_synthetic_mvtec
from fixtures import write_imagenette_files, write_mnist_files, write_cifar10_files
from ustudents.experiment import artefact_ok
from conftest import ROOT

RUN_NOTEBOOK = '''
import sys
from pathlib import Path
from nbdev.test import test_nb
ok, seconds = test_nb(Path(sys.argv[1]), skip_flags=['notest'], do_print=False)
print(f"{'passed' if ok else 'FAILED'} in {seconds:.0f} s")
sys.exit(0 if ok else 1)
'''

@pytest.fixture(scope='module')
def home(tmp_path_factory):
    "A USTUDENTS_HOME holding fake data in the real formats, and a TORCH_HOME holding ResNet-18 weights."
    import torchvision
    tmp = tmp_path_factory.mktemp('experiments')
    data = tmp / 'home' / 'data'
    mvtec = data / 'mvtec_anomaly_detection'
    make_synthetic_mvtec(mvtec, 'bottle', 'cells', size=80, n_train=8, n_test_good=2, n_per_defect=1, seed=1)
    make_synthetic_mvtec(mvtec, 'grid', 'weave', size=72, n_train=8, n_test_good=2, n_per_defect=1, seed=2)
    for f in (mvtec / 'grid').rglob('*.png'):                       # MVTec's grid is stored gray
        if 'ground_truth' not in f.parts: Image.open(f).convert('L').save(f)
    write_imagenette_files(data, n_per_class=2, size=(80, 96))
    write_mnist_files(data, train_labels=[0] * 12 + [1] * 12 + [2] * 4, test_labels=[0, 1, 2, 3] * 4)
    write_cifar10_files(data, train_labels=[0] * 12 + [1] * 12 + [2] * 6, test_labels=[0, 1, 2, 3] * 4)
    checkpoints = tmp / 'torch' / 'hub' / 'checkpoints'; checkpoints.mkdir(parents=True)
    torch.manual_seed(0); torch.save(torchvision.models.resnet18().state_dict(), checkpoints / 'resnet18-f37072fd.pth')
    return tmp

def run_notebook(name, tmp):
    env = {**os.environ, 'USTUDENTS_HOME': str(tmp / 'home'), 'USTUDENTS_MODE': 'smoke', 'TORCH_HOME': str(tmp / 'torch'),
           'MPLBACKEND': 'Agg', 'PYTHONUNBUFFERED': '1'}
    r = subprocess.run([sys.executable, '-c', RUN_NOTEBOOK, str(ROOT / 'nbs' / name)], cwd=ROOT / 'nbs', env=env, capture_output=True, text=True, timeout=1200)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]

def test_mvtec_full_branch_runs_and_resumes(home):
    runs = home / 'home' / 'runs' / 'mvtec' / 'smoke'
    run_notebook('11_mvtec.ipynb', home)
    first = json.loads((runs / 'mvtec_smoke.json').read_text())
    assert first['budget'] == 'smoke' and 'mean nothing' in first['deviates_from_paper'] and first['seconds'] > 0
    assert sorted(first['results']) == ['bottle', 'grid'] and set(first['results']['grid']) >= {'p17', 'p33', 'p65', 'combined'}
    teachers = home / 'home' / 'teachers'
    assert sorted(f.name for f in teachers.glob('*.pt')) == [f'teacher_p{p}_imagenette_2.pt' for p in (17, 33, 65)]
    # damage: truncate one category's maps, delete one teacher; the other category's model must not be retrained
    maps = runs / 'bottle' / 'maps.npz'; maps.write_bytes(maps.read_bytes()[:200])
    (teachers / 'teacher_p33_imagenette_2.pt').unlink()
    grid_model = (runs / 'grid' / 'model.pt').stat().st_mtime_ns
    run_notebook('11_mvtec.ipynb', home)
    second = json.loads((runs / 'mvtec_smoke.json').read_text())
    assert artefact_ok(maps) and artefact_ok(teachers / 'teacher_p33_imagenette_2.pt')
    assert (runs / 'grid' / 'model.pt').stat().st_mtime_ns == grid_model                 # finished work is not redone
    for cat in ('bottle', 'grid'):
        for c in ('p17', 'p33', 'p65', 'combined'):
            assert second['results'][cat][c]['pro_auc'] == pytest.approx(first['results'][cat][c]['pro_auc'], abs=1e-9)
    assert second['seconds'] >= first['seconds'] * 0.99                                # the time of the first session still counts

def test_oneclass_full_branch_runs_and_resumes(home):
    runs = home / 'home' / 'runs' / 'oneclass' / 'smoke'
    run_notebook('10_oneclass.ipynb', home)
    first = json.loads((runs / 'oneclass_smoke.json').read_text())
    assert sorted(first['results']) == ['CIFAR-10', 'MNIST'] and sorted(first['results']['MNIST']) == ['0', '1'] and first['seconds'] > 0
    res = runs / 'MNIST' / 'class1' / 'result.json'; res.write_text(res.read_text()[:10])   # a truncated result is redone
    model = (runs / 'CIFAR-10' / 'class0' / 'model.pt').stat().st_mtime_ns
    run_notebook('10_oneclass.ipynb', home)
    second = json.loads((runs / 'oneclass_smoke.json').read_text())
    assert artefact_ok(res) and (runs / 'CIFAR-10' / 'class0' / 'model.pt').stat().st_mtime_ns == model
    assert second['results'] == first['results'] or all(abs(second['results'][d][c][r] - first['results'][d][c][r]) < 1e-9
                                                        for d in first['results'] for c in first['results'][d] for r in ('max', 'mean', 'topk'))
    assert second['seconds'] >= first['seconds'] * 0.99
