"""Build the docs offline, without Quarto, and check them in headless Chromium.

    python tools/docs.py build          # nbdev's proc_nbs, then nbconvert to HTML: docs/*.html
    python tools/docs.py check          # open every page in headless Chromium (Debian's `chromium`):
                                        # title, figures and math rendered, no console errors; screenshots in docs/_shots/

The published site is rendered by Quarto in .github/workflows/deploy.yaml; this is the offline
stand-in for this machine. Math uses a local MathJax (Debian's libjs-mathjax) when it is installed,
else the CDN.
"""
import json, re, shutil, subprocess, sys, tempfile
from pathlib import Path

root = Path(__file__).resolve().parents[1]
docs = root / 'docs'
LOCAL_MATHJAX = Path('/usr/share/javascript/mathjax/MathJax.js')

def build():
    import nbformat
    from nbconvert import HTMLExporter
    from nbdev.serve import proc_nbs
    proc = Path(proc_nbs(n_workers=0))
    docs.mkdir(exist_ok=True)
    from traitlets.config import Config
    c = Config(); c.TagRemovePreprocessor.enabled = True; c.TagRemovePreprocessor.remove_input_tags = {'remove_input'}
    ex = HTMLExporter(template_name='lab', config=c)
    if LOCAL_MATHJAX.exists(): ex.mathjax_url = LOCAL_MATHJAX.as_uri() + '?config=TeX-AMS_HTML'
    pages = []
    for nb_path in sorted(proc.glob('*.ipynb')):
        nb = nbformat.read(nb_path, as_version=4)
        title = nb_path.stem
        for i, c in enumerate(nb.cells):   # nbdev turned "# title / > description" into YAML front matter: show it as a heading
            if c.cell_type == 'raw' and c.source.startswith('---'):
                import yaml
                fm = yaml.safe_load(c.source.strip().strip('-')) or {}
                title = fm.get('title', title)
                nb.cells[i] = nbformat.v4.new_markdown_cell(f"# {title}\n\n> {fm.get('description', '')}")
                break
        for c in nb.cells:
            if c.cell_type == 'markdown': c.source = re.sub(r'\]\(([\w-]+)\.ipynb\)', r'](\1.html)', c.source)   # links between pages
            if c.cell_type != 'code': continue
            if re.search(r'^#\|\s*echo:\s*false', c.source, re.M): c.metadata.setdefault('tags', []).append('remove_input')
            if re.search(r'^#\|\s*output:\s*false', c.source, re.M): c.outputs = []      # e.g. a live widget: the page shows its static twin
            c.source = '\n'.join(l for l in c.source.splitlines() if not l.lstrip().startswith('#|')).strip()
            for o in c.get('outputs', []):   # Quarto-only attributes in show_doc's output
                if 'data' in o and 'text/markdown' in o['data']:
                    o['data']['text/markdown'] = re.sub(r'\{target="_blank"[^}]*\}', '', o['data']['text/markdown'])
        html, _ = ex.from_notebook_node(nb, resources={'metadata': {'name': title}})
        name = 'index.html' if nb_path.stem == 'index' else nb_path.stem + '.html'
        (docs / name).write_text(html, encoding='utf-8'); pages.append(name)
    img = root / 'nbs' / 'images'
    if img.exists(): shutil.copytree(img, docs / 'images', dirs_exist_ok=True)
    print(f"built {len(pages)} pages into {docs}: {', '.join(pages)}")

def check():
    chrome = shutil.which('chromium') or shutil.which('chromium-browser') or shutil.which('google-chrome')
    if chrome is None: sys.exit("Chromium not found: apt-get install chromium")
    shots = docs / '_shots'; shots.mkdir(parents=True, exist_ok=True)
    flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
             '--disable-component-update', '--disable-sync', '--allow-file-access-from-files', '--virtual-time-budget=15000']
    failed = 0
    for page in sorted(docs.glob('*.html')):
        with tempfile.TemporaryDirectory() as prof:
            dom = subprocess.run([chrome, *flags, f'--user-data-dir={prof}', '--enable-logging=stderr', '--v=0', '--dump-dom', page.as_uri()],
                                 capture_output=True, text=True, timeout=120)
            subprocess.run([chrome, *flags, f'--user-data-dir={prof}', f'--screenshot={shots / (page.stem + ".png")}', '--window-size=1100,1400', page.as_uri()],
                           capture_output=True, text=True, timeout=120)
        html = dom.stdout
        title = re.search(r'<h1[^>]*>(.*?)</h1>', html, re.S)
        n_img = len(re.findall(r'<img\b', html))
        n_math = len(re.findall(r'class="MathJax', html))
        src = page.read_text(encoding='utf-8')
        wants_math = '$' in re.sub(r'<script.*?</script>|<style.*?</style>', '', src, flags=re.S)
        errors = [l for l in dom.stderr.splitlines() if 'CONSOLE' in l and ('Error' in l or 'error' in l)]
        ok = title is not None and (n_math > 0 or not wants_math) and not errors
        failed += not ok
        print(json.dumps(dict(page=page.name, title=re.sub('<[^>]+>|\u00b6', '', title.group(1)).strip() if title else None,
                              figures=n_img, math_rendered=n_math, console_errors=errors[:3], ok=ok)))
    print(f"docs pages: {len(list(docs.glob('*.html'))) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)

if __name__ == '__main__':
    {'build': build, 'check': check}[sys.argv[1] if len(sys.argv) > 1 else 'build']()
