"""Build the docs offline, without Quarto, and check them in headless Chromium.

    python tools/docs.py build          # nbdev's proc_nbs (with settings.ini's procs: ApiBlocks, below), then nbconvert to HTML:
                                        # docs/*.html, with a sidebar and prev/next links
    python tools/docs.py check          # open every page in headless Chromium (Debian's `chromium`) and check what a reader sees;
                                        # screenshots in docs/_shots/
    python tools/docs.py lint           # the checks that need no browser, on the notebooks (tests/test_docs.py runs them)

The published site is rendered by Quarto in .github/workflows/deploy.yaml; this is the offline stand-in for this machine. The
reading order is nbs/sidebar.yml's, the same file Quarto's sidebar uses. Math uses a local MathJax (Debian's libjs-mathjax,
linked as docs/mathjax) when it is installed, else the CDN.
"""
import html as htmllib, json, re, shutil, subprocess, sys, tempfile
from pathlib import Path

root = Path(__file__).resolve().parents[1]
docs = root / 'docs'
LOCAL_MATHJAX = Path('/usr/share/javascript/mathjax/MathJax.js')

# What each page must show of the code it teaches (the source of its method cells) and the [R] constants it must name.
METHOD_SOURCE = {
    '01_fdfe': ['def multi_pool', 'def unwarp', 'ALIGNMENTS = ', 'CHANNELS_LAST = '],
    '01a_patches': ['PATCH_SCALES = ', 'def random_crops', 'class NaturalPatches'],
    '01b_imagenet': ['P_INPUT_SIZE = ', 'class PretrainedP'],
    '02_teacher': ['ARCHITECTURES = {', 'def knowledge_distillation_loss', 'def metric_learning_loss', 'def compactness_loss', 'class TeacherConfig'],
    '03_students': ['def student_loss', 'def normalise', 'def descriptor_stats'],
    '04_score': ['def regression_error', 'def predictive_variance', 'class Scale', 'def calibrate'],
    '05_metrics': ['def _curve_chunks', 'def _area', 'def _mann_whitney', 'IMAGE_SCORE = '],
    '00_data': ['VAL_FRACTION = '],
}
R_CONSTANTS = {
    '00_data': ['VAL_FRACTION', 'ONE_CLASS_SIZE', 'MNIST5K_TRAIN', 'MNIST5K_DEV'],
    '01a_patches': ['PATCH_SCALES', 'PLUS_MAX_SHIFT', 'PLUS_NOISE_STD', 'NATURAL_SOURCES'],
    '01b_imagenet': ['OFFLINE_P', 'P_INPUT_SIZE'],
    '01_fdfe': ['DEFAULT_ALIGNMENT'],
    '02_teacher': ['ARCHITECTURES', 'DESCRIPTOR_ACTIVATION', 'INPUT_NORMALISATION', 'TRIPLET_MARGIN', 'COMPACTNESS'],
    '05_metrics': ['IMAGE_SCORE', 'MVTEC_IMAGE_SCORE'],
    'overview': ['ARCHITECTURES', 'DESCRIPTOR_ACTIVATION', 'INPUT_NORMALISATION', 'OFFLINE_P', 'P_INPUT_SIZE', 'TRIPLET_MARGIN', 'COMPACTNESS', 'PATCH_SCALES',
                 'VAL_FRACTION', 'ONE_CLASS_SIZE', 'MNIST5K_TRAIN', 'MNIST5K_DEV', 'DEFAULT_ALIGNMENT', 'IMAGE_SCORE', 'MVTEC_IMAGE_SCORE', 'NATURAL_SOURCES'],
}

def reading_order() -> list[tuple[str, str]]:
    "(section, notebook stem) in the order of nbs/sidebar.yml."
    import yaml
    out = []
    def walk(items, section=''):
        for it in items:
            if isinstance(it, str): out.append((section, Path(it).stem))
            else: walk(it.get('contents', []), it.get('section', section))
    walk(yaml.safe_load((root / 'nbs' / 'sidebar.yml').read_text())['website']['sidebar']['contents'])
    return out

def page_name(stem: str) -> str:
    "The page a notebook becomes on nbdev's site: its name without the number that orders it (02_teacher -> teacher.html)."
    return 'index.html' if stem == 'index' else re.sub(r'^\d+[a-zA-Z0-9]*_', '', stem.lower()) + '.html'   # nbdev's _nbpath2html

def doc_url() -> str:
    "Where the published site lives (settings.ini's doc_host + doc_baseurl): the prefix of the links nbdev writes to documented names."
    cfg = dict(re.findall(r'^(\w+)\s*=\s*(.*?)\s*$', (root / 'settings.ini').read_text(), re.M))
    return cfg.get('doc_host', '').rstrip('/') + '/' + cfg.get('doc_baseurl', '').strip('/') + '/'

NAV_CSS = """<style>
#us-side{position:fixed;top:0;left:0;width:210px;height:100%;overflow:auto;padding:14px 10px;background:#f7f7f7;border-right:1px solid #ddd;font:13px/1.45 sans-serif;z-index:10}
#us-side a{display:block;color:#24527a;text-decoration:none;padding:1px 4px;border-radius:3px}#us-side a.here{background:#24527a;color:#fff}
#us-side .sec{margin:10px 0 2px;color:#777;font-size:11px;text-transform:uppercase}body{margin-left:230px!important}
.us-src{margin:14px 0 -4px 20px;font:12px sans-serif;color:#777}
.jp-OutputArea-output pre{word-break:normal!important;overflow-wrap:break-word}
#us-prevnext{display:flex;justify-content:space-between;margin:40px 20px 30px;font:14px sans-serif}#us-prevnext a{color:#24527a}
</style>"""

def page_links(md: str) -> str:
    "Markdown links between notebooks, `NN_name.ipynb` or `NN_name.ipynb#anchor`, as links between the built pages (as nbdev's site has them)."
    return re.sub(r'\]\(([\w-]+)\.ipynb(#[^)\s]*)?\)', lambda m: f"]({page_name(m.group(1))}{m.group(2) or ''})", md)

def pandoc_id(text: str) -> str:
    "A heading's anchor as Quarto (pandoc) makes it: lower case, spaces to hyphens, only letters, digits, _ - . kept, nothing before the first letter."
    t = re.sub(r'[^\w\s.-]', '', htmllib.unescape(re.sub(r'<[^>]+>', '', text)).replace('\u00b6', '')).strip().lower()
    return re.sub(r'^[^a-z]+', '', re.sub(r'\s', '-', t)) or 'section'

def heading_ids(html: str) -> str:
    "Give every heading the id Quarto would (a repeated one gets -1, -2, ...), so that links written for nbdev's site land here too."
    seen = {}
    def one(m):
        level, old, attrs, inner = m.groups()
        new = pandoc_id(inner); n = seen.get(new, 0); seen[new] = n + 1
        new = new if n == 0 else f'{new}-{n}'
        return f'<h{level} id="{new}"{attrs}>' + inner.replace(f'href="#{old}"', f'href="#{new}"') + f'</h{level}>'
    return re.sub(r'<h([1-6]) id="([^"]*)"([^>]*)>(.*?)</h\1>', one, html, flags=re.S)

def documented_anchors(html: str, pages: dict) -> str:
    "A link to a documented method (`score.html#scale.normalised`) whose page shows only its class lands on the class (`#scale`), not nowhere."
    ids = {n: set(re.findall(r'\bid="([^"]+)"', h)) for n, h in pages.items()}
    def one(m):
        page, anchor = m.group(1), m.group(2)
        if page in ids and anchor not in ids[page] and '.' in anchor and anchor.split('.')[0] in ids[page]: anchor = anchor.split('.')[0]
        return f'href="{page}#{anchor}"'
    return re.sub(r'href="([\w-]+\.html)#([^"]+)"', one, html)

def signature_links(html: str) -> str:
    """Links nbdev wrote into the comments of a signature (`# see [`amp_dtype`](core.html#amp_dtype)`), which a code block
    would show as raw Markdown, as links; other backticks in those comments, which a code block shows as they are, go."""
    def comment(m):
        c = re.sub(r'\[`([^`\]]+)`\]\(([^)\s]+)\)', r'<a href="\2"><code>\1</code></a>', m.group(0))
        return re.sub(r'`([^`<]+)`', r'\1', c)                  # in code, a name needs no backticks
    return re.sub(r'<span class="c1">.*?</span>', comment, html, flags=re.S)

def _documented(md: str):
    "The object a show_doc block documents, found through its [source] link and its signature's name; else None."
    import importlib
    m = re.search(r'\(https?://[^)]*/(ustudents/[\w/]+)\.py#L\d+\)', md); s = re.search(r'^def (\w+)\(', md, re.M)
    if not (m and s): return None
    try: return getattr(importlib.import_module(m.group(1).replace('/', '.')), s.group(1), None)
    except ImportError: return None

def class_signatures(md: str) -> str:
    """fastcore writes a class's signature as `def Name(...)`: as `class Name(...)`, the documented object (found through its
    [source] link) being a class."""
    import inspect
    obj = _documented(md)
    if not inspect.isclass(obj): return md
    if not {'__init__', '__new__'} & set(vars(obj)):     # no signature of its own (ImageFiles(list)): its base class's
        try: sig = str(inspect.signature(obj))[1:-1]
        except (TypeError, ValueError): sig = None
        if sig is not None:
            md = re.sub(r'^def (\w+)\(\n\s*args:VAR_POSITIONAL, kwargs:VAR_KEYWORD\n\)',
                        lambda m: f"def {m.group(1)}(\n    {sig}\n)", md, count=1, flags=re.M)
    md = re.sub(r'^def (\w+)\(', r'class \1(', md, count=1, flags=re.M)
    return re.sub(r'^\)->None:$', '):', md, count=1, flags=re.M)         # a class's __init__ returns nothing to show

def source_defaults(md: str) -> str:
    """A default as the source writes it, where fastcore prints its value: `categories=MVTEC_CATEGORIES` (not fifteen
    names), `cfg:StudentConfig=StudentConfig()` (not every field), `image_size=MVTEC_IMAGE_SIZE` (the constant, by name).

    Literals print as they are written and are left alone."""
    import ast, inspect, textwrap
    obj = _documented(md)
    if not inspect.isfunction(obj): return md
    try:
        src = textwrap.dedent(inspect.getsource(obj)); fn = ast.parse(src).body[0]
        params = inspect.signature(obj).parameters
    except (OSError, TypeError, ValueError, SyntaxError, IndexError): return md
    if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)): return md
    a = fn.args; pos = a.posonlyargs + a.args
    pairs = list(zip(pos[len(pos) - len(a.defaults):], a.defaults)) + [
        (k, d) for k, d in zip(a.kwonlyargs, a.kw_defaults) if d is not None]
    for arg, node in pairs:
        if isinstance(node, ast.Constant) or arg.arg not in params: continue
        text, value = ast.get_source_segment(src, node), params[arg.arg].default
        for shown in dict.fromkeys((repr(value), str(value))):
            pat = re.compile(rf'(\b{re.escape(arg.arg)}(?::[^=\n]*?)?=){re.escape(shown)}(?=,|\n|\)|\s+#)')
            md, n = pat.subn(lambda m: m.group(1) + text, md, count=1)
            if n: break
    return md

def starred_parameters(md: str) -> str:
    """fastcore drops the star of an annotated `*parts: str` (it writes `parts:str`): put it back, from the signature of
    the documented object."""
    import inspect
    obj = _documented(md)
    try: params = inspect.signature(obj).parameters.values() if callable(obj) else []
    except (TypeError, ValueError): return md
    for p in params:
        star = {p.VAR_POSITIONAL: '*', p.VAR_KEYWORD: '**'}.get(p.kind)
        if star: md = re.sub(rf'(?<![\w*]){p.name}:(?!VAR_)', f'{star}{p.name}:', md, count=1)
    return md

def plain_signatures(md: str) -> str:
    """Signatures as Python writes them, where fastcore writes its own names: `*args` and `**kw` (not `args:VAR_POSITIONAL`),
    `lo=None` (not `lo:NoneType=None`, the default's type taken for an annotation), and `f()` for no parameters."""
    md = re.sub(r'\b(\w+):VAR_POSITIONAL\b', r'*\1', md)
    md = re.sub(r'\b(\w+):VAR_KEYWORD\b', r'**\1', md)
    md = re.sub(r'\b(\w+):NoneType=None\b', r'\1=None', md)
    return re.sub(r'^((?:async )?def \w+)\(\n\s*\n\)', r'\1()', md, flags=re.M)

def _is_source(c) -> bool:
    "A cell nbdev shows as the exported source of what it documents (`#| exports`: code-fold, 'Exported source')."
    return c is not None and c.cell_type == 'code' and bool(re.search(r'^#\|\s*code-fold:', c.source, re.M))

def show_doc_order(cells: list) -> list:
    """The API blocks of an exported cell in the order the cell defines them, before its source when that is shown.

    nbdev 2.4.14's add_show_docs inserts each name's show_doc right after its cell, so a cell's blocks come out last
    definition first, and mv_exports then puts only the first of them before an `exports` cell's source. Each block's
    [source] link gives its line in the module, which puts them back in order."""
    def line(c):
        m = re.search(r'/ustudents/[\w/]+\.py#L(\d+)', ''.join(''.join(o.get('data', {}).get('text/markdown', ''))
                                                          for o in c.get('outputs', [])))
        return int(m.group(1)) if m else None
    def is_doc(c): return c is not None and c.cell_type == 'code' and re.search(r'^show_doc\(', c.source, re.M) and line(c)
    def defines(src, doc):
        name = re.search(r'show_doc\(([\w.]+)\)', doc.source).group(1).split('.')[-1]
        return re.search(rf'^\s*(?:async def|def|class) {re.escape(name)}\b', src.source, re.M)
    out, run = [], []
    for c in cells + [None]:
        if is_doc(c) or _is_source(c): run.append(c); continue
        sources = [x for x in run if _is_source(x)]
        owned = {id(s): sorted([d for d in run if not _is_source(d) and defines(s, d)], key=line) for s in sources}
        taken = {id(d) for ds in owned.values() for d in ds}
        loose = []                                  # blocks of plain export cells: where they stand, in order
        for x in run:
            if _is_source(x): out += sorted(loose, key=line) + owned[id(x)] + [x]; loose = []
            elif id(x) not in taken: loose.append(x)
        out += sorted(loose, key=line); run = []
        if c is not None: out.append(c)
    return out

def source_labels(html: str, ids: list) -> str:
    "A label over each exported source, as Quarto's fold ('Exported source') gives it on nbdev's site."
    for cid in ids:
        at = html.find(f'id="cell-id={cid}"')
        start = html.rfind('<div class="jp-Cell ', 0, at) if at >= 0 else -1
        if start >= 0: html = html[:start] + '<p class="us-src">Exported source</p>' + html[start:]
    return html

NO_ALT = 'alt="No description has been provided for this image"'      # what nbconvert writes for an image without one

def figure_alts(html: str, alts: dict) -> str:
    "Each figure's alt text from its cell's `#| fig-alt:` directive (the one Quarto reads), in place of nbconvert's placeholder."
    for cid, alt in alts.items():
        start = html.find(f'id="cell-id={cid}"')
        if start < 0: continue
        end = html.find('<div class="jp-Cell ', start + 1); end = len(html) if end < 0 else end
        html = html[:start] + html[start:end].replace(NO_ALT, f'alt="{htmllib.escape(alt)}"') + html[end:]
    return html

def nav(stem: str, order, titles) -> tuple[str, str]:
    "The sidebar and the prev/next links of page `stem`."
    side, last = ['<nav id="us-side"><b>ustudents</b>'], None
    for sec, s in order:
        if sec != last and sec: side.append(f'<div class="sec">{sec}</div>')
        last = sec
        here = ' class="here"' if s == stem else ''
        side.append(f'<a href="{page_name(s)}"{here}>{htmllib.escape(titles.get(s, s))}</a>')
    side.append('</nav>')
    stems = [s for _, s in order]; i = stems.index(stem) if stem in stems else -1
    prev = f'<a href="{page_name(stems[i - 1])}">← {htmllib.escape(titles.get(stems[i - 1], ""))}</a>' if i > 0 else '<span></span>'
    nxt = f'<a href="{page_name(stems[i + 1])}">{htmllib.escape(titles.get(stems[i + 1], ""))} →</a>' if 0 <= i < len(stems) - 1 else '<span></span>'
    return NAV_CSS + ''.join(side), f'<div id="us-prevnext">{prev}{nxt}</div>'

def api_block(md: str) -> str:
    """A show_doc block's signature as Python writes it.

    Defaults as the source writes them (`source_defaults`), classes as classes (`class_signatures`), stars
    (`starred_parameters`) and fastcore's own names (`plain_signatures`)."""
    return plain_signatures(starred_parameters(class_signatures(source_defaults(md))))

class ApiBlocks:
    """An nbdev processor, named in settings.ini (`procs = docs:ApiBlocks`), so that Quarto's site and this build mend
    show_doc's blocks alike: in the order their cell defines them (`show_doc_order`), with signatures as Python writes
    them (`api_block`). nbdev imports it as the module `docs`: tools/ must be on PYTHONPATH for nbdev_docs and
    nbdev_preview (the deploy workflow sets it; this script's own build has it)."""
    def __init__(self, nb): self.nb = nb
    def end(self):
        self.nb.cells = show_doc_order(self.nb.cells)
        for c in self.nb.cells:
            for o in (c.get('outputs', []) if c.cell_type == 'code' else []):
                v = o.get('data', {}).get('text/markdown')
                if v is not None: o['data']['text/markdown'] = api_block(''.join(v) if isinstance(v, list) else v)

def build():
    import nbformat, yaml
    from nbconvert import HTMLExporter
    from nbdev.serve import proc_nbs
    if str(root / 'tools') not in sys.path: sys.path.insert(0, str(root / 'tools'))   # settings.ini's procs: docs:ApiBlocks
    proc = Path(proc_nbs(n_workers=0, force=True))     # force: settings.ini's `procs` (ApiBlocks, from this file) may have changed
    docs.mkdir(exist_ok=True)
    for old in docs.glob('*.html'): old.unlink()                         # pages of a previous build, perhaps under other names
    from traitlets.config import Config
    c = Config(); c.TagRemovePreprocessor.enabled = True; c.TagRemovePreprocessor.remove_input_tags = {'remove_input'}
    ex = HTMLExporter(template_name='lab', config=c)
    ex.exclude_input_prompt = ex.exclude_output_prompt = True           # no "In [ ]:" in the margin
    if LOCAL_MATHJAX.exists():                                          # a relative link, so that docs/ can be served or moved
        link = docs / 'mathjax'
        if not link.exists(): link.symlink_to(LOCAL_MATHJAX.parent, target_is_directory=True)
        ex.mathjax_url = 'mathjax/MathJax.js?config=TeX-AMS_HTML'
    notebooks, titles, pages = {}, {}, {}
    for nb_path in sorted(proc.glob('*.ipynb')):
        nb = nbformat.read(nb_path, as_version=4)
        title = nb_path.stem
        for i, cell in enumerate(nb.cells):   # nbdev turned "# title / > description" into YAML front matter: show it as a heading
            if cell.cell_type == 'raw' and cell.source.startswith('---'):
                fm = yaml.safe_load(cell.source.strip().strip('-')) or {}
                title = fm.get('title', title)
                # as Quarto's title block: no id of its own, so a class named like the page keeps the page's anchor
                nb.cells[i] = nbformat.v4.new_markdown_cell(f'<h1 class="title">{htmllib.escape(title)}</h1>\n\n'
                                                            f"> {fm.get('description', '')}")
                break
        notebooks[nb_path.stem], titles[nb_path.stem] = nb, (title if nb_path.stem != 'index' else 'Home')
    order = [(s, st) for s, st in reading_order() if st in notebooks]
    for stem, nb in notebooks.items():
        alts = {c.get('id'): m.group(1).strip() for c in nb.cells if c.cell_type == 'code'
                and (m := re.search(r'^#\|\s*fig-alt:\s*(.+)$', c.source, re.M))}
        sources = [c.get('id') for c in nb.cells if _is_source(c)]
        for cell in nb.cells:
            if cell.cell_type == 'markdown': cell.source = page_links(cell.source)   # links between pages
            if cell.cell_type != 'code': continue
            if re.search(r'^#\|\s*echo:\s*false', cell.source, re.M): cell.metadata.setdefault('tags', []).append('remove_input')
            if re.search(r'^#\|\s*output:\s*false', cell.source, re.M): cell.outputs = []      # e.g. a live widget: the page shows its static twin
            cell.source = '\n'.join(l for l in cell.source.splitlines() if not l.lstrip().startswith('#|')).strip()
            for o in cell.get('outputs', []):   # Quarto-only attributes in show_doc's output
                if 'data' in o and 'text/markdown' in o['data']:
                    o['data']['text/markdown'] = page_links(re.sub(r'\{target="_blank"[^}]*\}', '', o['data']['text/markdown']))
        html, _ = ex.from_notebook_node(nb, resources={'metadata': {'name': titles[stem]}})
        html = signature_links(heading_ids(html)).replace(f'href="{doc_url()}', 'href="')   # links to documented names stay here
        html = figure_alts(html, alts)
        html = source_labels(html, sources)
        side, prevnext = nav(stem, order, titles)
        html = re.sub(r'(<body[^>]*>)', lambda m: m.group(1) + side, html, count=1)
        html = html.replace('</body>', prevnext + '</body>', 1)
        pages[page_name(stem)] = html
    for name, html in pages.items(): (docs / name).write_text(documented_anchors(html, pages), encoding='utf-8')
    img = root / 'nbs' / 'images'
    if img.exists(): shutil.copytree(img, docs / 'images', dirs_exist_ok=True)
    print(f"built {len(notebooks)} pages into {docs}: {', '.join(page_name(s) for _, s in order)}")

TAGS_DEFINED = {'R'}     # the overview defines [R]; any other [X] tag a page uses is promised and never explained

# Prose written by code the page shows. A code cell that is visible on the page (no `#| hide`, `#| echo: false` or
# `#| include: false`; exported cells are the library's source) must not build a sentence from a record: the reader
# would read code whose only job is to write the paragraph under it. A string counts as built when it takes a value
# (an f-string, `+` with a value, `%` or `.format`), and as a sentence when its text, outside Markdown table rows
# (lines starting with `|`), code spans and math, has PROSE_WORDS words of which PROSE_JOINS are the small words that
# join a sentence. A table with a one-line caption and a labelled line of numbers (`p=33: mean 0.01, std 1.00`) stay
# visible; messages of `raise`, `assert`, `test_fail` and `warn` are not prose for the page.
PROSE_WORDS, PROSE_JOINS = 12, 4
JOIN_WORDS = frozenset('a an the of on in at to by for from with into than as and or but so that which what how '
                       'is are was were be been it its this these those there their they not no only'.split())
HIDDEN_CELL = re.compile(r'^\s*#\|\s*(?:hide\s*$|echo:\s*false|include:\s*false|export)', re.M)

def _text_of(n):
    "The literal text of a string that `n` builds, a NUL where a value goes in; None if `n` builds no string."
    import ast
    if isinstance(n, ast.Constant): return n.value if isinstance(n.value, str) else None
    if isinstance(n, ast.JoinedStr): return ''.join(v.value if isinstance(v, ast.Constant) else '\0' for v in n.values)
    if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Add):
        left, right = _text_of(n.left), _text_of(n.right)
        return None if left is None and right is None else ('\0' if left is None else left) + ('\0' if right is None else right)
    if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Mod) and isinstance(n.left, ast.Constant) and isinstance(n.left.value, str):
        return re.sub(r'%[-#0 +]*\d*(?:\.\d+)?[sdifgeErx]', '\0', n.left.value)
    if (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == 'format'
            and isinstance(n.func.value, ast.Constant) and isinstance(n.func.value.value, str)):
        return re.sub(r'\{[^{}]*\}', '\0', n.func.value.value)
    return None

def is_prose(text: str) -> bool:
    "Whether a built string's text (NUL for its values) reads as a sentence: see PROSE_WORDS."
    body = '\n'.join(l for l in text.split('\n') if not l.lstrip().startswith('|'))
    words = re.findall(r"[A-Za-z][A-Za-z'’-]*", re.sub(r'`[^`]*`|\$[^$]*\$|\0', ' ', body))
    return len(words) >= PROSE_WORDS and sum(w.lower() in JOIN_WORDS for w in words) >= PROSE_JOINS

def prose_in_code(src: str) -> str | None:
    "The first sentence that a visible code cell's code builds from values (its start, values as {…}); None if none."
    import ast
    if HIDDEN_CELL.search(src): return None
    try: tree = ast.parse('\n'.join('' if l.lstrip().startswith(('#|', '%', '!')) else l for l in src.splitlines()))
    except SyntaxError: return None
    messages, parent = set(), {}
    for n in ast.walk(tree):
        for ch in ast.iter_child_nodes(n): parent[ch] = n
        name = getattr(getattr(n, 'func', None), 'id', getattr(getattr(n, 'func', None), 'attr', None))
        if isinstance(n, (ast.Raise, ast.Assert)) or (isinstance(n, ast.Call) and name in ('test_fail', 'warn')):
            messages |= {id(m) for m in ast.walk(n)}
    for n in sorted((n for n in ast.walk(tree) if hasattr(n, 'lineno')), key=lambda n: (n.lineno, n.col_offset)):
        text = _text_of(n)
        if text is None or '\0' not in text or id(n) in messages: continue
        up = parent.get(n)
        if isinstance(up, ast.BinOp) and isinstance(up.op, ast.Add) and _text_of(up) is not None: continue   # part of a longer one
        if is_prose(text): return ' '.join(text.replace('\0', '{…}').split())[:60]
    return None

def notebook_problems(nb: dict) -> list[str]:
    "What a reader would stumble on in a notebook's cells and stored outputs (checked on the source, where it is mended)."
    problems = []
    for i, cell in enumerate(nb['cells']):
        src = ''.join(cell['source']) if isinstance(cell['source'], list) else cell['source']
        where = f"cell {i} ({src.strip().splitlines()[0][:40] if src.strip() else 'empty'})"
        if cell['cell_type'] == 'markdown':
            if re.search(r'^(# %%|#\|)', src, re.M): problems.append(f'code in a markdown cell: {where}')
            body = re.sub(r'`[^`]*`|\$[^$]*\$', '', src)                     # tags in code or math are not prose
            for tag in sorted(set(re.findall(r'\[([A-Z])\]', body)) - TAGS_DEFINED): problems.append(f'tag [{tag}] used but never defined: {where}')
            if re.search(r'\]\([\w-]+\.ipynb#[^)]*[A-Z ][^)]*\)', src): problems.append(f'a link anchor that is not an id (upper case or spaces): {where}')
            for name in re.findall(r'`(_[a-z]\w*)`', src):    # nbdev links a documented name; a private one has no documentation to land on
                problems.append(f'a private name in backticks, which nbdev links to an anchor no page has: `{name}`, {where}')
            continue
        if cell['cell_type'] != 'code': continue
        said = set(re.findall(r'^\s*#\|\s*(\w+)', src, re.M))      # directive-only cells like default_exp do work
        if not re.sub(r'^\s*#\|.*$', '', src, flags=re.M).strip() and said <= {'export', 'exports', 'exporti', 'hide'}:
            problems.append(f'an empty code cell: {where}')
        outs = cell.get('outputs', [])
        for o in outs:
            text = ''.join(o.get('text', '')) + ''.join(o.get('data', {}).get('text/plain', '')) if o.get('output_type') != 'display_data' or 'image/png' not in o.get('data', {}) else ''
            if o.get('output_type') == 'stream' and o.get('name') == 'stderr' and re.search(r'Warning|Traceback', text): problems.append(f'a warning in the output: {where}')
            if o.get('output_type') == 'execute_result' and re.match(r'\s*(\[?<matplotlib|<Figure size|Text\(|\[?<AxesSubplot|<matplotlib\.)', text):
                problems.append(f"a matplotlib repr in the output: {where}")
            if o.get('output_type') == 'error': problems.append(f'an error in the output: {where}')
        figure = any('image/png' in o.get('data', {}) for o in outs)
        if figure and not re.search(r'^#\|\s*fig-alt:\s*\S', src, re.M):
            problems.append(f'a figure without alt text (#| fig-alt: what it shows): {where}')
        prose = prose_in_code(src)
        if prose: problems.append(f'prose written by visible code ("{prose}"): {where}; put `#| echo: false` first in the '
                                  'cell, and keep its assertions visible in a short cell of their own')
        maps = re.findall(r"imshow\([^)]*cmap=['\"](\w+)", src)
        if figure and any(c not in ('gray', 'Greys', 'binary') for c in maps) and 'colorbar' not in src:
            problems.append(f'a map of scores without a colour scale: {where}')
    return problems

def html_problems(html: str) -> list[str]:
    "What a reader would stumble on in a built page's HTML: links written for GitHub that the build did not rewrite, raw Markdown links."
    bad = sorted({h for h in re.findall(r'<a\b[^>]*\bhref="([^"]+)"', html) if not re.match(r'[a-z][\w+.-]*:', h) and re.search(r'\.ipynb(#|$)', h)})
    text = htmllib.unescape(re.sub(r'<[^>]+>', '', re.sub(r'<(script|style)\b.*?</\1>', ' ', html, flags=re.S)))
    raw = sorted(set(re.findall(r'\[[^\]\n]{1,80}\]\((?:https?://|[\w-]+\.html)[^)\s]*\)', text)))
    return ([f'a link to a notebook file, not a page: {h}' for h in bad] +
            [f'a Markdown link shown as raw text: {r}' for r in raw] +
            ([f'{html.count(NO_ALT)} figures without alt text'] if NO_ALT in html else []))

def visible_text(dom: str) -> str:
    "The text a reader sees, outside code blocks."
    t = re.sub(r'<(script|style|pre|code)\b.*?</\1>', ' ', dom, flags=re.S)
    return htmllib.unescape(re.sub(r'<[^>]+>', ' ', t))

def check():
    chrome = shutil.which('chromium') or shutil.which('chromium-browser') or shutil.which('google-chrome')
    if chrome is None: sys.exit("Chromium not found: apt-get install chromium")
    shots = docs / '_shots'; shots.mkdir(parents=True, exist_ok=True)
    flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
             '--disable-component-update', '--disable-sync', '--allow-file-access-from-files', '--virtual-time-budget=15000']
    failed, results, doms = 0, [], {}
    stems = {page_name(nb.stem): nb.stem for nb in (root / 'nbs').glob('*.ipynb')}
    for page in sorted(docs.glob('*.html')):
        with tempfile.TemporaryDirectory() as prof:
            dom = subprocess.run([chrome, *flags, f'--user-data-dir={prof}', '--enable-logging=stderr', '--v=0', '--dump-dom', page.as_uri()],
                                 capture_output=True, text=True, timeout=120)
            subprocess.run([chrome, *flags, f'--user-data-dir={prof}', f'--screenshot={shots / (page.stem + ".png")}', '--window-size=1280,1500', page.as_uri()],
                           capture_output=True, text=True, timeout=120)
        html, stem = dom.stdout, stems.get(page.name, page.stem)
        title = re.search(r'<h1[^>]*>(.*?)</h1>', html, re.S)
        n_img = len(re.findall(r'<img\b', html))
        n_math = len(re.findall(r'class="MathJax', html))
        src = page.read_text(encoding='utf-8')
        wants_math = '$' in re.sub(r'<script.*?</script>|<style.*?</style>', '', src, flags=re.S)
        errors = [l for l in dom.stderr.splitlines() if 'CONSOLE' in l and ('Error' in l or 'error' in l)]
        text = visible_text(html)
        problems = []
        if title is None: problems.append('no title')
        if wants_math and n_math == 0: problems.append('math not rendered')
        if errors: problems.append(f'console errors: {errors[:2]}')
        if '|---' in text: problems.append('a Markdown table shown as raw text')
        if re.search(r'\bIn\s*\[[\s\d]*\]:', text): problems.append('"In [ ]:" prompts')
        if 'us-side' not in html or 'us-prevnext' not in html: problems.append('no navigation')
        code = htmllib.unescape(re.sub(r'<[^>]+>', '', ' '.join(re.findall(r'<pre\b.*?</pre>', html, re.S))))
        missing = [s for s in METHOD_SOURCE.get(stem, []) if s not in code]
        if missing: problems.append(f'method source not shown: {missing}')
        everything = htmllib.unescape(re.sub(r'<[^>]+>', ' ', re.sub(r'<(script|style)\b.*?</\1>', ' ', html, flags=re.S)))
        unnamed = [c for c in R_CONSTANTS.get(stem, []) if c not in everything]
        if unnamed: problems.append(f'[R] constants not named: {unnamed}')
        problems += html_problems(src)
        nb_file = root / 'nbs' / f'{stem}.ipynb'
        if nb_file.exists(): problems += notebook_problems(json.loads(nb_file.read_text(encoding='utf-8')))
        doms[page.name] = html
        results.append(dict(page=page.name, title=re.sub('<[^>]+>|\u00b6', '', title.group(1)).strip() if title else None,
                            figures=n_img, math_rendered=n_math, problems=problems))
    ids = {name: set(re.findall(r'\bid="([^"]+)"', dom)) for name, dom in doms.items()}
    for r in results:                   # every link between pages lands: on a page that was built, at an anchor that page has
        for href in sorted(set(re.findall(r'<a\b[^>]*\bhref="([^"]+)"', doms[r['page']]))):
            if re.match(r'[a-z][\w+.-]*:', href): continue                      # http:, https:, mailto:, data:
            target, _, anchor = htmllib.unescape(href).partition('#')
            name = target or r['page']
            if name not in ids:
                if not (docs / target).exists(): r['problems'].append(f'a link to a page that does not exist: {href}')
            elif anchor and anchor not in ids[name]: r['problems'].append(f'a link to an anchor {name} does not have: {href}')
    for r in results:
        r['ok'] = not r['problems']; failed += not r['ok']
        print(json.dumps(r))
    print(f"docs pages: {len(results) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)

def docstring_problems(objects: dict) -> list[str]:
    """Docstrings that show_doc renders badly: nbdev italicises a docstring's first line only, so one whose sentence runs on
    into the next line shows as half italic. A long docstring needs a one-line summary, a blank line, then the rest."""
    import inspect
    out = []
    for name, obj in objects.items():
        lines = inspect.cleandoc(obj.__doc__ or '').splitlines()
        if len(lines) > 1 and lines[1].strip():
            out.append(f'a docstring whose first line runs on (nbdev italicises the first line only): {name}')
    return out

def signature_problems(objects: dict) -> list[str]:
    """Parameters whose documentation show_doc would misplace: fastcore writes the parameters without a comment on the line
    of the next one that has one, so that comment reads as theirs too. Every parameter before a documented one needs its own."""
    from fastcore.docments import docments
    out = []
    for name, obj in objects.items():
        if isinstance(obj, property): continue
        try: dm = docments(obj, full=True)
        except Exception: continue
        bare = []
        for k, v in dm.items():
            if k in ('return', 'self', 'cls'): continue
            if not v.get('docment'): bare.append(k); continue
            if bare: out.append(f"parameters without a comment before the documented `{k}` (show_doc puts them on its line): "
                                f"{name}({', '.join(bare)})")
            bare = []
    return out

def documented_objects() -> dict:
    "Every public function and class of the library, and the public methods of its classes, by their dotted names."
    import importlib, inspect
    sys.path.insert(0, str(root))
    objs = {}
    for f in sorted((root / 'ustudents').glob('[a-z]*.py')):
        mod = importlib.import_module(f'ustudents.{f.stem}')
        for n in getattr(mod, '__all__', []):
            o = getattr(mod, n, None)
            if not (inspect.isfunction(o) or inspect.isclass(o)) or getattr(o, '__module__', '') != mod.__name__: continue
            objs[f'{f.stem}.{n}'] = o
            if inspect.isclass(o):
                for m, v in vars(o).items():
                    if not m.startswith('_') and (inspect.isfunction(v) or isinstance(v, property)): objs[f'{f.stem}.{n}.{m}'] = v
    return objs

def lint():
    "The checks that need neither a build nor a browser, on every notebook and the library's docstrings: exit 1 if any fails."
    bad = {nb.name: notebook_problems(json.loads(nb.read_text(encoding='utf-8'))) for nb in sorted((root / 'nbs').glob('*.ipynb'))}
    objs = documented_objects()
    bad['ustudents'] = docstring_problems(objs) + signature_problems(objs)
    for name, ps in bad.items():
        for pr in ps: print(f"{name}: {pr}")
    sys.exit(1 if any(bad.values()) else 0)

if __name__ == '__main__':
    {'build': build, 'check': check, 'lint': lint}[sys.argv[1] if len(sys.argv) > 1 else 'build']()
