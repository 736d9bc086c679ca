"The installed `ustudents` command, driven in a subprocess on tiny synthetic data: happy paths, resume, and bad input."
import json, subprocess, sys, time
from pathlib import Path
import numpy as np, pytest, torch
from PIL import Image
from ustudents.data import make_synthetic_mvtec
from conftest import run_cli

TINY_STUDENTS = ['--students', '2', '--epochs', '2', '--batch-size', '3', '--image-size', '24', '--val-fraction', '0.34', '--quiet']

@pytest.fixture(scope='module')
def work(tmp_path_factory):
    d = tmp_path_factory.mktemp('cli')
    make_synthetic_mvtec(d / 'data', 'tiles', 'cells', size=24, n_train=6, n_test_good=2, n_per_defect=1)
    r = run_cli('pretrain-teacher', '--patch-size', 17, '--images', 'scikit-image', '--out', d / 't17.pt', '--p-weights', 'none',
                '--p-input-size', 32, '--iterations', 3, '--batch-size', 4, '--quiet')
    assert r.returncode == 0, r.stderr
    r = run_cli('train-students', '--teacher', d / 't17.pt', '--data', d / 'data', '--category', 'tiles', '--out', d / 'run', *TINY_STUDENTS)
    assert r.returncode == 0, r.stderr
    return d

def test_help_is_complete():
    for cmd in ('demo', 'pretrain-teacher', 'train-students', 'evaluate', 'predict'):
        r = run_cli(cmd, '--help'); assert r.returncode == 0 and '--device' in r.stdout and '--seed' in r.stdout, cmd
    assert '(default: 100, the paper)' in run_cli('train-students', '--help').stdout

def test_pretrain_teacher_output(work):
    assert (work / 't17.pt').is_file()
    assert not [f for f in work.iterdir() if f.name.endswith('.tmp')]

def test_evaluate_prints_json(work):
    r = run_cli('evaluate', '--run', work / 'run', '--data', work / 'data', '--category', 'tiles', '--quiet')
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    for k in ('pro_auc', 'pixel_auroc', 'image_auroc'): assert 0 <= res['combined'][k] <= 1 and k in res['p17']
    assert res['n_test'] == 6 and res['timing']['seconds'] > 0

def test_saved_maps_rebuild_the_metrics(work, tmp_path):
    from ustudents.cli import load_maps, run_metrics
    r = run_cli('evaluate', '--run', work / 'run', '--data', work / 'data', '--category', 'tiles', '--save-maps', tmp_path / 'maps.npz', '--quiet')
    assert r.returncode == 0, r.stderr
    res, (maps, masks, labels) = json.loads(r.stdout), load_maps(tmp_path / 'maps.npz')
    assert list(maps) == ['17', 'combined'] and len(masks) == len(labels) == res['n_test']
    assert maps['17'][0].shape == masks[0].shape                    # saved at the masks' (original) resolution
    rebuilt = run_metrics(maps, masks, labels)
    for k in ('p17', 'combined'): assert rebuilt[k] == res[k]

def test_predict_writes_maps(work, tmp_path):
    r = run_cli('predict', '--run', work / 'run', work / 'data' / 'tiles' / 'test' / 'hole', '--out', tmp_path / 'p', '--format', 'tiff', '--quiet')
    assert r.returncode == 0, r.stderr
    assert sorted(f.name for f in (tmp_path / 'p').iterdir()) == ['000.tiff', '000_overlay.png']
    m = np.asarray(Image.open(tmp_path / 'p' / '000.tiff')); assert m.shape == (24, 24) and m.dtype == np.float32
    r = run_cli('predict', '--run', work / 'run', work / 'data' / 'tiles' / 'test' / 'hole', '--out', tmp_path / 't', '--tile', '10', '--quiet')
    assert r.returncode == 0, r.stderr
    np.testing.assert_allclose(np.load(tmp_path / 't' / '000.npy'), m, atol=1e-3)   # tiled = untiled

def test_predict_resizes_and_converts_gray(work, tmp_path):
    Image.fromarray((np.random.default_rng(0).random((30, 40)) * 255).astype(np.uint8)).save(tmp_path / 'g.png')
    r = run_cli('predict', '--run', work / 'run', tmp_path / 'g.png', '--out', tmp_path / 'p')
    assert r.returncode == 0, r.stderr
    assert 'converted to RGB' in r.stderr and 'resized' in r.stderr
    assert np.load(tmp_path / 'p' / 'g.npy').shape == (30, 40)   # the map comes back at the image's resolution

def test_multiscale_and_images_folder(work, tmp_path):
    r = run_cli('pretrain-teacher', '--patch-size', 33, '--images', 'scikit-image', '--out', tmp_path / 't33.pt', '--p-weights', 'none',
                '--p-input-size', 32, '--iterations', 2, '--batch-size', 4, '--quiet')
    assert r.returncode == 0, r.stderr
    r = run_cli('train-students', '--teacher', work / 't17.pt', '--teacher', tmp_path / 't33.pt', '--images', work / 'data' / 'tiles' / 'train' / 'good',
                '--out', tmp_path / 'run', '--num-workers', '1', *TINY_STUDENTS)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)['patch_sizes'] == [17, 33]
    r = run_cli('predict', '--run', tmp_path / 'run', work / 'data' / 'tiles' / 'test' / 'hole', '--out', tmp_path / 'p', '--amp', '--quiet')
    assert r.returncode == 0, r.stderr

def test_killed_training_resumes(work, tmp_path):
    args = ['train-students', '--teacher', work / 't17.pt', '--data', work / 'data', '--category', 'tiles', '--out', tmp_path / 'run',
            '--students', '2', '--epochs', '40', '--batch-size', '3', '--image-size', '24', '--val-fraction', '0.34', '--quiet']
    p = subprocess.Popen([str(Path(sys.executable).with_name('ustudents')), *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    state = tmp_path / 'run' / 'train_state.pt'
    t0 = time.time()
    while not state.exists() and time.time() - t0 < 120: time.sleep(0.2)
    time.sleep(0.5); p.kill(); p.wait()
    assert state.exists() and not (tmp_path / 'run' / 'model.pt').exists()
    done = torch.load(state, weights_only=False)['current']['epoch']
    assert 1 <= done < 40
    assert not [f for f in (tmp_path / 'run').iterdir() if f.name.endswith('.tmp')]     # nothing half-written
    r = run_cli('evaluate', '--run', tmp_path / 'run', '--data', work / 'data', '--category', 'tiles')
    assert r.returncode == 2 and '--resume' in r.stderr
    r = run_cli(*args, '--resume')
    assert r.returncode == 0, r.stderr
    assert (tmp_path / 'run' / 'model.pt').exists() and not state.exists()
    r = run_cli(*[a if a != '40' else '41' for a in args], '--resume')
    assert r.returncode == 2

@pytest.mark.parametrize('case, needle', [
    ('missing_root', 'does not exist. Download it'),
    ('wrong_category', "found ['tiles']"),
    ('missing_mask', 'has no mask'),
    ('empty_dir', 'holds no images'),
    ('bad_checkpoint', 'not a model checkpoint'),
    ('truncated_image', 'truncated or not an image'),
    ('cuda', 'no usable CUDA GPU'),
    ('existing_run', 'already holds a run'),
    ('too_small', 'smaller than this model'),
])
def test_bad_input(work, tmp_path, case, needle):
    d = work
    if case == 'missing_root': args = ['evaluate', '--run', d / 'run', '--data', tmp_path / 'nowhere', '--category', 'tiles']
    elif case == 'wrong_category': args = ['evaluate', '--run', d / 'run', '--data', d / 'data', '--category', 'carpet']
    elif case == 'missing_mask':
        import shutil; shutil.copytree(d / 'data', tmp_path / 'data')
        next((tmp_path / 'data' / 'tiles' / 'ground_truth' / 'hole').iterdir()).unlink()
        args = ['evaluate', '--run', d / 'run', '--data', tmp_path / 'data', '--category', 'tiles']
    elif case == 'empty_dir':
        (tmp_path / 'empty').mkdir(); args = ['train-students', '--teacher', d / 't17.pt', '--images', tmp_path / 'empty', '--out', tmp_path / 'r']
    elif case == 'bad_checkpoint':
        (tmp_path / 'run').mkdir(); torch.save({'format': 'ustudents.model/0'}, tmp_path / 'run' / 'model.pt')
        args = ['predict', '--run', tmp_path / 'run', d / 'data' / 'tiles' / 'test' / 'good', '--out', tmp_path / 'o']
    elif case == 'truncated_image':
        f = tmp_path / 'x.png'; f.write_bytes((d / 'data' / 'tiles' / 'test' / 'good' / '000.png').read_bytes()[:40])
        args = ['predict', '--run', d / 'run', f, '--out', tmp_path / 'o']
    elif case == 'cuda':
        if torch.cuda.is_available(): pytest.skip('this machine has CUDA')
        args = ['evaluate', '--run', d / 'run', '--data', d / 'data', '--category', 'tiles', '--device', 'cuda']
    elif case == 'too_small':
        Image.fromarray(np.zeros((10, 12, 3), np.uint8)).save(tmp_path / 's.png')
        args = ['predict', '--run', d / 'run', tmp_path / 's.png', '--out', tmp_path / 'o']
    else: args = ['train-students', '--teacher', d / 't17.pt', '--data', d / 'data', '--category', 'tiles', '--out', d / 'run', *TINY_STUDENTS]
    r = run_cli(*args)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert needle in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr    # one line, no traceback
