"""Data sets: built-in MNIST and Fashion-MNIST, importers, transforms, fingerprints.

    from graft.data import load_dataset
    ds = load_dataset({"dataset": "mnist", "transforms": [{"keep_classes": [5, 6, 7, 8, 9]}]}, "train")
"""
from graft.data.builtin import BUILTINS, list_builtin, load_builtin
from graft.data.dataset import SPLITS, Dataset, load_dataset, parse_ref
from graft.data.errors import DataError
from graft.data.images import Limits
from graft.data.csvfile import LabelColumnError
from graft.data.found import Found
from graft.data.ingest import KINDS, import_dataset, import_to, read_dataset, sniff_kind
from graft.data.preview import inspect_dataset
from graft.data.transforms import normalize as normalize_transforms

__all__ = ["BUILTINS", "KINDS", "SPLITS", "DataError", "Dataset", "Found", "LabelColumnError", "Limits",
           "import_dataset", "import_to", "inspect_dataset", "list_builtin", "load_builtin", "load_dataset",
           "normalize_transforms", "parse_ref", "read_dataset", "sniff_kind"]
