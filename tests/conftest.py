import os, sys, subprocess
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault('MPLBACKEND', 'Agg')

def run_cli(*args, cwd=None, timeout=600, env=None):
    "Run the installed `ustudents` command line in a subprocess; return the CompletedProcess."
    e = {**os.environ, 'PYTHONUNBUFFERED': '1', **(env or {})}
    return subprocess.run([str(Path(sys.executable).with_name('ustudents')), *map(str, args)], cwd=cwd, env=e,
                          capture_output=True, text=True, timeout=timeout)

@pytest.fixture
def cli():
    return run_cli
