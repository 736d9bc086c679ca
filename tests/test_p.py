"P, the network the teacher distils: EfficientNet-Lite0's ImageNet weights, installed with the package, load by name into timm's architecture and classify photographs; a local weights file in either naming gives the same network; a foreign file is refused."
import pytest, torch
import torch.nn.functional as F
from ustudents.imagenet import lite0_classifier, lite0_names, PretrainedP, IMAGENET_MEAN, IMAGENET_STD, P_NETWORKS
from ustudents.imagenet import _lite0_file
from ustudents.teacher import decoder

def _standardised(a):                     # an (H, W, 3) uint8 photograph -> (1, 3, 224, 224), ImageNet mean and std
    x = torch.from_numpy(a.copy()).permute(2, 0, 1)[None].float() / 255
    x = F.interpolate(x, size=(224, 224), mode='bilinear', antialias=True)
    return (x - torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)) / torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)

@pytest.fixture(scope='module')
def lite0(): return lite0_classifier('imagenet')

def test_lite0_classifies_bundled_photographs(lite0):
    import skimage.data, torchvision
    classes = torchvision.models.ResNet18_Weights.IMAGENET1K_V1.meta['categories']
    for name, label in (('chelsea', 'Egyptian cat'), ('coffee', 'espresso')):      # a wrong mapping loads and misclassifies, or does not load
        with torch.no_grad(): prob = lite0(_standardised(getattr(skimage.data, name)())).softmax(1)[0]
        assert classes[int(prob.argmax())] == label and prob.max() > 0.5, (name, classes[int(prob.argmax())], float(prob.max()))

def test_the_mapping_names_every_tensor_once():
    sd = torch.load(_lite0_file(), map_location='cpu', weights_only=True)
    net = lite0_classifier(None); names = lite0_names(net)
    mapped = [names[k.rsplit('.', 1)[0]] + '.' + k.rsplit('.', 1)[1] for k in sd]
    assert len(sd) == 296 and sorted(mapped) == sorted(net.state_dict())      # one to one, none left over
    assert all(sd[k].shape == net.state_dict()[m].shape for k, m in zip(sd, mapped))

def test_a_local_file_in_either_naming_gives_the_same_P(tmp_path, lite0):
    timm_named = tmp_path / 'lite0_timm.pth'; torch.save(lite0.state_dict(), timm_named)
    x = torch.rand(2, 3, 33, 33)
    a, b = PretrainedP('imagenet', 64, 'efficientnet_lite0'), PretrainedP(timm_named, 64, 'efficientnet_lite0')
    assert torch.equal(a(x), b(x)) and a(x).shape == (2, P_NETWORKS['efficientnet_lite0']) and 'registry package' in a.source
    assert decoder(a.features).out_features == 1280

def test_foreign_weights_are_refused(tmp_path):
    bad = tmp_path / 'bad.pth'; torch.save({'_conv_stem.weight': torch.zeros(1), '_nonsense.weight': torch.zeros(1)}, bad)
    with pytest.raises(ValueError, match='does not have'): PretrainedP(bad, 64, 'efficientnet_lite0')
    resnet = tmp_path / 'resnet.pth'; import torchvision; torch.save(torchvision.models.resnet18().state_dict(), resnet)
    with pytest.raises(ValueError, match='does not hold EfficientNet-Lite0 weights'): PretrainedP(resnet, 64, 'efficientnet_lite0')
    with pytest.raises(FileNotFoundError, match='does not exist'): PretrainedP(tmp_path / 'none.pth', 64, 'efficientnet_lite0')
