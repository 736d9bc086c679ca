"End to end on CPU: a planted defect scores above its background; no peak without it; same seed, same map; save/load."
import numpy as np, torch, pytest
from ustudents.teacher import patch_network
from ustudents.students import StudentConfig
from ustudents.score import fit, anomaly_map, save_model, load_model
from ustudents.data import make_texture, plant_defect

@pytest.fixture(scope='module')
def model_and_data():
    rng = np.random.default_rng(1)
    tex = lambda: torch.from_numpy(make_texture(32, 'stripes', rng)).permute(2, 0, 1)
    train, val = torch.stack([tex() for _ in range(12)]), torch.stack([tex() for _ in range(4)])
    torch.manual_seed(0)
    # a 32-pixel image has no interior at p = 33: the validation statistics over the whole image
    model = fit([patch_network(33)], train, val, StudentConfig.quick(M=3, epochs=4, batch_size=2, calibration='image'),
                progress=False)
    clean = make_texture(32, 'stripes', rng)
    defective, mask = plant_defect(clean, 'hole', rng)
    return model, train, val, clean, defective, mask

def test_planted_defect_scores_above_background(model_and_data):
    model, _, _, clean, defective, mask = model_and_data
    m = torch.from_numpy(mask)
    s_def = anomaly_map(model, torch.from_numpy(defective).permute(2, 0, 1))[0]
    s_clean = anomaly_map(model, torch.from_numpy(clean).permute(2, 0, 1))[0]
    gap = (s_def[m].mean() - s_def[~m].mean()).item()
    clean_gap = (s_clean[m].mean() - s_clean[~m].mean()).item()
    assert gap > 2.0, gap                  # clearly higher inside the defect
    assert clean_gap < 1.0, clean_gap      # no such peak without it
    assert gap - clean_gap > 2.0

def test_validation_normalisation(model_and_data):
    model, _, val, *_ = model_and_data
    r = anomaly_map(model, val, parts=True)
    for k in ('e_tilde', 'v_tilde'):
        t = r[k][33]
        assert abs(t.mean().item()) < 1e-4 and abs(t.std(unbiased=False).item() - 1) < 1e-4

def test_save_load_identical(model_and_data, tmp_path):
    model, _, val, *_ = model_and_data
    save_model(model, tmp_path / 'm.pt')
    assert torch.equal(anomaly_map(load_model(tmp_path / 'm.pt'), val), anomaly_map(model, val))

def test_same_seed_same_map():
    rng = np.random.default_rng(2)
    imgs = torch.stack([torch.from_numpy(make_texture(24, 'cells', rng)).permute(2, 0, 1) for _ in range(4)])
    maps = []
    for _ in range(2):
        torch.manual_seed(0)
        m = fit([patch_network(17)], imgs[:3], imgs[3:], StudentConfig.quick(M=2, epochs=1), progress=False)
        maps.append(anomaly_map(m, imgs))
    assert torch.equal(*maps)
