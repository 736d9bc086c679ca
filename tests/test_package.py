"The installed package: imports without the dev tools, public entry points, library in sync with the notebooks."
import pkgutil, shutil, subprocess, sys, filecmp
from pathlib import Path
import ustudents
from conftest import ROOT

BLOCK_DEV_TOOLS = '''
import sys, importlib.abc
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('nbdev', 'fastcore', 'execnb'): raise ImportError('blocked: ' + name)
sys.meta_path.insert(0, Block())
'''

def modules():
    return sorted(m.name for m in pkgutil.iter_modules(ustudents.__path__, 'ustudents.') if not m.name.endswith('_modidx'))

def test_imports_without_nbdev():
    code = BLOCK_DEV_TOOLS + ''.join(f'import {m}\n' for m in modules()) + 'print("ok")'
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip() == 'ok', r.stderr

def test_public_entry_points():
    from ustudents.teacher import patch_network
    from ustudents.fdfe import dense_network
    from ustudents.data import MVTEC_CATEGORIES
    assert len(MVTEC_CATEGORIES) == 15
    T = dense_network(patch_network(17))
    import torch
    assert T(torch.zeros(1, 3, 5, 6)).shape == (1, 128, 5, 6)

def test_library_in_sync_with_notebooks(tmp_path):
    "Exporting the notebooks into a scratch copy gives exactly the committed library."
    for name in ('settings.ini', 'nbs', 'ustudents'): 
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, tmp_path / name)
    shutil.rmtree(tmp_path / 'ustudents')
    r = subprocess.run([str(Path(sys.executable).with_name('nbdev_export'))], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    cmp = filecmp.dircmp(ROOT / 'ustudents', tmp_path / 'ustudents', ignore=['__pycache__'])
    assert not cmp.left_only and not cmp.right_only and not cmp.diff_files, (cmp.left_only, cmp.right_only, cmp.diff_files)

def test_anomaly_map_importable():
    from ustudents.score import anomaly_map
    assert callable(anomaly_map)

def test_version_matches_settings():
    import configparser
    cfg = configparser.ConfigParser(); cfg.read(ROOT / 'settings.ini')
    assert ustudents.__version__ == cfg['DEFAULT']['version']
