"The installed `ustudents` command, driven in a subprocess on small synthetic data: values, interruptions, and a table of bad inputs."
import json, os, shutil, signal, subprocess, sys, time
from pathlib import Path
import numpy as np, pytest, torch
from PIL import Image
from ustudents.images import load_mask
from ustudents.data import make_synthetic_mvtec, MVTecAD
from ustudents.metrics import pro_auc, pixel_auroc, upsample_map
from ustudents.experiment import load_maps, run_metrics
from conftest import run_cli

TINY = ['--students', '2', '--epochs', '2', '--batch-size', '3', '--image-size', '24', '--val-fraction', '0.34', '--quiet']
USTUDENTS = str(Path(sys.executable).with_name('ustudents'))

@pytest.fixture(scope='module')
def work(tmp_path_factory):
    "Synthetic data, a tiny teacher and a tiny run, shared by the tests."
    d = tmp_path_factory.mktemp('cli')
    make_synthetic_mvtec(d / 'data', 'tiles', 'cells', size=24, n_train=6, n_test_good=2, n_per_defect=1)
    r = run_cli('pretrain-teacher', '--patch-size', 17, '--images', 'photographs', '--out', d / 't17.pt', '--p-network', 'efficientnet_lite0',   # installed ImageNet weights: no download
                '--pool', 8, '--p-input-size', 32, '--iterations', 3, '--batch-size', 4, '--quiet')
    assert r.returncode == 0, r.stderr
    r = run_cli('train-students', '--teacher', d / 't17.pt', '--data', d / 'data', '--category', 'tiles', '--out', d / 'run', *TINY)
    assert r.returncode == 0, r.stderr
    return d

@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    "A run that has learned something: the shipped p = 17 teacher, students trained on a synthetic texture."
    d = tmp_path_factory.mktemp('trained')
    make_synthetic_mvtec(d / 'data', 'weave', 'weave', size=32, n_train=12, n_test_good=3, n_per_defect=2, seed=3)
    # 16 epochs: the ImageNet-distilled teacher's descriptors use about 100 of 128 directions, and 8 epochs left a stain below its background
    r = run_cli('train-students', '--teacher', 'offline:17', '--data', d / 'data', '--category', 'weave', '--out', d / 'run', '--students', 3,
                '--epochs', 16, '--batch-size', 4, '--lr', 1e-3, '--image-size', 32, '--val-fraction', 0.2, '--quiet')
    assert r.returncode == 0, r.stderr
    return d

def test_help_is_complete():
    for cmd in ('demo', 'pretrain-teacher', 'train-students', 'evaluate', 'predict'):
        r = run_cli(cmd, '--help'); assert r.returncode == 0 and '--device' in r.stdout and '--seed' in r.stdout, cmd
    r = run_cli('export', '--help'); assert r.returncode == 0 and '--parts' in r.stdout and 'ustudents[export]' in r.stdout
    assert "(default: 100, the paper's)" in ' '.join(run_cli('train-students', '--help').stdout.split())

def test_python_m_runs_the_same_command():
    r = subprocess.run([sys.executable, '-m', 'ustudents', 'evaluate', '--help'], capture_output=True, text=True)
    assert r.returncode == 0 and '--save-maps' in r.stdout

def test_pretrain_teacher_output(work):
    assert (work / 't17.pt').is_file()
    from ustudents.teacher import load_teacher
    T = load_teacher(work / 't17.pt')
    assert T.config.p_network == 'efficientnet_lite0' and T.config.pool == 8 and 'ImageNet weights of the registry package' in T.provenance['P']
    assert not [f for f in work.iterdir() if f.name.endswith('.tmp') or f.name.endswith('.state.pt')]   # no temporary or state files left

def test_planted_defects_score_above_their_background(trained):
    "Through train-students and predict: inside every planted defect the map is higher than around it."
    d = trained
    r = run_cli('predict', '--run', d / 'run', d / 'data' / 'weave' / 'test', '--out', d / 'pred', '--quiet')
    assert r.returncode != 0   # test/ holds folders, not images: refused
    gaps = []
    for defect in ('blob', 'scratch', 'hole', 'stain'):
        r = run_cli('predict', '--run', d / 'run', d / 'data' / 'weave' / 'test' / defect, '--out', d / 'pred' / defect, '--quiet')
        assert r.returncode == 0, r.stderr
        for f in sorted((d / 'data' / 'weave' / 'test' / defect).iterdir()):
            m = np.load(d / 'pred' / defect / f'{f.stem}.npy'); gt = load_mask(d / 'data' / 'weave' / 'ground_truth' / defect / f'{f.stem}_mask.png').numpy()
            gaps.append(m[gt].mean() - m[~gt].mean())
    assert min(gaps) > 0.5 and np.mean(gaps) > 2, gaps          # in validation standard deviations

def test_evaluate_values_equal_the_library(trained, tmp_path):
    "evaluate's JSON equals the library's metrics on the maps it saved, and those maps equal predict's at original resolution."
    d = trained
    r = run_cli('evaluate', '--run', d / 'run', '--data', d / 'data', '--category', 'weave', '--save-maps', tmp_path / 'maps.npz', '--quiet')
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout); maps, masks, labels = load_maps(tmp_path / 'maps.npz')
    assert res['combined']['pro_auc'] > 0.6 and res['combined']['pixel_auroc'] > 0.85      # it found the synthetic defects
    up = [upsample_map(m, k.shape) for m, k in zip(maps['combined'], masks)]
    assert res['combined']['pro_auc'] == pytest.approx(pro_auc(up, masks), abs=1e-12)
    assert res['combined']['pixel_auroc'] == pytest.approx(pixel_auroc(up, masks), abs=1e-12)
    assert run_metrics(maps, masks, labels)['p17'] == res['p17']

def test_tiled_prediction_equals_untiled(work, tmp_path):
    hole = work / 'data' / 'tiles' / 'test' / 'hole'
    for out, extra in (('a', []), ('b', ['--tile', '10'])):
        r = run_cli('predict', '--run', work / 'run', hole, '--out', tmp_path / out, '--format', 'tiff', '--quiet', *extra); assert r.returncode == 0, r.stderr
    a, b = (np.asarray(Image.open(tmp_path / o / '000.tiff')) for o in 'ab')
    assert a.shape == (24, 24) and a.dtype == np.float32 and np.abs(a - b).max() < 1e-3

def test_sixteen_bit_images_are_read_by_their_depth(work, tmp_path):
    "A 16-bit PNG gets the map of the same picture stored in 8 bits, not the map of a white image."
    x = np.asarray(Image.open(work / 'data' / 'tiles' / 'test' / 'hole' / '000.png').convert('L'))
    Image.fromarray(x).save(tmp_path / 'eight.png'); Image.fromarray(x.astype(np.uint16) * 257).save(tmp_path / 'sixteen.png')
    r = run_cli('predict', '--run', work / 'run', tmp_path / 'eight.png', tmp_path / 'sixteen.png', '--out', tmp_path / 'p', '--quiet')
    assert r.returncode == 0, r.stderr
    assert np.abs(np.load(tmp_path / 'p' / 'eight.npy') - np.load(tmp_path / 'p' / 'sixteen.npy')).max() < 1e-4

def test_photographs_are_scored_as_a_viewer_shows_them(work, tmp_path):
    "A JPEG stored sideways with an EXIF orientation tag is scored upright: its map has the shape a viewer shows, and equals the map of the same picture stored upright."
    x = np.asarray(Image.open(work / 'data' / 'tiles' / 'test' / 'hole' / '000.png').convert('RGB'))
    wide = np.concatenate([x, x[:, :12]], 1)                                    # 24 x 36: not square
    Image.fromarray(wide).save(tmp_path / 'upright.png')
    exif = Image.Exif(); exif[0x0112] = 6                                       # stored turned: the viewer turns it back
    Image.fromarray(np.rot90(wide, 1).copy()).save(tmp_path / 'turned.png', exif=exif)
    r = run_cli('predict', '--run', work / 'run', tmp_path / 'upright.png', tmp_path / 'turned.png', '--out', tmp_path / 'p', '--quiet')
    assert r.returncode == 0, r.stderr
    a, b = np.load(tmp_path / 'p' / 'upright.npy'), np.load(tmp_path / 'p' / 'turned.npy')
    assert a.shape == b.shape == (24, 36) and np.abs(a - b).max() < 1e-4

def test_sixteen_bit_masks_are_binary(work, tmp_path):
    "Masks saved with 16 bits (0 and 65535) evaluate as their 8-bit twins do."
    data = tmp_path / 'data'; shutil.copytree(work / 'data', data)
    for m in (data / 'tiles' / 'ground_truth').rglob('*.png'):
        Image.fromarray((np.asarray(Image.open(m)) > 0).astype(np.uint16) * 65535).save(m)
    runs = [run_cli('evaluate', '--run', work / 'run', '--data', d, '--category', 'tiles') for d in (work / 'data', data)]
    assert all(r.returncode == 0 for r in runs), runs[1].stderr
    eight, sixteen = ({k: v for k, v in json.loads(r.stdout).items() if k != 'timing'} for r in runs)
    assert eight == sixteen and 'combined' in eight, (eight, sixteen)

def test_export_runs_in_onnxruntime_as_the_library_scores(work, tmp_path):
    "`ustudents export` on a run from train-students: onnxruntime's map equals anomaly_map's, for one image and a batch."
    import onnxruntime as ort
    from ustudents.experiment import load_run
    from ustudents.score import anomaly_map
    from ustudents.export import ONNX_TOLERANCE
    r = run_cli('export', '--run', work / 'run', '--out', tmp_path / 'd.onnx'); assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)['onnx'] == str(tmp_path / 'd.onnx')
    s = ort.InferenceSession(str(tmp_path / 'd.onnx'), providers=['CPUExecutionProvider'])
    test = MVTecAD(work / 'data', 'tiles', 'test', image_size=24)
    x = torch.stack([test[i]['image'] for i in range(len(test))])                  # images the students never saw
    for n in (1, len(x)):
        got = torch.from_numpy(s.run(['score'], {'images': x[:n].numpy()})[0])
        assert (got - anomaly_map(load_run(work / 'run'), x[:n], amp='off')).abs().max() <= ONNX_TOLERANCE
    r = run_cli('export', '--run', work / 'run', '--out', tmp_path / 'd.onnx')
    assert r.returncode == 2 and '--overwrite' in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr

def test_export_without_the_extra_says_how_to_install_it(work, tmp_path):
    "Without onnx installed, `ustudents export` says in one line which extra to install."
    site = tmp_path / 'site'; site.mkdir()
    (site / 'sitecustomize.py').write_text(
        "import sys, importlib.abc\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('onnx', 'onnxruntime', 'onnxscript'): raise ImportError(name)\n"
        "sys.meta_path.insert(0, Block())\n")
    r = run_cli('export', '--run', work / 'run', '--out', tmp_path / 'd.onnx',
                env={'PYTHONPATH': f"{site}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"})
    assert r.returncode == 2 and 'pip install "ustudents[export]"' in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and not (tmp_path / 'd.onnx').exists()

def _interrupt(args, state: Path, sig=signal.SIGINT):
    "Start the command, send `sig` once its first checkpoint exists, and return its exit code."
    # as from a terminal: SIGINT at its default, even when the tests were started in the background (where the shell ignores it)
    p = subprocess.Popen([USTUDENTS, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    t0 = time.time()
    while not state.exists() and time.time() - t0 < 300 and p.poll() is None: time.sleep(0.1)
    assert p.poll() is None, p.communicate()
    time.sleep(0.3); p.send_signal(sig); out, err = p.communicate(timeout=120)
    return p.returncode, err

def test_ctrl_c_then_resume_equals_uninterrupted_training(work, tmp_path):
    args = ['train-students', '--teacher', work / 't17.pt', '--data', work / 'data', '--category', 'tiles', '--students', '2', '--epochs', '10',
            '--batch-size', '3', '--image-size', '24', '--val-fraction', '0.34', '--quiet']
    state = tmp_path / 'run' / 'train_state.pt'
    rc, err = _interrupt([*args, '--out', tmp_path / 'run'], state)
    assert rc == 130 and 'interrupted' in err and '--resume' in err, (rc, err)
    done = torch.load(state, weights_only=False)['current']['epoch']
    assert 1 <= done < 10 and not (tmp_path / 'run' / 'model.pt').exists()
    assert not [f for f in (tmp_path / 'run').iterdir() if f.name.endswith('.tmp')]     # nothing half-written
    r = run_cli('evaluate', '--run', tmp_path / 'run', '--data', work / 'data', '--category', 'tiles'); assert r.returncode == 2 and '--resume' in r.stderr
    r = run_cli(*args, '--out', tmp_path / 'run', '--resume'); assert r.returncode == 0, r.stderr
    r = run_cli(*args, '--out', tmp_path / 'straight'); assert r.returncode == 0, r.stderr
    hole = work / 'data' / 'tiles' / 'test' / 'hole'
    for run in ('run', 'straight'): assert run_cli('predict', '--run', tmp_path / run, hole, '--out', tmp_path / f'p_{run}', '--quiet').returncode == 0
    assert np.array_equal(np.load(tmp_path / 'p_run' / '000.npy'), np.load(tmp_path / 'p_straight' / '000.npy'))

def test_ctrl_c_then_resume_equals_uninterrupted_pretraining(tmp_path):
    args = ['pretrain-teacher', '--patch-size', 17, '--images', 'photographs', '--p-weights', 'none', '--p-input-size', 32,
            '--iterations', 60, '--batch-size', 8, '--checkpoint-every', 5, '--lambda-m', 1, '--quiet']
    rc, err = _interrupt([*args, '--out', tmp_path / 't.pt'], tmp_path / 't.pt.state.pt')
    assert rc == 130 and 'run the same command again' in err, (rc, err)
    assert not (tmp_path / 't.pt').exists()
    r = run_cli(*args, '--out', tmp_path / 't.pt'); assert r.returncode == 0, r.stderr
    r = run_cli(*args, '--out', tmp_path / 'u.pt'); assert r.returncode == 0, r.stderr
    a, b = (torch.load(tmp_path / f, weights_only=True)['state_dict'] for f in ('t.pt', 'u.pt'))
    assert all(torch.equal(a[k], b[k]) for k in a) and not (tmp_path / 't.pt.state.pt').exists()

def _bad_input(d: Path, tmp: Path, case: str) -> list:
    "Set up one bad input in `tmp` and return the command's arguments."
    run, data, t17 = d / 'run', d / 'data', d / 't17.pt'
    hole = data / 'tiles' / 'test' / 'hole'
    train = lambda *extra: ['train-students', '--teacher', t17, '--data', data, '--category', 'tiles', '--out', tmp / 'r', *TINY, *extra]
    pre = lambda *extra: ['pretrain-teacher', '--patch-size', 17, '--images', 'photographs', '--out', tmp / 't.pt', '--p-weights', 'none', '--p-input-size', 32, '--iterations', 2, '--batch-size', 4, *extra]
    if case == 'negative tile': return ['predict', '--run', run, hole, '--out', tmp / 'o', '--tile', '-3']
    if case == 'zero epochs': return train('--epochs', '0')
    if case == 'negative batch': return train('--batch-size', '-2')
    if case == 'zero iterations': return pre('--iterations', '0')
    if case == 'teacher batch of one': return pre('--batch-size', '1')
    if case == 'zero learning rate': return pre('--lr', '0')
    if case == 'one student': return train('--students', '1')
    if case == 'negative validation share': return train('--val-fraction', '-0.1')
    if case == 'validation share of one': return train('--val-fraction', '1')
    if case == 'image smaller than the field': return train('--image-size', '10')
    if case == 'not a number': return train('--epochs', 'ten')
    if case == 'unknown amp': return train('--amp', 'half')
    if case == 'negative workers': return train('--num-workers', '-1')
    if case == 'zero eval batch': return ['evaluate', '--run', run, '--data', data, '--category', 'tiles', '--batch-size', '0']
    if case == 'transparent image':
        a = np.zeros((24, 24, 4), np.uint8); a[..., 3] = 255; a[0, 0, 3] = 0; Image.fromarray(a).save(tmp / 'clear.png')
        return ['predict', '--run', run, tmp / 'clear.png', '--out', tmp / 'o']
    if case == 'float image out of range':
        Image.fromarray(np.full((24, 24), 4.0, np.float32)).save(tmp / 'f.tiff'); return ['predict', '--run', run, tmp / 'f.tiff', '--out', tmp / 'o']
    if case == 'truncated image':
        f = tmp / 'x.png'; f.write_bytes((hole / '000.png').read_bytes()[:40]); return ['predict', '--run', run, f, '--out', tmp / 'o']
    if case == 'corrupt training image':
        shutil.copytree(data, tmp / 'data'); (tmp / 'data' / 'tiles' / 'train' / 'good' / '003.png').write_bytes(b'garbage')
        return ['train-students', '--teacher', t17, '--data', tmp / 'data', '--category', 'tiles', '--out', tmp / 'r', *TINY]
    if case == 'soft mask':
        shutil.copytree(data, tmp / 'data'); m = next((tmp / 'data' / 'tiles' / 'ground_truth' / 'hole').iterdir())
        a = np.asarray(Image.open(m)).copy(); a[a > 0] = 128; a[0, 0] = 255; Image.fromarray(a).save(m)
        return ['evaluate', '--run', run, '--data', tmp / 'data', '--category', 'tiles']
    if case == 'maps exist': (tmp / 'm.npz').write_bytes(b'x'); return ['evaluate', '--run', run, '--data', data, '--category', 'tiles', '--save-maps', tmp / 'm.npz']
    if case == 'maps to a folder': return ['evaluate', '--run', run, '--data', data, '--category', 'tiles', '--save-maps', tmp, '--overwrite']
    if case == 'teacher to a folder': return pre('--out', str(tmp), '--overwrite')
    if case == 'teacher exists':
        shutil.copy(t17, tmp / 't.pt'); return pre()
    if case == 'teacher to a folder that cannot exist':
        (tmp / 'file').write_text('x'); return [*pre()[:6], tmp / 'file' / 't.pt', *pre()[7:]]
    if case == 'run exists': return ['train-students', '--teacher', t17, '--data', data, '--category', 'tiles', '--out', run, *TINY]
    if case == 'maps to a folder that cannot exist':
        (tmp / 'file').write_text('x'); return ['evaluate', '--run', run, '--data', data, '--category', 'tiles', '--save-maps', tmp / 'file' / 'm.npz']
    if case == 'same output name':
        (tmp / 'a').mkdir(); (tmp / 'b').mkdir(); shutil.copy(hole / '000.png', tmp / 'a'); shutil.copy(hole / '000.png', tmp / 'b')
        return ['predict', '--run', run, tmp / 'a', tmp / 'b', '--out', tmp / 'o']
    if case == 'predictions exist':
        (tmp / 'o').mkdir(); (tmp / 'o' / '000.npy').write_bytes(b''); return ['predict', '--run', run, hole, '--out', tmp / 'o']
    if case == 'missing root': return ['evaluate', '--run', run, '--data', tmp / 'nowhere', '--category', 'tiles']
    if case == 'wrong category': return ['evaluate', '--run', run, '--data', data, '--category', 'carpet']
    if case == 'missing mask':
        shutil.copytree(data, tmp / 'data'); next((tmp / 'data' / 'tiles' / 'ground_truth' / 'hole').iterdir()).unlink()
        return ['evaluate', '--run', run, '--data', tmp / 'data', '--category', 'tiles']
    if case == 'empty folder': (tmp / 'empty').mkdir(); return ['train-students', '--teacher', t17, '--images', tmp / 'empty', '--out', tmp / 'r']
    if case == 'foreign checkpoint':
        (tmp / 'run').mkdir(); torch.save({'format': 'ustudents.model/0'}, tmp / 'run' / 'model.pt'); return ['predict', '--run', tmp / 'run', hole, '--out', tmp / 'o']
    if case == 'no cuda':
        if torch.cuda.is_available(): pytest.skip('this machine has CUDA')
        return ['evaluate', '--run', run, '--data', data, '--category', 'tiles', '--device', 'cuda']
    if case == 'image too small':
        Image.fromarray(np.zeros((10, 12, 3), np.uint8)).save(tmp / 's.png'); return ['predict', '--run', run, tmp / 's.png', '--out', tmp / 'o']
    if case == 'offline imagenette': return pre()[:4] + ['imagenette', '--data-root', tmp / 'nothing'] + pre()[5:]
    if case == 'non-finite vmax': return ['predict', '--run', run, hole, '--out', tmp / 'o', '--vmax', 'nan']
    if case == 'vmax below vmin': return ['predict', '--run', run, hole, '--out', tmp / 'o', '--vmin', '2', '--vmax', '1']
    if case == 'infinite learning rate': return train('--lr', 'inf')
    if case == 'negative seed': return train('--seed', '-1')
    if case == 'huge ensemble': return train('--students', '100000000')
    if case == 'negative learning rate in exponent form': return train('--lr', '-1e-3')
    if case == 'seed beyond 64 bits': return train('--seed', str(2 ** 64))
    if case == 'huge image size': return train('--image-size', '100000')
    if case == 'huge pool': return pre('--pool', '1000000000')
    if case == 'fractional students': return train('--students', '2.5')
    if case == 'P input too small': return pre('--p-input-size', '5')
    if case == 'validation takes every image': return train('--val-fraction', '0.99')
    if case == 'truncated test image':
        shutil.copytree(data, tmp / 'data'); f = tmp / 'data' / 'tiles' / 'test' / 'good' / '000.png'; f.write_bytes(f.read_bytes()[:60])
        return ['evaluate', '--run', run, '--data', tmp / 'data', '--category', 'tiles']
    if case == 'run given as its model file': return ['predict', '--run', run / 'model.pt', hole, '--out', tmp / 'o']
    if case == 'images given as a file': return ['train-students', '--teacher', t17, '--images', hole / '000.png', '--out', tmp / 'r', *TINY]
    if case == 'no validation share':
        (tmp / 'imgs').mkdir(); [shutil.copy(f, tmp / 'imgs') for f in sorted((data / 'tiles' / 'train' / 'good').iterdir())]
        return ['train-students', '--teacher', t17, '--images', tmp / 'imgs', '--out', tmp / 'r', *TINY, '--val-fraction', '0']
    if case == 'tiny training images':
        shutil.copytree(data, tmp / 'data')
        for f in (tmp / 'data' / 'tiles' / 'train' / 'good').iterdir(): Image.fromarray(np.zeros((10, 10, 3), np.uint8)).save(f)
        return ['train-students', '--teacher', t17, '--data', tmp / 'data', '--category', 'tiles', '--out', tmp / 'r', *TINY]
    if case == 'truncated JPEG for pre-training':
        (tmp / 'nat').mkdir()
        for i in range(2): Image.fromarray((np.random.default_rng(i).random((40, 40, 3)) * 255).astype(np.uint8)).save(tmp / 'nat' / f'{i}.jpg')
        jpg = (tmp / 'nat' / '0.jpg').read_bytes(); (tmp / 'nat' / 'cut.jpg').write_bytes(jpg[:len(jpg) // 2])
        return pre()[:4] + [tmp / 'nat'] + pre()[5:]
    if case == 'batch no machine holds': return train('--batch-size', '4096', '--image-size', '8192')
    if case == 'P input no machine holds': return pre('--p-input-size', '16384', '--batch-size', '64', '--p-weights', 'none')
    if case == 'learning rate beyond float32': return pre('--lr', '1e38')
    if case == 'decompression bomb':
        import struct, zlib
        f = tmp / 'bomb.png'; Image.fromarray(np.zeros((1, 1), np.uint8)).save(f); b = bytearray(f.read_bytes())
        ihdr = b'IHDR' + struct.pack('>II', 30000, 30000) + bytes(b[24:29]); b[12:29] = ihdr; b[29:33] = struct.pack('>I', zlib.crc32(ihdr))
        f.write_bytes(bytes(b)); return ['predict', '--run', run, f, '--out', tmp / 'o']
    if case == 'unknown shipped teacher': return ['train-students', '--teacher', 'offline:31', '--data', data, '--category', 'tiles', '--out', tmp / 'r']
    raise KeyError(case)

BAD_INPUTS = [   # (case, words the one-line error must contain)
    ('negative tile', 'argument --tile: must be at least 1'), ('zero epochs', 'argument --epochs: must be at least 1'),
    ('negative batch', 'argument --batch-size: must be at least 1'), ('zero iterations', 'argument --iterations: must be at least 1'),
    ('teacher batch of one', 'the compactness loss correlates the descriptors of a batch'), ('zero learning rate', 'argument --lr: must be greater than 0'),
    ('one student', 'predictive variance needs two students'), ('negative validation share', 'argument --val-fraction: must be at least 0'),
    ('validation share of one', 'argument --val-fraction: must be less than 1'), ('image smaller than the field', 'smaller than the receptive field p=17'),
    ('not a number', "'ten' is not an integer"), ('unknown amp', 'must be one of auto, off, bf16, fp16'),
    ('negative workers', 'argument --num-workers: must be at least 0'), ('zero eval batch', 'argument --batch-size: must be at least 1'),
    ('transparent image', 'transparent pixels'), ('float image out of range', 'values in [0, 1]'), ('truncated image', 'truncated or not an image'),
    ('corrupt training image', '003.png'), ('soft mask', 'not binary'), ('teacher exists', 'pass --overwrite'),
    ('teacher to a folder that cannot exist', 'Cannot write to'), ('run exists', 'already holds a run'),
    ('maps to a folder that cannot exist', 'Cannot write to'), ('same output name', 'would write the same map'),
    ('predictions exist', 'pass --overwrite'), ('missing root', 'does not exist. Download it'), ('wrong category', "found ['tiles']"),
    ('missing mask', 'has no mask'), ('empty folder', 'holds no images'), ('foreign checkpoint', 'not a model checkpoint'),
    ('no cuda', 'no usable CUDA GPU'), ('image too small', 'smaller than this model'), ('offline imagenette', 'pass download=True (or --download)'),
    ('unknown shipped teacher', 'No shipped teacher for p=31'), ('tiny training images', 'smaller than the smallest receptive field (p=17)'),
    ('truncated JPEG for pre-training', 'cut.jpg'), ('non-finite vmax', 'argument --vmax: must be a finite number; got nan'),
    ('vmax below vmin', '--vmax 1.0 must be above --vmin 2.0'), ('infinite learning rate', 'argument --lr: must be a finite number'),
    ('negative seed', 'argument --seed: must be at least 0'), ('P input too small', 'argument --p-input-size: must be at least 32'),
    ('validation takes every image', 'val_fraction (--val-fraction) 0.99 leaves none for training'), ('truncated test image', '000.png'),
    ('run given as its model file', 'is a file; a run is the folder'), ('images given as a file', 'is a file; give the folder of images'),
    ('no validation share', '--val-fraction 0.0 holds out no validation image'),
    ('huge ensemble', 'argument --students: must be at most 100'),
    ('negative learning rate in exponent form', 'argument --lr: must be greater than 0'), ('seed beyond 64 bits', 'argument --seed: must be at most 9223372036854775807'),
    ('huge image size', 'argument --image-size: must be at most 8192'), ('huge pool', 'argument --pool: must be at most 10000000'),
    ('fractional students', "'2.5' is not an integer"),
    ('batch no machine holds', 'on 8192x8192 images in batches of 4 needs about'), ('P input no machine holds', 'and P at 16384 pixels needs about'),
    ('learning rate beyond float32', 'argument --lr: must be at most 3.4028234663852886e+37'),
    ('decompression bomb', 'bomb.png declares 900,000,000 pixels, more than the 67,108,864'),
    ('maps exist', 'or choose another --save-maps'), ('maps to a folder', 'is a folder; give a file name for the saved maps'), ('teacher to a folder', 'is a folder; give a file name for the teacher'),
]

@pytest.mark.parametrize('case, words', BAD_INPUTS, ids=[c for c, _ in BAD_INPUTS])
def test_bad_input(work, tmp_path, case, words):
    t0 = time.time()
    r = run_cli(*_bad_input(work, tmp_path, case))
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert words in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr          # one line, no traceback
    assert '--skip-bad-images' not in r.stderr or r.stderr.startswith('ustudents pretrain-teacher'), r.stderr   # only where that option exists
    assert not (tmp_path / 'r' / 'model.pt').exists() and not (tmp_path / 't.pt').exists() or case == 'teacher exists'
    assert time.time() - t0 < 60, 'refused only after working for a while'

def test_resume_checks_what_it_resumes(work, tmp_path):
    "Resuming is refused after the teacher or the images changed, and accepted for the same files spelled differently."
    data = tmp_path / 'data'; shutil.copytree(work / 'data', data)
    args = ['--data', data, '--category', 'tiles', '--students', '2', '--epochs', '10', '--batch-size', '3', '--image-size', '24', '--val-fraction', '0.34', '--quiet']
    state = tmp_path / 'run' / 'train_state.pt'
    rc, _ = _interrupt(['train-students', '--teacher', work / 't17.pt', '--out', tmp_path / 'run', *args], state)
    assert rc == 130 and state.exists()
    other = tmp_path / 'other.pt'
    r = run_cli('pretrain-teacher', '--patch-size', 17, '--images', 'photographs', '--out', other, '--p-weights', 'none', '--p-input-size', 32,
                '--iterations', 2, '--batch-size', 4, '--seed', 5, '--quiet'); assert r.returncode == 0, r.stderr
    r = run_cli('train-students', '--teacher', other, '--out', tmp_path / 'run', '--resume', *args)
    assert r.returncode == 2 and 'teachers:' in r.stderr and state.exists(), r.stderr           # refused, and the state kept
    gone = data / 'tiles' / 'train' / 'good' / '001.png'; kept = gone.read_bytes(); gone.unlink()
    r = run_cli('train-students', '--teacher', work / 't17.pt', '--out', tmp_path / 'run', '--resume', *args)
    assert r.returncode == 2 and 'files:' in r.stderr and '001.png is gone' in r.stderr and state.exists(), r.stderr
    gone.write_bytes(kept)
    edited = data / 'tiles' / 'train' / 'good' / '002.png'; kept2 = edited.read_bytes()
    a = np.asarray(Image.open(edited)).copy(); a[0, 0] = 255 - a[0, 0]; Image.fromarray(a).save(edited)   # same name, other pixels
    r = run_cli('train-students', '--teacher', work / 't17.pt', '--out', tmp_path / 'run', '--resume', *args)
    assert r.returncode == 2 and '002.png, one of the' in r.stderr and 'was changed in place' in r.stderr, r.stderr
    edited.write_bytes(kept2)
    spelled = [a if a != data else Path('data') / '.' for a in args]
    r = run_cli('train-students', '--teacher', work / 't17.pt', '--out', tmp_path / 'run', '--resume', *spelled, cwd=tmp_path)
    assert r.returncode == 0, r.stderr

def test_pretraining_skips_bad_images_when_asked(tmp_path):
    "--skip-bad-images drops a truncated JPEG before the first step, says how many it dropped, and pre-trains on the rest."
    (tmp_path / 'nat').mkdir()
    for i in range(2): Image.fromarray((np.random.default_rng(i).random((40, 40, 3)) * 255).astype(np.uint8)).save(tmp_path / 'nat' / f'{i}.jpg')
    jpg = (tmp_path / 'nat' / '0.jpg').read_bytes(); (tmp_path / 'nat' / 'cut.jpg').write_bytes(jpg[:len(jpg) // 2])
    r = run_cli('pretrain-teacher', '--patch-size', 17, '--images', tmp_path / 'nat', '--out', tmp_path / 't.pt', '--p-weights', 'none', '--p-input-size', 32,
                '--iterations', 2, '--batch-size', 4, '--skip-bad-images', '--quiet')
    assert r.returncode == 0 and 'skipped 1 of 3 images' in r.stderr and 'cut.jpg' in r.stderr and (tmp_path / 't.pt').exists(), r.stderr
