"""The data side of DeViSE: class names, their word-vector targets, image lists, image checks, the image dataset
and timm preprocessing."""
from datamodules.images.class_names import read_classids, read_imagenet_index
from datamodules.images.class_vectors import ClassVectors, build_class_vectors, name_vector
from datamodules.images.image_dataset import ImageDataset, check_images, image_problem
from datamodules.images.image_lists import hold_out_classes, list_flat_folder, list_imagenet_folder
from datamodules.images.transforms import make_transforms, transform_fingerprint

__all__ = [
    "ClassVectors",
    "ImageDataset",
    "build_class_vectors",
    "check_images",
    "hold_out_classes",
    "image_problem",
    "list_flat_folder",
    "list_imagenet_folder",
    "make_transforms",
    "name_vector",
    "read_classids",
    "read_imagenet_index",
    "transform_fingerprint",
]
