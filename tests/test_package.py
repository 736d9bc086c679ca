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
    ours, theirs = ({f.name for f in (root / 'ustudents').glob('*.py')} for root in (ROOT, tmp_path))
    assert ours - {'__main__.py'} == theirs, (ours ^ theirs)           # __main__.py is written by hand (python -m ustudents)
    assert [f for f in sorted(theirs) if not filecmp.cmp(ROOT / 'ustudents' / f, tmp_path / 'ustudents' / f, shallow=False)] == []

def test_anomaly_map_importable():
    from ustudents.score import anomaly_map
    assert callable(anomaly_map)

def test_version_matches_settings():
    import configparser
    cfg = configparser.ConfigParser(); cfg.read(ROOT / 'settings.ini')
    assert ustudents.__version__ == cfg['DEFAULT']['version']

def test_every_notebook_runs_from_the_top_on_colab():
    "An install cell comes before the first `ustudents` import, nbdev_export() runs only in a checkout, and a line says how long the notebook takes."
    import json, re
    for f in sorted((ROOT / 'nbs').glob('*.ipynb')):
        cells = json.loads(f.read_text())['cells']
        code = [''.join(c['source']) for c in cells if c['cell_type'] == 'code']
        first = next((i for i, s in enumerate(code) if re.search(r'^\s*(from|import) ustudents', s, re.M)), None)
        if first is not None: assert any('pip install' in s for s in code[:first]), f"{f.name}: no install cell before the first ustudents import"
        for s in code:
            if 'nbdev_export(' in s: assert re.search(r"if Path\('\.\./settings\.ini'\)\.exists\(\)", s), f"{f.name}: nbdev_export() unguarded"
        if f.stem != 'index':
            text = ' '.join(''.join(c['source']) for c in cells[:3] if c['cell_type'] == 'markdown')
            assert re.search(r'Runs on a CPU in|runs on a CPU in', text), f"{f.name}: no line saying how long it takes on a CPU"

def test_docstrings_render_cleanly():
    "No exported docstring holds Markdown emphasis by accident (`s*s`, `_x_`)."
    import inspect, re
    for m in modules():
        mod = __import__(m, fromlist=['*'])
        for name in getattr(mod, '__all__', []):
            obj = getattr(mod, name)
            if not (inspect.isfunction(obj) or inspect.isclass(obj)) or obj.__module__ != m: continue   # constants carry their type's docstring
            doc = inspect.getdoc(obj) or ''
            assert not re.search(r'\w\*\w|(?<![\w`])_[A-Za-z]+_(?![\w`])', doc), f"{m}.{name}: {doc!r}"

AMP_ON_AVX2 = '''
import torch
from ustudents.core import amp_dtype, cpu_isa, cpu_bf16_native, machine
assert torch.backends.cpu.get_cpu_capability() in ('AVX2', 'DEFAULT'), torch.backends.cpu.get_cpu_capability()
assert not cpu_bf16_native() and not {'AVX512-BF16', 'AMX'} & set(cpu_isa())
assert amp_dtype('cpu', 'auto') is None and amp_dtype('cpu', True) is None and amp_dtype('cpu') is None
assert amp_dtype('cpu', 'bf16') == torch.bfloat16          # asked for by name, it is still given
m = machine('cpu', amp_dtype('cpu'))
assert m['precision'] == 'float32' and m['isa_limited_by']['ATEN_CPU_CAPABILITY'] == 'avx2', m
print('ok')
'''

def test_cpu_without_native_bf16_gets_float32():
    "On a processor without native bf16 (this one held to AVX2, as torch dispatches), 'auto' and True mean float32."
    env = {**__import__('os').environ, 'ATEN_CPU_CAPABILITY': 'avx2', 'ONEDNN_MAX_CPU_ISA': 'AVX2'}
    r = subprocess.run([sys.executable, '-c', AMP_ON_AVX2], capture_output=True, text=True, env=env)
    assert r.returncode == 0 and r.stdout.strip() == 'ok', r.stderr[-2000:]

def test_every_library_default_is_auto():
    "No library function or CLI option hard-codes 16-bit on a CPU: every `amp` default is 'auto'."
    import inspect
    for name in modules():
        mod = __import__(name, fromlist=['_'])
        for f in vars(mod).values():
            if inspect.isfunction(f) and f.__module__ == name and 'amp' in inspect.signature(f).parameters:
                par = inspect.signature(f).parameters['amp']
                if par.annotation in (bool, 'bool'): continue       # cost.estimate: prices GPU hours, runs nothing
                assert par.default in ('auto', inspect.Parameter.empty), (name, f.__name__, par.default)
