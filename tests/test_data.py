"The loaders of the full runs on files in their real formats (tests/fixtures.py): everything a full run does but the download."
from pathlib import Path
import pytest
from fixtures import write_mnist_files, write_cifar10_files, write_imagenette_files
from ustudents.patches import natural_images
from ustudents.data import one_class_mnist, one_class_cifar10

def test_mnist_files(tmp_path):
    write_mnist_files(tmp_path)
    tr, te = one_class_mnist(tmp_path, 1, train=True), one_class_mnist(tmp_path, 1, train=False)
    assert tr.images.shape == (3, 3, 32, 32) and te.labels.tolist() == [0, 1, 1]
    assert tr.images[..., :2, :].abs().sum() == 0                   # 28 -> 32 by padding with black, not by resampling
    assert (tr.images[:, 0] == tr.images[:, 2]).all()               # gray repeated to three channels

def test_cifar10_files(tmp_path):
    write_cifar10_files(tmp_path)
    tr, te = one_class_cifar10(tmp_path, 0, train=True), one_class_cifar10(tmp_path, 0, train=False)
    assert tr.images.shape == (5, 3, 32, 32) and te.labels.tolist() == [0, 1, 1] and tr.labels.sum() == 0   # five of ten labels are 0
    with pytest.raises(FileNotFoundError, match='pass download=True'): one_class_cifar10(tmp_path / 'nothing', 0, train=True)

def test_imagenette_files(tmp_path):
    write_imagenette_files(tmp_path)
    assert len(natural_images('imagenette', tmp_path, min_side=17)) == 6
    with pytest.raises(FileNotFoundError, match='pass download=True'): natural_images('imagenette', tmp_path / 'nothing')
