"""Test fixtures: tiny files in the on-disk formats the full runs read (MNIST's idx files, CIFAR-10's pickled batches,
Imagenette's folder tree), written offline, so that every loader's code path but the download is tested here."""
import pickle, struct
from pathlib import Path
import numpy as np
from PIL import Image
from ustudents.patches import sample_photographs
from ustudents.data import CIFAR_FOLDER

def write_mnist_files(root, train_labels=(1, 1, 7, 1, 3), test_labels=(1, 7, 3), seed: int = 0) -> Path:
    "Write tiny MNIST files in torchvision's idx format under root/MNIST/raw."
    rng, raw = np.random.default_rng(seed), Path(root) / 'MNIST' / 'raw'; raw.mkdir(parents=True, exist_ok=True)
    for split, y in (('train', train_labels), ('t10k', test_labels)):
        x = rng.integers(0, 256, (len(y), 28, 28), dtype=np.uint8)
        (raw / f'{split}-images-idx3-ubyte').write_bytes(struct.pack('>IIII', 2051, len(y), 28, 28) + x.tobytes())
        (raw / f'{split}-labels-idx1-ubyte').write_bytes(struct.pack('>II', 2049, len(y)) + bytes(y))
    return raw

def write_cifar10_files(root, train_labels=(1, 2, 0, 1, 0, 0, 2, 1, 0, 0), test_labels=(0, 1, 2), seed: int = 0) -> Path:
    "Write tiny CIFAR-10 files in torchvision's pickled format under root/cifar-10-batches-py (five training batches)."
    rng, d = np.random.default_rng(seed), Path(root) / CIFAR_FOLDER; d.mkdir(parents=True, exist_ok=True)
    parts = np.array_split(np.asarray(train_labels), 5)
    for name, y in [(f'data_batch_{i + 1}', parts[i].tolist()) for i in range(5)] + [('test_batch', list(test_labels))]:
        with open(d / name, 'wb') as f: pickle.dump({'data': rng.integers(0, 256, (len(y), 3072), dtype=np.uint8), 'labels': y}, f)
    with open(d / 'batches.meta', 'wb') as f: pickle.dump({'label_names': [f'c{i}' for i in range(10)]}, f)
    return d

def write_imagenette_files(root, n_per_class: int = 2, size: tuple = (40, 56), seed: int = 0) -> Path:
    "Write a tiny Imagenette-style tree (root/imagenette2-320/train/<wnid>/*.JPEG) of random crops of the sample photographs."
    rng, photos = np.random.default_rng(seed), sample_photographs()
    folder = Path(root) / 'imagenette2-320' / 'train'
    for k, wnid in enumerate(('n01440764', 'n02102040', 'n02979186')):
        (folder / wnid).mkdir(parents=True, exist_ok=True)
        for i in range(n_per_class):
            ph = photos[(k + i) % len(photos)]; y, x = rng.integers(0, ph.shape[1] - size[0]), rng.integers(0, ph.shape[2] - size[1])
            crop = (ph[:, y:y + size[0], x:x + size[1]].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
            Image.fromarray(crop).save(folder / wnid / f'{wnid}_{i}.JPEG', format='PNG')   # PIL reads by content, not extension
    return folder
