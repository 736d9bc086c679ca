"FDFE is exact for the paper's three teachers on a non-square image whose sides are not multiples of 8."
import pytest, torch
from ustudents.teacher import patch_network, PATCH_SIZES
from ustudents.fdfe import dense_network, patchwise, dilated_dense, ALIGNMENTS, BORDERS

@pytest.mark.parametrize('p', PATCH_SIZES)
@pytest.mark.parametrize('alignment', ALIGNMENTS)
def test_dense_equals_patchwise(p, alignment):
    torch.manual_seed(p)
    net = patch_network(p)
    img = torch.rand(1, 3, 24, 40)
    T = dense_network(net, alignment=alignment)
    with torch.inference_mode():
        y = T(img)
        assert y.shape == (1, 128, 24, 40)
        torch.testing.assert_close(y, patchwise(net, img, p, top=T.top), rtol=1e-4, atol=1e-5)
        torch.testing.assert_close(y, dilated_dense(T, img), rtol=1e-4, atol=1e-5)

def test_dense_shares_weights():
    net = patch_network(17); T = dense_network(net)
    with torch.no_grad(): net.layers[0].bias += 1
    assert T.layers[0] is net.layers[0]

@pytest.mark.parametrize('p', PATCH_SIZES)
@pytest.mark.parametrize('border', BORDERS)
def test_dense_equals_patchwise_for_every_border(p, border):
    "Whatever fills the context outside the image, the dense map is the patch network on each pixel's patch."
    torch.manual_seed(p)
    net = patch_network(p)
    img = torch.rand(1, 3, 40, 36)                          # larger than any context, so that reflect applies
    T = dense_network(net, border=border)
    with torch.inference_mode():
        y = T(img)
        torch.testing.assert_close(y, patchwise(net, img, p, top=T.top, border=border), rtol=1e-4, atol=1e-5)
        torch.testing.assert_close(y, dilated_dense(T, img), rtol=1e-4, atol=1e-5)
        if border != 'zeros':                               # and it is another map than the zero context's
            assert (y - dense_network(net, border='zeros')(img)).abs().amax() > 1e-3

def test_border_rule():
    "benchmarks/texture_border.py's rule on hand-made records: a simpler filling stays unless beaten beyond the spread."
    from texture_border import choose, BAND_STATS
    def record(scores):                                     # {candidate: [PRO-AUC per texture x seed]}
        runs = {b: {} for b in BORDERS}
        for b in BORDERS:
            for i, (v, w) in enumerate(zip(scores[b], scores[f'{b}, {BAND_STATS}'])):
                runs[b][f't{i}|0'] = {'e~ + v~': v, f'e~ + v~, {BAND_STATS}': w}
        return dict(runs=runs)
    low = [0.70, 0.72, 0.69]
    # replicate beats zeros clearly; reflect is ahead of replicate by less than the spread: replicate
    s = {'zeros': low, 'replicate': [0.80, 0.81, 0.79], 'reflect': [0.83, 0.79, 0.80]}
    s.update({f'{b}, {BAND_STATS}': [x - 0.05 for x in v] for b, v in list(s.items())})
    r = choose(record(s))
    assert r['chosen'] == 'replicate' and r['pairs'] == 3
    assert r['steps'][0]['difference'] == pytest.approx(0.0967, abs=1e-4)
    # nothing beats zeros: zeros stays, even where one candidate's mean is a little higher
    s = {b: [0.70, 0.72, 0.69] for b in BORDERS}; s['reflect'] = [0.71, 0.71, 0.70]
    s.update({f'{b}, {BAND_STATS}': v for b, v in list(s.items())})
    assert choose(record(s))['chosen'] == 'zeros'
