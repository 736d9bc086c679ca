"FDFE is exact for the paper's three teachers on a non-square image whose sides are not multiples of 8."
import pytest, torch
from ustudents.teacher import patch_network, PATCH_SIZES
from ustudents.fdfe import dense_network, patchwise, dilated_dense, ALIGNMENTS

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
