"""Hugging Face sources for `graft import-model`: a model folder as `save_pretrained` writes it (config.json +
safetensors) or a hub reference `hf:ORG/NAME[@REVISION]`, downloaded here with its checksums checked.

config.json is read as data: its architecture picks a transformers class from the table below (never a name
imported from the file, never remote code), the weights load from safetensors only, and the model goes through
graft.from_torch like any other nn.Module.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

from .import_graph import ImportFailed

# architectures[0] -> (transformers class, the output that becomes the network's output)
ARCHITECTURES = {
    "ResNetForImageClassification": ("ResNetForImageClassification", "logits"),
    "ResNetModel": ("ResNetModel", "pooler_output"),
    "MobileNetV2ForImageClassification": ("MobileNetV2ForImageClassification", "logits"),
    "MobileNetV2Model": ("MobileNetV2Model", "pooler_output"),
    "ViTForImageClassification": ("ViTForImageClassification", "logits"),
    "ViTModel": ("ViTModel", "pooler_output"),
    "Dinov2Model": ("Dinov2Model", "pooler_output"),
    "ConvNextForImageClassification": ("ConvNextForImageClassification", "logits"),
    "ConvNextModel": ("ConvNextModel", "pooler_output"),
}
MODEL_TYPES = {"resnet": "ResNetForImageClassification", "mobilenet_v2": "MobileNetV2ForImageClassification",
               "vit": "ViTForImageClassification", "dinov2": "Dinov2Model",
               "convnext": "ConvNextForImageClassification"}
PICKLES = (".bin", ".pt", ".pth", ".pkl", ".ckpt", ".h5", ".msgpack")
CONFIG_LIMIT = 1 << 20
HUB_FILES = ["config.json", "*.safetensors", "model.safetensors.index.json", "preprocessor_config.json"]
REFERENCE = re.compile(r"^hf:([A-Za-z0-9][\w.-]*/[\w.-]+)(?:@([\w./-]+))?$")
DEFAULT_SIZE = 224


def is_hf_source(source) -> bool:
    return isinstance(source, (str, Path)) and (str(source).startswith("hf:") or Path(source).is_dir())


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _json(path: Path, shown: str) -> dict:
    if path.stat().st_size > CONFIG_LIMIT:
        raise ImportFailed(f"{shown}: {path.name} is over {CONFIG_LIMIT} bytes; expected a small JSON file")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise ImportFailed(f"{shown}: {path.name} is not valid JSON ({e})") from e
    if not isinstance(data, dict):
        raise ImportFailed(f"{shown}: {path.name}: expected a JSON object, found {type(data).__name__}")
    return data


def architecture(config: dict, shown: str) -> str:
    archs = config.get("architectures")
    name = archs[0] if isinstance(archs, list) and archs and isinstance(archs[0], str) else None
    name = name or MODEL_TYPES.get(config.get("model_type"))
    if name not in ARCHITECTURES:
        found = name or f"model_type {config.get('model_type')!r}"
        raise ImportFailed(f"{shown}: config.json: architecture {found} is not one graft imports; supported: "
                           f"{', '.join(ARCHITECTURES)}")
    return name


def _weights(folder: Path, shown: str) -> list[Path]:
    files = sorted(folder.glob("*.safetensors"))
    if not files:
        pickles = sorted(p.name for p in folder.iterdir() if p.suffix.lower() in PICKLES)
        why = (f"it holds only {', '.join(pickles)}, which load by unpickling (running code from the file)"
               if pickles else "it holds no weights file")
        raise ImportFailed(f"{shown}: no model.safetensors; {why}. graft reads safetensors only: convert it with "
                           f"`save_pretrained(..., safe_serialization=True)` where you trust the file")
    return files


def _preprocessing(folder: Path, config: dict, shown: str) -> tuple[dict, int]:
    """(mean/std/resize as the folder's image processor says, else ImageNet's; the side the model expects)."""
    from .import_model import IMAGENET
    prep = {**IMAGENET, "from": "ImageNet defaults"}
    side = config.get("image_size")
    path = folder / "preprocessor_config.json"
    if path.is_file():
        pc = _json(path, shown)
        prep = {"mean": pc.get("image_mean", IMAGENET["mean"]), "std": pc.get("image_std", IMAGENET["std"]),
                "from": "preprocessor_config.json"}
        for key in ("size", "crop_size", "resample", "do_center_crop", "crop_pct"):
            if key in pc:
                prep[key] = pc[key]
        crop = pc.get("crop_size") if pc.get("do_center_crop", True) else None
        size = crop or pc.get("size")
        if side is None and isinstance(size, dict):
            side = size.get("height") or size.get("shortest_edge")
        elif side is None and isinstance(size, int):
            side = size
    side = side if isinstance(side, int) and side > 0 else DEFAULT_SIZE
    return prep, side


def _license(folder: Path) -> str | None:
    readme = folder / "README.md"
    if not readme.is_file() or readme.stat().st_size > CONFIG_LIMIT:
        return None
    m = re.match(r"---\s*\n(.*?)\n---", readme.read_text(encoding="utf-8", errors="replace"), re.S)
    lic = m and re.search(r"^license:\s*['\"]?([^'\"\n]+?)['\"]?\s*$", m.group(1), re.M)
    return lic.group(1) if lic else None


def _build(folder: Path, arch: str, shown: str):
    import transformers
    from torch import nn
    cls_name, output = ARCHITECTURES[arch]
    from transformers.utils import logging
    cls = getattr(transformers, cls_name)
    bars = logging.is_progress_bar_enabled()
    logging.disable_progress_bar()   # its bars would land in the middle of --json output
    try:
        model = cls.from_pretrained(str(folder), local_files_only=True, use_safetensors=True)
    except (OSError, ValueError, RuntimeError) as e:
        raise ImportFailed(f"{shown}: transformers cannot load it as {cls_name}: {str(e).splitlines()[0]}") from e
    finally:
        if bars:
            logging.enable_progress_bar()

    class Output(nn.Module):   # transformers returns a ModelOutput; graft networks end in a tensor
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, x):
            return getattr(self.model(x), output)

    return Output().eval()


def from_hf_folder(folder, name: str, input_shape=None, shown: str | None = None, hub: dict | None = None):
    """(module wrapped to return a tensor, example input, preprocessing, provenance) for a save_pretrained folder."""
    import torch
    folder = Path(folder)
    shown = shown or str(folder)
    if not (folder / "config.json").is_file():
        raise ImportFailed(f"{shown}: a Hugging Face model folder needs config.json; none found")
    config = _json(folder / "config.json", shown)
    arch = architecture(config, shown)
    weights = _weights(folder, shown)
    prep, side = _preprocessing(folder, config, shown)
    shape = tuple(input_shape) if input_shape else (int(config.get("num_channels", 3)), side, side)
    module = _build(folder, arch, shown)
    example = torch.randn(2, *shape, generator=torch.Generator().manual_seed(0))
    files = [folder / "config.json", *weights] + [p for p in (folder / "preprocessor_config.json",
                                                              folder / "README.md") if p.is_file()]
    provenance = {"source": f"Hugging Face folder {shown}", "architecture": arch,
                  "model_type": config.get("model_type"), "revision": None, "license": _license(folder),
                  "files": {p.name: sha256(p) for p in files}, **(hub or {})}
    return module, example, prep, provenance


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def _cache_dir() -> str | None:
    if os.environ.get("HF_HUB_CACHE"):
        return os.environ["HF_HUB_CACHE"]
    return str(Path(os.environ["HF_HOME"]) / "hub") if os.environ.get("HF_HOME") else None


def git_blob_sha1(path: Path) -> str:
    data = path.read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def verify(folder: Path, siblings, reference: str) -> None:
    """Each downloaded safetensors file against the hub's metadata: LFS files by sha256, others by git blob id."""
    meta = {s.rfilename: s for s in siblings}
    for path in sorted(folder.glob("*.safetensors")):
        s = meta.get(path.name)
        lfs = getattr(s, "lfs", None)
        expected = getattr(lfs, "sha256", None) if lfs else None
        found = sha256(path) if expected else git_blob_sha1(path)
        expected = expected or getattr(s, "blob_id", None)
        if not expected:
            raise ImportFailed(f"{reference}: the hub lists no checksum for {path.name}; refusing an unverified file")
        if found != expected:
            raise ImportFailed(f"{reference}: {path.name}: checksum {found} does not match the hub's {expected} "
                               f"(a corrupt or tampered download); delete it from the cache and retry")


def from_hub(reference: str, name: str, input_shape=None):
    m = REFERENCE.match(reference)
    if not m:
        raise ImportFailed(f"{reference}: expected a hub reference hf:ORG/NAME or hf:ORG/NAME@REVISION")
    repo, revision = m.group(1), m.group(2)
    from huggingface_hub import HfApi, snapshot_download
    endpoint, cache = os.environ.get("HF_ENDPOINT") or None, _cache_dir()
    where = (f"{reference}: cannot download it here ({{why}}); download it on a machine that is online "
             f"(`hf download {repo}{' --revision ' + revision if revision else ''} --local-dir DIR`) and import "
             f"the folder: graft import-model DIR --name {name}")
    try:
        folder = Path(snapshot_download(repo, revision=revision, allow_patterns=HUB_FILES, cache_dir=cache,
                                        endpoint=endpoint, local_files_only=_offline()))
    except Exception as e:   # offline, unreachable, unknown repo or revision: huggingface_hub raises many kinds
        why = "HF_HUB_OFFLINE is set and it is not in the local cache" if _offline() else str(e).splitlines()[0]
        raise ImportFailed(where.format(why=why)) from e
    hub = {"source": f"Hugging Face hub {reference}", "repo": repo, "revision": revision or "main",
           "commit": folder.name, "checksums": "not verified (offline, from the local cache)"}
    if not _offline():
        try:
            info = HfApi(endpoint=endpoint).model_info(repo, revision=folder.name, files_metadata=True)
        except Exception as e:
            raise ImportFailed(where.format(why=f"its file checksums: {str(e).splitlines()[0]}")) from e
        verify(folder, info.siblings or [], reference)
        hub["checksums"] = "verified against the hub (sha256 of LFS files, git blob id otherwise)"
        lic = getattr(info.card_data, "license", None) if info.card_data else None
        if lic:
            hub["license"] = lic
    module, example, prep, prov = from_hf_folder(folder, name, input_shape, shown=reference, hub=None)
    return module, example, prep, {**prov, **hub, "license": hub.get("license", prov["license"])}


def from_hf(source, name: str, input_shape=None, shown: str | None = None):
    if str(source).startswith("hf:"):
        return from_hub(str(source), name, input_shape)
    return from_hf_folder(source, name, input_shape, shown=shown)
