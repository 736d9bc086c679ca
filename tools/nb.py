"""Edit and run the notebooks from the command line (a developer's tool; the notebooks stay the source).

    python tools/nb.py totext nbs/03_students.ipynb [DIR]   # -> DIR/03_students.py, one `# %% id=...` block per cell
    python tools/nb.py fromtext DIR/03_students.py nbs/03_students.ipynb
                                                          # back to the notebook: cells keep their ids; a cell whose
                                                          # source is unchanged keeps its outputs, and so does one whose
                                                          # layout alone changed (the same program: `same_program`)
    python tools/nb.py run nbs/03_students.ipynb [...]      # execute in place and store the outputs, skipping what
                                                          # nbdev_test skips (eval: false, tst_flags, nbdev_export)

    python tools/nb.py samecode nbs/03_students.ipynb [...]  # after re-laying out code: the same program as at HEAD?
                                                          # (cells may be split, prose added); lists lines over 120

Markdown cells are written as `# %% [markdown] id=...` followed by their text as it is.
"""
import ast, inspect, json, re, secrets, sys, time
from pathlib import Path

SEP = re.compile(r'^# %%(?: \[(markdown|raw)\])?(?: id=([0-9a-zA-Z_-]*))?\s*$')

def _src(c): return ''.join(c['source']) if isinstance(c['source'], list) else c['source']

_CAPTION = re.compile(r'\s*#\|\s*fig-')                  # fig-alt, fig-cap: what a figure says, not how it is made

def _program(src, docstrings='exact'):
    """The AST of a cell's code, or None if it does not parse.

    Directives and magics are blanked out and kept aside to compare as text (captions aside);
    `docstrings='wrapped'` compares docstrings with their line breaks and indentation collapsed."""
    lines = src.splitlines()
    special = tuple(l.strip() for l in lines if (l.lstrip().startswith('#|') and not _CAPTION.match(l))
                    or l.startswith(('%', '!')))
    try: tree = ast.parse('\n'.join('' if l.lstrip().startswith('#|') or l.startswith(('%', '!')) else l for l in lines))
    except SyntaxError: return None
    if docstrings == 'wrapped':
        for node in ast.walk(tree):
            body = getattr(node, 'body', None)
            if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                body[0].value.value = ' '.join(inspect.cleandoc(body[0].value.value).split())
    return tree, special

def same_program(a, b, docstrings='exact'):
    "Whether two cells' code is the same program (it may be laid out differently): equal ASTs, equal directives and magics."
    pa, pb = _program(a, docstrings), _program(b, docstrings)
    return pa is not None and pb is not None and pa[1] == pb[1] and ast.dump(pa[0]) == ast.dump(pb[0])

EXPORT = re.compile(r'^\s*#\|\s*export', re.M)

def samecode(nb_path, ref='HEAD', limit=120):
    """Compare a notebook's code with its version at git `ref`: the exported cells, taken together, must be the same program
    (docstrings may be re-wrapped), and so must the other code cells; then list the code lines still over `limit` characters.
    Cells may be split or joined, and prose added between them; exit status 1 if the code changed."""
    import subprocess
    def code(text):
        cells = [_src(c) for c in json.loads(text)['cells'] if c['cell_type'] == 'code']
        parts = {}
        for kind in ('exported', 'other'):
            mine = [c for c in cells if bool(EXPORT.search(c)) == (kind == 'exported')]
            progs = [_program(c, 'wrapped') for c in mine]
            if any(p is None for p in progs): parts[kind] = None; continue
            parts[kind] = (ast.dump(ast.Module(body=[n for t, _ in progs for n in t.body], type_ignores=[])),
                           [x for _, sp in progs for x in sp if not x.startswith('#|')])
        return parts, cells
    new, cells = code(Path(nb_path).read_text())
    old, _ = code(subprocess.run(['git', 'show', f'{ref}:{nb_path}'], capture_output=True, text=True, check=True).stdout)
    ok = True
    for kind in ('exported', 'other'):
        same = new[kind] is not None and new[kind] == old[kind]; ok &= same
        print(f"{nb_path}: {kind} code {'the same program' if same else 'CHANGED (or does not parse)'}")
    long = [l for c in cells for l in c.splitlines() if len(l) > limit and not l.lstrip().startswith('#|')]  # shown: not directives
    print(f"{nb_path}: {len(long)} code lines over {limit} characters")
    for l in long: print(f"  {len(l)}: {l[:140]}")
    return ok

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
            same = o is not None and o['cell_type'] == 'code' and (_src(o) == src or same_program(_src(o), src, 'wrapped'))
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
    if cmd == 'samecode': sys.exit(0 if all([samecode(a) for a in args]) else 1)
    {'totext': totext, 'fromtext': fromtext, 'run': run}[cmd](*args)
