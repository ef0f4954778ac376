"""The ImageNet-1k classes in the standard classifier order, and word vectors for them (ConSE's semantic space).

timm ships the class table, so this works offline with no name file.
"""
from __future__ import annotations

import numpy as np

from datamodules.images.class_names import read_classids, read_imagenet_index
from datamodules.images.class_vectors import name_vector
from datamodules.vectors import load_vectors


def imagenet_classes() -> list[str]:
    """WordNet ids of the ImageNet-1k classes in the standard classifier order."""
    from timm.data import ImageNetInfo

    info = ImageNetInfo()
    return [info.index_to_label_name(i) for i in range(info.num_classes())]


def imagenet_class_names(names_file: str | None = None) -> dict[str, str]:
    """ImageNet-1k wnid → name: from ``names_file`` (``imagenet_class_index.json`` or ``classids.txt``) where it
    has the class, else the first lemma of timm's description (``"n01440764"`` → ``"tench"``)."""
    from timm.data import ImageNetInfo

    info = ImageNetInfo()
    names = {info.index_to_label_name(i): info.index_to_description(i).split(",")[0].strip()
             for i in range(info.num_classes())}
    if names_file:
        table = dict(read_imagenet_index(names_file)) if names_file.endswith(".json") else read_classids(names_file)
        names.update({wnid: table[wnid] for wnid in names if wnid in table})
    return names


def imagenet_class_vectors(vectors_spec: str, names_file: str | None = None) -> dict:
    """``{"wnids": [1000 ids], "vectors": (1000, dim) float32}``: unit word vectors of the class names, zero rows
    for names without one."""
    names = imagenet_class_names(names_file)
    wnids = imagenet_classes()
    words = {w for n in names.values() for w in n.lower().replace("-", "_").replace(" ", "_").split("_")}
    vectors = load_vectors(vectors_spec, keep=words | {n.lower() for n in names.values()})
    matrix = np.zeros((len(wnids), vectors.dim), dtype=np.float32)
    for row, wnid in enumerate(wnids):
        vector, _ = name_vector(names[wnid], vectors)
        norm = 0.0 if vector is None else float(np.linalg.norm(vector))
        if norm > 0 and np.isfinite(norm):
            matrix[row] = np.asarray(vector, dtype=np.float32) / norm
    return {"wnids": wnids, "vectors": matrix}
