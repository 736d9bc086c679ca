"The teachers that ship with the package: present in the installed package, intact, what offline.json says they are, not collapsed, and (at p = 33) better than an untrained teacher on the texture benchmark, most of all on foreign texture."
import hashlib, json, sys
from pathlib import Path
import pytest, torch
import ustudents
from ustudents.teacher import offline_teacher, offline_teachers, patch_network, effective_rank, PATCH_SIZES, TeacherConfig
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
        prov = T.provenance
        assert prov['variant'] in ('metric', 'random-p') and prov['steps'] >= 100 and 'ImageNet' in prov['note']   # labelled for what it is; what the training bought is measured below
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
# by the teacher alone (distance to the nearest training descriptor), so that no students need training.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'benchmarks'))

@pytest.fixture(scope='module')
def textures():
    from teacher_collapse import texture_data
    return texture_data()

def test_shipped_teachers_have_not_collapsed(textures):
    train = textures['brick'][0][:8]
    for p in PATCH_SIZES:
        T = offline_teacher(p)
        assert T.config.compactness == 'squared'                      # the signed form collapses without an informative P (02_teacher)
        with torch.no_grad(): f = dense_network(T.float().eval())(train)      # (8, 128, 64, 64)
        assert effective_rank(f.permute(0, 2, 3, 1).reshape(-1, 128)[::7]) > 8   # the collapsed signed teachers used 2.0 to 2.5 directions

def test_shipped_p33_teacher_beats_an_untrained_one_on_the_texture_benchmark(textures):
    from teacher_collapse import measure
    torch.manual_seed(0); untrained = patch_network(33)
    shipped, base = measure(offline_teacher(33), textures), measure(untrained, textures)
    assert shipped['mean_pro_auc'] > base['mean_pro_auc'] + 0.02, (shipped['pro_auc'], base['pro_auc'])   # recorded: 0.839 against 0.781
    blob = lambda r: r['mean_pro_auc_per_defect']['blob']                       # a piece of a foreign texture: what pre-training teaches
    assert blob(shipped) > blob(base) + 0.15, (blob(shipped), blob(base))       # recorded: 0.636 against 0.352
