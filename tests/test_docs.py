"""The docs check catches what a reader catches: each fault put into a page is reported, and the project's notebooks have none."""
import importlib.util, json
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location('docs_tool', ROOT / 'tools' / 'docs.py'); docs = importlib.util.module_from_spec(spec); spec.loader.exec_module(docs)

md = lambda s: dict(cell_type='markdown', source=s, metadata={})
code = lambda s, *outs: dict(cell_type='code', source=s, metadata={}, outputs=list(outs), execution_count=1)
png = dict(output_type='display_data', data={'image/png': 'iVBOR', 'text/plain': '<Figure size 640x480 with 2 Axes>'}, metadata={})

FAULTS = {   # a broken cell, and the words its report must contain
    'code in a markdown cell': md("## Cost\n# %% id=1234abcd\nprint(cost_table(plan))"),
    'tag [C] used but never defined': md("The paper states this [C]."),
    'a link anchor that is not an id': md("See [the study](12_teachers.ipynb#Why The Teachers Lost)."),
    'a private name in backticks': md("`_gather` collects the descriptors of every process."),
    'a warning in the output': code("torch.from_numpy(a)", dict(output_type='stream', name='stderr', text='UserWarning: The given NumPy array is not writable')),
    'a matplotlib repr in the output': code("fig.text(1, .5, 'std')", dict(output_type='execute_result', data={'text/plain': "Text(1.0, 0.5, 'std')"}, metadata={}, execution_count=1)),
    'a map of scores without a colour scale': code("plt.imshow(score_map, cmap='inferno')", png),
    'a figure without alt text': code("plt.plot(losses)", png),
    'an empty code cell': code("#| export\n"),
    'an error in the output': code("1/0", dict(output_type='error', ename='ZeroDivisionError', evalue='division by zero', traceback=[])),
    'prose written by visible code': code('r = json.loads(rec.read_text())\n'
                                          'display(Markdown(f"Students on the shipped teacher score {r[\'s\']:.3f}, "\n'
                                          '                 f"against {r[\'u\']:.3f} on an untrained one: beyond the spread of the seeds."))'),
}

@pytest.mark.parametrize('fault', FAULTS)
def test_each_fault_is_reported(fault):
    problems = docs.notebook_problems(dict(cells=[md('# A page'), FAULTS[fault]]))
    assert any(p.startswith(fault) for p in problems), problems

def test_a_clean_page_passes():
    clean = [md("# A page\n\nText with `[C]` in code, a tag [R] and a [link](02_teacher.ipynb#the-three-losses)."),
             code("#| fig-alt: a map of scores\nim = plt.imshow(score_map, cmap='inferno'); plt.colorbar(im)", png),
             code("#| fig-alt: a mask\nplt.imshow(mask, cmap='gray')", png),
             code("print('done')", dict(output_type='stream', name='stdout', text='done\n')),
             # prose from a record, in a hidden cell; its assertion visible, in a cell of its own
             code('#| echo: false\ndisplay(Markdown(f"Students on the shipped teacher score {s:.3f}, against {u:.3f} on an "\n'
                  '                 "untrained one: beyond the spread of the seeds."))'),
             code("assert s > u + spread"),
             # what stays visible: a table (the table is the point), a one-line caption, a labelled line of numbers,
             # an error message
             code("display(Markdown('| detector | pixel ROC AUC |\\n|---|---|\\n' + '\\n'.join(f'| {n} | {a:.3f} |' for n, a in rows.items())))"),
             code("display(Markdown(f'Nearest-descriptor PRO-AUC per defect, mean over the three textures.\\n\\n| teacher | {h} |'))"),
             code("print(f\"p={p} {k}: mean {m:+.3f}, std {sd:.3f} on unseen anomaly-free images\")"),
             code("if x.shape != y.shape: raise ValueError(f'The map is {x.shape} but the image is {y.shape}; upsample the map to the image first.')"),
             code("#| export\ndef f(x):\n    return f'The {x} is a file; a run is the folder that holds model.pt and run.json, here perhaps {x.parent}.'")]
    assert docs.notebook_problems(dict(cells=clean)) == []

def test_prose_from_a_record_is_caught_however_it_is_built():
    "A sentence printed, or built with `+` or `.format`, is prose too; `#| hide` and `#| include: false` hide it."
    said = ('Students on the shipped teacher score {s:.3f}, against {u:.3f} on an untrained one, '
            'beyond the spread of the seeds.')
    built = [f'print(f"{said}")', "display(Markdown('" + said.replace('{s:.3f}', "' + f'{s:.3f}' + '") + "'))",
             f"text = '{said}'.format(s=s, u=u)"]
    for src in built:
        problems = docs.notebook_problems(dict(cells=[code(src)]))
        assert len(problems) == 1 and 'cell 0' in problems[0] and '#| echo: false' in problems[0], (src, problems)
        for hidden in ('#| hide', '#| include: false', '#| echo: false'):
            assert docs.notebook_problems(dict(cells=[code(f'{hidden}\n{src}')])) == [], (hidden, src)
    assert docs.notebook_problems(dict(cells=[code(f"print('{said}')")])) == []      # no value from a record

def test_links_written_for_github_are_caught_in_built_pages():
    html = '<a href="02_teacher.ipynb#x">t</a> <a href="teacher.html#x">ok</a> <a href="https://colab.research.google.com/github/u/u/blob/main/nbs/02_teacher.ipynb">badge</a>'
    assert docs.html_problems(html) == ['a link to a notebook file, not a page: 02_teacher.ipynb#x']
    assert docs.page_links('[t](02_teacher.ipynb#the-three-losses)') == '[t](teacher.html#the-three-losses)'   # nbdev's page names
    assert docs.page_name('index') == 'index.html' and docs.doc_url() == 'https://ustudents.github.io/ustudents/'

def test_raw_markdown_links_are_caught_and_signature_links_mended():
    "nbdev writes links into a signature's comments, which a code block shows as raw Markdown; the build makes them links."
    sig = ('<pre><span class="c1"># natural images (see [`natural_images`]'
           '(https://ustudents.github.io/ustudents/data.html#natural_images))</span></pre>')
    assert docs.html_problems(sig) == ['a Markdown link shown as raw text: [`natural_images`]'
                                       '(https://ustudents.github.io/ustudents/data.html#natural_images)']
    mended = docs.signature_links(sig)
    assert '<a href="https://ustudents.github.io/ustudents/data.html#natural_images"><code>natural_images</code></a>' in mended
    assert docs.html_problems(mended) == []
    assert docs.signature_links('<span class="c1"># what `min_side` is</span>') == '<span class="c1"># what min_side is</span>'

def test_a_class_is_shown_as_a_class():
    md = ('[source](https://github.com/ustudents/ustudents/blob/main/ustudents/score.py#L90)\n\n### {0}\n\n'
          '```python\n\ndef {0}(\n    x\n)\n```')
    assert '\nclass Scale(' in docs.class_signatures(md.format('Scale'))
    assert '\ndef anomaly_map(' in docs.class_signatures(md.format('anomaly_map'))

def test_an_annotated_star_parameter_keeps_its_star():
    "fastcore writes `def home(*parts: str)` as `home(parts:str)`; the builder restores the star from the signature."
    md = ('[source](https://github.com/ustudents/ustudents/blob/main/ustudents/core.py#L834)\n\n### home\n\n'
          '```python\n\ndef home(\n    parts:str\n)->Path:\n```')
    assert '(\n    *parts:str\n)' in docs.starred_parameters(md)
    assert docs.starred_parameters(md.replace('home', 'load_image')) == md.replace('home', 'load_image')

def test_signatures_read_as_python():
    md = ("```python\n\ndef ImageFiles(\n    args:VAR_POSITIONAL, kwargs:VAR_KEYWORD\n)\n```\n"
          "```python\n\ndef range_problem(\n    value, lo:NoneType=None, hi:NoneType=None\n)->str | None:\n```\n"
          "```python\n\ndef world(\n    \n)->tuple[int, int]:\n```")
    out = docs.plain_signatures(md)
    assert '(\n    *args, **kwargs\n)' in out and 'value, lo=None, hi=None\n' in out and '\ndef world()->tuple[int, int]:' in out

def test_defaults_read_as_the_source_writes_them():
    "fastcore prints a default's value; the block shows the source's expression, a constant by its name."
    from ustudents.students import StudentConfig
    from ustudents.data import MVTEC_CATEGORIES
    block = lambda mod, name, params: (f'[source](https://github.com/ustudents/ustudents/blob/main/ustudents/{mod}.py#L1)'
                                       f'\n\n### {name}\n\n```python\n\ndef {name}(\n    {params}\n)\n```')
    fit = docs.api_block(block('score', 'fit', f"val_images, # x\n    cfg:StudentConfig={StudentConfig()!r}, # how\n    device='cpu'"))
    assert '    cfg:StudentConfig=StudentConfig(), # how\n' in fit and "device='cpu'" in fit
    missing = docs.api_block(block('data', 'mvtec_missing', f"root:str | Path, categories:tuple={MVTEC_CATEGORIES!r}"))
    assert 'categories:tuple=MVTEC_CATEGORIES\n' in missing
    cls = block('students', 'StudentConfig', 'M:int=3').replace('\n)\n', '\n)->None:\n')    # a dataclass's __init__
    assert '\nclass StudentConfig(\n    M:int=3\n):\n' in docs.api_block(cls)
    files = block('images', 'ImageFiles', 'args:VAR_POSITIONAL, kwargs:VAR_KEYWORD')  # no __init__ of its own
    assert '\nclass ImageFiles(\n    iterable=(), /\n)\n' in docs.api_block(files)       # as list() is called

def test_api_blocks_follow_the_order_of_definition():
    "nbdev inserts a cell's show_docs last definition first; the build puts them back in the module's order."
    import nbformat
    sd = lambda name, line: nbformat.v4.new_code_cell(f'#| echo: false\n#| output: asis\nshow_doc({name})', outputs=[
        nbformat.v4.new_output('display_data', data={'text/markdown': f'[source](https://x/ustudents/experiment.py#L{line})'})])
    cells = [nbformat.v4.new_markdown_cell('## Artefacts'), sd('write_json', 90), sd('artefact_ok', 70),
             sd('record_artefact', 60), nbformat.v4.new_code_cell('assert True'), sd('b', 200), sd('a', 100)]
    names = [c.source.rsplit('(', 1)[-1][:-1] if 'show_doc' in c.source else c.cell_type for c in docs.show_doc_order(cells)]
    assert names == ['markdown', 'record_artefact', 'artefact_ok', 'write_json', 'code', 'a', 'b']
    # an `exports` cell: nbdev leaves [last block, source, the others]; all blocks go before the source, in order
    src = nbformat.v4.new_code_cell('#| code-fold: show\ndef regression_error(): ...\ndef predictive_variance(): ...')
    cells = [sd('predictive_variance', 20), src, sd('regression_error', 10), sd('later', 40), sd('earlier', 30),
             nbformat.v4.new_markdown_cell('next')]
    out = docs.show_doc_order(cells)
    assert [c.source.split('show_doc(')[-1][:-1] if 'show_doc' in c.source else c.cell_type for c in out] == \
           ['regression_error', 'predictive_variance', 'code', 'earlier', 'later', 'markdown']

def test_the_published_site_gets_the_same_mends(monkeypatch):
    """settings.ini names `ApiBlocks` after nbdev's own processors, so Quarto's site (nbdev_docs) gets the order and the
    signatures that this build gets."""
    import nbformat
    monkeypatch.syspath_prepend(str(ROOT / 'tools')); monkeypatch.chdir(ROOT)
    from nbdev.processors import FilterDefaults
    last = FilterDefaults().procs()[-1]
    assert (last.__module__, last.__name__) == ('docs', 'ApiBlocks')
    sd = lambda name, line, sig: nbformat.v4.new_code_cell(f'show_doc({name})', outputs=[nbformat.v4.new_output(
        'display_data', data={'text/markdown': [f'[source](https://x/ustudents/data.py#L{line})\n\n',
                                                f'```python\n\ndef {name}(\n    {sig}\n)\n```']})])
    nb = nbformat.v4.new_notebook(cells=[sd('b', 20, 'lo:NoneType=None'), sd('a', 10, 'args:VAR_POSITIONAL')])
    last(nb).end()
    assert [c.source for c in nb.cells] == ['show_doc(a)', 'show_doc(b)']
    a, b = (c.outputs[0]['data']['text/markdown'] for c in nb.cells)
    assert '(\n    *args\n)' in a and '(\n    lo=None\n)' in b

def test_figures_get_their_alt_text():
    html = ('<div class="jp-Cell jp-CodeCell" id="cell-id=aa"><img alt="No description has been provided for this image" '
            'src="x"></div><div class="jp-Cell jp-CodeCell" id="cell-id=bb"><img alt="No description has been provided '
            'for this image" src="y"></div>')
    out = docs.figure_alts(html, {'aa': 'PRO curves of two "detectors"'})
    assert 'alt="PRO curves of two &quot;detectors&quot;" src="x"' in out and docs.html_problems(out) == ['1 figures without alt text']

def test_docstrings_that_run_on_are_caught():
    def runs_on():
        """A summary that runs on
        into a second line."""
    def summary_then_more():
        """A summary.

        The rest, on as many lines as it needs."""
    def one_line(): "One line."
    objs = dict(runs_on=runs_on, summary_then_more=summary_then_more, one_line=one_line)
    assert docs.docstring_problems(objs) == ['a docstring whose first line runs on (nbdev italicises the first line only): runs_on']

def test_the_library_docstrings_render_whole():
    objs = docs.documented_objects()
    assert len(objs) > 150 and 'score.anomaly_map' in objs and 'score.Scale.normalised' in objs
    assert docs.docstring_problems(objs) == []

@pytest.mark.parametrize('nb', sorted((ROOT / 'nbs').glob('*.ipynb')), ids=lambda p: p.stem)
def test_the_notebooks_have_none_of_these_faults(nb):
    problems = docs.notebook_problems(json.loads(nb.read_text(encoding='utf-8')))
    assert not problems, f"{nb.name}: {len(problems)} faults\n" + '\n'.join(f'{nb.name}: {p}' for p in problems)

def test_links_to_documented_methods_land_on_their_class():
    pages = {'score.html': '<h3 id="scale">Scale</h3><h3 id="anomaly_map">anomaly_map</h3>'}
    html = '<a href="score.html#scale.normalised">a</a> <a href="score.html#anomaly_map">b</a> <a href="score.html#nothing.here">c</a>'
    assert docs.documented_anchors(html, pages) == '<a href="score.html#scale">a</a> <a href="score.html#anomaly_map">b</a> <a href="score.html#nothing.here">c</a>'

def test_nbdev_processes_every_notebook(monkeypatch):
    "nbdev's own processing of the notebooks, where nbdev_docs (and so the published site) starts, runs without an error on every page."
    from nbdev.serve import proc_nbs
    monkeypatch.chdir(ROOT)
    proc = Path(proc_nbs(n_workers=0))
    assert {p.name for p in (ROOT / 'nbs').glob('*.ipynb')} <= {p.name for p in proc.glob('*.ipynb')}
