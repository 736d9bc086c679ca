"""Write README.md from nbs/index.ipynb without Quarto (`--check`: fail if README.md differs).

Hidden cells (`#| hide`) are dropped, `#| echo: false` cells keep only their output, and `#|` directive lines are removed, as nbdev's own README does;
the rest goes through nbconvert's Markdown exporter.
"""
import re, sys, copy, pathlib, nbformat
from nbconvert import MarkdownExporter

root = pathlib.Path(__file__).resolve().parents[1]

def render() -> str:
    nb = nbformat.read(root / 'nbs' / 'index.ipynb', as_version=4)
    cells = []
    for c in nb.cells:
        lines = c.source.splitlines()
        if c.cell_type == 'code' and any(l.strip().replace(' ', '') in ('#|hide', '#|exporti', '#|export') for l in lines): continue
        c = copy.deepcopy(c)
        if c.cell_type == 'code' and any(re.match(r'#\|\s*echo:\s*false', l.strip()) for l in lines):
            c.metadata.setdefault('tags', []).append('remove_input')          # `#| echo: false`: the output without the code
        if c.cell_type == 'code': c.source = '\n'.join(l for l in lines if not l.lstrip().startswith('#|')).strip('\n')
        cells.append(c)
    nb.cells = cells
    from traitlets.config import Config
    cfg = Config(); cfg.TagRemovePreprocessor.enabled = True; cfg.TagRemovePreprocessor.remove_input_tags = {'remove_input'}
    body, _ = MarkdownExporter(config=cfg).from_notebook_node(nb)
    body = re.sub(r'\]\((?![a-z]+:|#|/)([^)]+)\)', r'](nbs/\1)', body)   # links relative to nbs/ become relative to the root
    return '<!-- Generated from nbs/index.ipynb by tools/readme.py: edit the notebook, not this file. -->\n\n' + body.strip() + '\n'

if __name__ == '__main__':
    text, readme = render(), root / 'README.md'
    if '--check' in sys.argv:
        if not readme.exists() or readme.read_text(encoding='utf-8') != text:
            sys.exit('README.md is out of date with nbs/index.ipynb: run `python tools/readme.py` and commit it.')
        print('README.md matches nbs/index.ipynb')
    else:
        readme.write_text(text, encoding='utf-8'); print(f'wrote {readme}')
