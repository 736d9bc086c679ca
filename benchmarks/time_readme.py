"""The README's commands, timed on this machine: the demo, and the test command with where its time goes.

    python benchmarks/time_readme.py --json nbs/results/readme_cpu.json
    ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 python benchmarks/time_readme.py --json nbs/results/readme_cpu_avx2.json

Run it from the repository root with the virtual environment active (the README's set-up done), on a quiet machine: it takes
as long as the demo and the test command together (about half an hour on two cores). The record names the machine
(`ustudents.core.machine`); the two variables of the second line hold torch to AVX2, as on a processor without native bf16,
and the record says so. The home page reads both records.
"""
import argparse, json, os, re, subprocess, tempfile, time
from pathlib import Path
from ustudents.core import machine, machine_line, amp_dtype

ROOT = Path(__file__).resolve().parents[1]

def timed(cmd: str, cwd: Path) -> tuple[float, int, str]:
    "Seconds, exit code and output (stdout and stderr) of a shell command."
    t0 = time.perf_counter()
    r = subprocess.run(cmd, shell=True, cwd=cwd, capture_output=True, text=True, env={**os.environ, 'PYTHONUNBUFFERED': '1'})
    return time.perf_counter() - t0, r.returncode, r.stdout + r.stderr

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--json', type=Path, default=None); ap.add_argument('--log', type=Path, default=None, help='keep the full output here')
    a = ap.parse_args()
    m = machine('cpu', amp_dtype('cpu')); print(machine_line(m), flush=True)
    with tempfile.TemporaryDirectory() as d: demo_s, demo_rc, demo_out = timed('ustudents demo', Path(d))
    print(f"ustudents demo: {demo_s:.0f} s, exit {demo_rc}", flush=True)
    tests_s, tests_rc, out = timed('tools/test.sh', ROOT)
    print(f"tools/test.sh: {tests_s / 60:.1f} min, exit {tests_rc}", flush=True)
    if a.log: a.log.write_text(demo_out + '\n' + out)
    notebooks = {n: int(s) for n, s in re.findall(r'^(\S+\.ipynb): (\d+) secs$', out, re.M)}
    slowest = [dict(test=t, seconds=float(s)) for s, t in re.findall(r'^([\d.]+)s (?:call|setup|teardown)\s+(\S+)$', out, re.M)]
    nb_line = re.findall(r'^notebooks: .*$', out, re.M); py_line = re.findall(r'^=* ?(\d+ passed.*?) ?=*$', out, re.M)
    rec = dict(date=time.strftime('%Y-%m-%d'), machine=m, demo_s=round(demo_s, 1), demo_ok=demo_rc == 0,
               tests_s=round(tests_s, 1), tests_ok=tests_rc == 0, notebooks_line=nb_line[-1] if nb_line else None,
               pytest_line=py_line[-1] if py_line else None,
               notebook_s=dict(sorted(notebooks.items(), key=lambda kv: -kv[1])), slowest_tests=slowest[:15])
    print(json.dumps({k: v for k, v in rec.items() if k not in ('machine', 'slowest_tests')}, indent=1))
    if a.json: a.json.write_text(json.dumps(rec, indent=1) + '\n')
    if not (rec['demo_ok'] and rec['tests_ok']): raise SystemExit('the demo or the tests failed: see --log')

if __name__ == '__main__': main()
