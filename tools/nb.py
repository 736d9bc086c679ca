"""Edit and run the notebooks from the command line (a developer's tool; the notebooks stay the source).

    python tools/nb.py totext nbs/03_students.ipynb [DIR]   # -> DIR/03_students.py, one `# %% id=...` block per cell
    python tools/nb.py fromtext DIR/03_students.py nbs/03_students.ipynb
                                                          # back to the notebook: cells keep their ids; a cell whose
                                                          # source is unchanged keeps its outputs, a changed one loses them
    python tools/nb.py run nbs/03_students.ipynb [...]      # execute in place and store the outputs, skipping what
                                                          # nbdev_test skips (eval: false, tst_flags, nbdev_export)

Markdown cells are written as `# %% [markdown] id=...` followed by their text as it is.
"""
import json, re, secrets, sys, time
from pathlib import Path

SEP = re.compile(r'^# %%(?: \[(markdown|raw)\])?(?: id=([0-9a-zA-Z_-]+))?\s*$')

def _src(c): return ''.join(c['source']) if isinstance(c['source'], list) else c['source']

def totext(nb_path, out_dir='/tmp/nbedit'):
    nb = json.loads(Path(nb_path).read_text())
    parts = []
    for c in nb['cells']:
        kind = '' if c['cell_type'] == 'code' else f" [{c['cell_type']}]"
        parts.append(f"# %%{kind} id={c.get('id', '')}\n{_src(c)}\n")
    out = Path(out_dir) / (Path(nb_path).stem + '.py'); out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text('\n'.join(parts)); print(out)

def fromtext(txt_path, nb_path):
    nb_path = Path(nb_path)
    nb = json.loads(nb_path.read_text()) if nb_path.exists() else dict(cells=[], metadata={'kernelspec': {'display_name': 'python3', 'language': 'python', 'name': 'python3'}}, nbformat=4, nbformat_minor=5)
    old = {c.get('id'): c for c in nb['cells']}
    cells, cur = [], None
    for line in Path(txt_path).read_text().splitlines(keepends=True):
        m = SEP.match(line.rstrip('\n'))
        if m:
            if cur: cells.append(cur)
            cur = dict(kind=m.group(1) or 'code', id=m.group(2), lines=[]); continue
        if cur is None:
            if line.strip(): raise SystemExit(f"text before the first '# %%' line: {line!r}")
            continue
        cur['lines'].append(line)
    if cur: cells.append(cur)
    out, seen = [], set()
    for c in cells:
        src = ''.join(c['lines'])
        if src.endswith('\n\n'): src = src[:-1]
        src = src[:-1] if src.endswith('\n') else src
        cid = c['id'] or secrets.token_hex(4)
        while cid in seen: cid = secrets.token_hex(4)
        seen.add(cid)
        o = old.get(cid)
        cell = dict(cell_type=c['kind'], id=cid, metadata=(o or {}).get('metadata', {}), source=src.splitlines(keepends=True))
        if c['kind'] == 'code':
            same = o is not None and o['cell_type'] == 'code' and _src(o) == src
            cell['execution_count'] = None
            cell['outputs'] = o['outputs'] if same else []
            cell = {k: cell[k] for k in ('cell_type', 'execution_count', 'id', 'metadata', 'outputs', 'source')}
        else: cell = {k: cell[k] for k in ('cell_type', 'id', 'metadata', 'source')}
        out.append(cell)
    nb['cells'] = out
    nb_path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n'); print(f"{nb_path}: {len(out)} cells")

def run(*nb_paths):
    import os
    from execnb.nbio import read_nb, write_nb
    from execnb.shell import CaptureShell
    from nbdev.config import get_config
    from nbdev.process import NBProcessor
    from fastcore.xtras import working_directory
    os.environ.setdefault('MPLBACKEND', 'module://matplotlib_inline.backend_inline')
    flags = set(get_config().tst_flags.split())
    failed = 0
    for p in map(Path, nb_paths):
        nb = read_nb(p)
        proc = NBProcessor(p, procs=[], process=True).nb   # to read the directives of each cell
        directives = [getattr(c, 'directives_', {}) or {} for c in proc.cells]
        def skip(cell):
            if cell.cell_type != 'code' or 'nbdev_export(' in cell.source: return True
            d = directives[cell.idx_]
            return d.get('eval:', [''])[0].lower() == 'false' or bool(flags & d.keys())
        for c in nb.cells:                                   # a cell that now prints nothing must not keep what it printed before
            if not skip(c): c.outputs = []
        t0 = time.time(); sh = CaptureShell(p); clock = {}
        def tick(cell): clock[cell.idx_] = time.time(); return False
        def tock(cell):
            if time.time() - clock.get(cell.idx_, time.time()) > 5: print(f"  cell {cell.idx_} took {time.time() - clock[cell.idx_]:.0f} s: {cell.source.splitlines()[0][:70]!r}")
        with working_directory(p.parent):
            try: sh.run_all(nb, exc_stop=True, preproc=lambda c: tick(c) or skip(c), postproc=tock)
            except Exception:
                failed += 1; print(sh.prettytb(fname=p), file=sys.stderr); continue
        for c in nb.cells:
            if c.cell_type == 'code': c.execution_count = None
        write_nb(nb, p); print(f"{p}: ran in {time.time() - t0:.0f} s")
    sys.exit(1 if failed else 0)

if __name__ == '__main__':
    cmd, *args = sys.argv[1:]
    {'totext': totext, 'fromtext': fromtext, 'run': run}[cmd](*args)
