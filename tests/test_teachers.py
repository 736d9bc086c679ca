"The teachers that ship with the package: present in the installed package, intact, what offline.json says they are (distilled from the ImageNet EfficientNet-Lite0 by the paper's objective), not collapsed, and better than an untrained teacher on the real-texture benchmark."
import hashlib, json
from pathlib import Path
import pytest, torch
import ustudents
from ustudents.imagenet import OFFLINE_P
from ustudents.teacher import (offline_teacher, offline_teachers, patch_network, effective_rank, correlation_matrix,
                               PATCH_SIZES, TeacherConfig)
from ustudents.fdfe import dense_network

SHIPPED = Path(ustudents.__file__).parent / 'teachers'

def test_every_receptive_field_ships_and_matches_its_record():
    info = offline_teachers()
    assert sorted(info) == sorted(PATCH_SIZES)
    for p in PATCH_SIZES:
        f = SHIPPED / info[p]['file']
        assert f.stat().st_size < 8 * 2 ** 20                                  # a few MB each (float16)
        assert hashlib.sha256(f.read_bytes()).hexdigest() == info[p]['sha256']
        T = offline_teacher(p)
        assert T.p == p and T.config.p == p and T.provenance == info[p]['provenance']
        assert info[p]['config'] == json.loads(json.dumps(T.config.__dict__))  # offline.json carries the configuration too
        cfg, prov = T.config, T.provenance
        assert cfg.p_network == OFFLINE_P and cfg.p_weights == 'imagenet' and 'ImageNet' in prov['P'] and 'registry' in prov['P']   # distilled from ImageNet
        assert cfg.lambda_k == 1 and cfg.lambda_m == 0 and cfg.lambda_c == 1 and cfg.pool > 0         # the paper's objective, through a pool
        assert prov['steps'] == cfg.iterations >= 1000 and prov['seconds'] > 0 and 'images' in prov and 'device' in prov
        assert T.arch == T.config.arch                                          # the weights fit the stored configuration
        x = torch.rand(2, 3, p, p)
        with torch.inference_mode(): y = T(x)
        assert y.shape == (2, 128) and torch.isfinite(y).all()
        untrained = patch_network(p)                                            # pre-trained: its weights are not an initialisation
        assert any(not torch.equal(a, b) for a, b in zip(T.state_dict().values(), untrained.state_dict().values()))

def test_a_damaged_shipped_teacher_is_refused(tmp_path, monkeypatch):
    import ustudents.teacher as t
    for f in SHIPPED.iterdir(): (tmp_path / f.name).write_bytes(f.read_bytes())
    info = json.loads((SHIPPED / 'offline.json').read_text())
    f = tmp_path / info['17']['file']; b = bytearray(f.read_bytes()); b[-100] ^= 1; f.write_bytes(bytes(b))
    monkeypatch.setattr(t, '_shipped', lambda: tmp_path)
    with pytest.raises(ValueError, match='damaged'): t.offline_teacher(17)
    assert t.offline_teacher(33).p == 33

# The texture benchmark of benchmarks/teacher_collapse.py: brick, grass, gravel (scikit-image) at 64 px with planted defects, scored
# by the teacher alone (distance to the nearest training descriptor), so that no students need training. benchmarks/ is on
# pytest's path (pyproject.toml).

@pytest.fixture(scope='module')
def textures():
    from teacher_collapse import texture_data
    return texture_data()

def test_shipped_teachers_have_not_collapsed(textures):
    """The collapse the no-P teachers showed (signed L_c without an informative P: 2.0 to 2.5 directions of 128, up to 77 % of the variance in one)
    is not what the shipped teachers do. They distil ImageNet with the signed form, which concentrates the descriptors in a few directions
    (5.7 to 7.4 here, measured 2026-12-01), and that form was chosen because students on it scored best on development data (02_teacher)."""
    train = textures['brick'][0][:8]
    for p in PATCH_SIZES:
        T = offline_teacher(p)
        with torch.no_grad(): f = dense_network(T.float().eval())(train)      # (8, 128, 64, 64)
        y = f.permute(0, 2, 3, 1).reshape(-1, 128)[::7]
        ev = torch.linalg.eigvalsh(correlation_matrix(y.double()))
        assert effective_rank(y) > 4 and ev.max() / ev.sum() < 0.6, (p, effective_rank(y), float(ev.max() / ev.sum()))

def test_texture_curves_rule():
    "benchmarks/texture_curves.py's rule on hand-made curves: the best epoch count, or a shorter one within the spread."
    from texture_curves import choose
    def record(curves, share_runs=()):                     # curves: [PRO-AUC at each epoch of `at`] per run
        at = [1, 2, 4]
        runs = {f'r{i}': dict(share=1, curve=[{'epoch': e, 'e~ + v~': v} for e, v in zip(at, c)])
                for i, c in enumerate(curves)}
        runs.update({f's{i}': dict(share=0.5, curve=[{'epoch': 1, 'e~ + v~': 0.99}]) for i in share_runs})
        return dict(runs=runs)
    # 4 epochs best by far over 1 and 2: 4
    r = choose(record([[0.60, 0.70, 0.80], [0.62, 0.71, 0.83], [0.58, 0.69, 0.79]]))
    assert r['epochs'] == 4 and r['best'] == 4 and r['pairs'] == 3 and r['mean']['1'] == pytest.approx(0.6, abs=1e-4)
    # 4 best by a hair, 2 within one standard error of it: the shorter, 2; runs on fewer images take no part
    r = choose(record([[0.60, 0.80, 0.81], [0.62, 0.82, 0.81], [0.58, 0.79, 0.80]], share_runs=[0]))
    assert r['epochs'] == 2 and r['best'] == 4
