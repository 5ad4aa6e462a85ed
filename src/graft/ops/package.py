"""Portable model packages (`.graft`): share a model without sharing its data.

A package is a zip holding exactly five members:
  weights.safetensors  the model's tensors (a grafted model's foundation tensors included)
  spec.json            the network, Foundation nodes embedded, so it loads without its parents
  card.json            what the model is: purpose, metrics, data fingerprint and stats (never the data),
                       hyperparameters, lineage (ancestors' ids, names, hashes), library versions, block hashes
  MODEL_CARD.md        the card as Markdown
  manifest.json        format and the sha256 and size of every other member

Importing treats the file as hostile: it refuses unknown, missing or duplicate members and folder names, checks
every declared size before reading, verifies every hash, validates the spec, loads the weights through the
validating safetensors reader into the compiled network (strict), and never unpickles anything.
"""
from __future__ import annotations

import hashlib
import io
import json
import math
import zipfile
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..spec.analyze import require_valid
from .weights import block_sha256, load_exact, tensors_sha256

PACKAGE_FORMAT = "graft.package/v1"
CARD_FORMAT = "graft.card/v1"
WEIGHTS, SPEC, CARD, CARD_MD, MANIFEST = ("weights.safetensors", "spec.json", "card.json", "MODEL_CARD.md",
                                          "manifest.json")
MEMBERS = (WEIGHTS, SPEC, CARD, CARD_MD, MANIFEST)
# uncompressed size limits, checked against the zip directory before a byte is read
MAX_SIZES = {WEIGHTS: 2 << 30, SPEC: 16 << 20, CARD: 16 << 20, CARD_MD: 4 << 20, MANIFEST: 64 << 10}
CARD_FIELDS = ("kind", "name", "description", "created_at", "parent_id", "foundation_ids", "dataset",
               "data_fingerprint", "data_stats", "hparams", "metrics", "versions", "block_sha256", "weights_sha256",
               "params", "input_shape", "output_shape", "tasks", "outputs", "output_shapes")


class PackageError(ValueError):
    """A package that cannot be imported: names the package and the member, and what is wrong."""

    def __init__(self, package: str, problem: str, member: str | None = None):
        self.package, self.member, self.problem = package, member, problem
        where = f"{package}: {member}" if member else package
        super().__init__(f"{where}: {problem}")


class LineageEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    name: str
    kind: str
    relation: str = "ancestor"
    weights_sha256: str | None = None
    block_sha256: dict[str, str] = Field(default_factory=dict)


class Card(BaseModel):
    """card.json as an importer accepts it (everything else in a card is refused)."""
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    format: Literal["graft.card/v1"] = CARD_FORMAT
    id: str = Field(pattern=r"^(mdl|fnd)-[0-9a-f]{12}$")
    kind: Literal["model", "foundation"]
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=10_000)
    created_at: str | None = None
    parent_id: str | None = None
    foundation_ids: list[str] = Field(default_factory=list)
    dataset: dict[str, Any] | None = None
    data_fingerprint: str | None = None
    data_stats: dict[str, Any] | None = None
    hparams: dict[str, Any] = Field(default_factory=dict)
    metrics: dict[str, Any] = Field(default_factory=dict)
    versions: dict[str, str] | None = None
    block_sha256: dict[str, str] = Field(default_factory=dict)
    weights_sha256: str | None = None
    params: int | None = None
    input_shape: list[int] | None = None
    output_shape: list[int] | None = None
    tasks: list[dict[str, Any]] | None = Field(default=None, max_length=32)   # several heads: one task each
    outputs: list[str] | None = Field(default=None, max_length=32)
    output_shapes: dict[str, list[int] | None] | None = None
    lineage: list[LineageEntry] = Field(default_factory=list)
    imported_from: list[str] = Field(default_factory=list)   # ids this model had in earlier workspaces


# ---------------------------------------------------------------- the card

def _lineage(ws, record: dict) -> list[dict]:
    entries = [{"id": a["id"], "name": a["name"], "kind": a["kind"], "relation": "ancestor",
                "weights_sha256": a.get("weights_sha256"), "block_sha256": a.get("block_sha256") or {}}
               for a in ws.ancestors(record["id"])]
    seen = {e["id"] for e in entries}
    # an imported model's ancestors stayed behind in the workspace it came from: keep what its card said
    for e in (record.get("imported") or {}).get("lineage", []):
        if e["id"] not in seen:
            entries.append(e)
            seen.add(e["id"])
    return entries


def model_card(ws, model_id: str) -> dict:
    """The card of a registered model: everything about it a colleague may see, never its data."""
    record = ws.get_model(model_id)
    card = {"format": CARD_FORMAT, "id": record["id"]}
    card.update({k: record.get(k) for k in CARD_FIELDS if record.get(k) is not None})
    card["lineage"] = _lineage(ws, record)
    imported = record.get("imported") or {}
    card["imported_from"] = [*imported.get("imported_from", []), imported["original_id"]] if imported else []
    return Card.model_validate(card).model_dump(mode="json", exclude_none=True)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}" if math.isfinite(value) else str(value)
    return "-" if value is None else str(value)


def card_markdown(card: dict) -> str:
    """The card as a readable Markdown page (MODEL_CARD.md)."""
    lines = [f"# {card['name']}", "", card.get("description") or "_No description._", "",
             "| | |", "|---|---|", f"| id | `{card['id']}` |", f"| kind | {card['kind']} |",
             f"| parameters | {_fmt(card.get('params'))} |",
             f"| input shape | {card.get('input_shape')} |", f"| output shape | {card.get('output_shape')} |",
             f"| created | {_fmt(card.get('created_at'))} |"]
    if card.get("imported_from"):
        lines.append(f"| earlier ids | {', '.join(card['imported_from'])} |")
    if card.get("tasks"):
        lines += ["", "## Heads", "", "| head | output | data | train accuracy |", "|---|---|---|---|"]
        per_task = card.get("metrics", {}).get("tasks") or {}
        for t in card["tasks"]:
            data = (t.get("data") or {}).get("dataset")
            lines.append(f"| {t.get('name')} | `{t.get('output')}` | {data} | "
                         f"{_fmt((per_task.get(t.get('name')) or {}).get('accuracy'))} |")
    metrics = {k: v for k, v in card.get("metrics", {}).items() if not isinstance(v, (list, dict))}
    if metrics:
        lines += ["", "## Metrics", "", "| metric | value |", "|---|---|"]
        lines += [f"| {k} | {_fmt(v)} |" for k, v in sorted(metrics.items())]
    stats = card.get("data_stats") or {}
    lines += ["", "## Training data", "", "Only a description of the data travels with the model, never the data.",
              "", f"- data set: `{json.dumps(card.get('dataset'))}`",
              f"- fingerprint (sha256): `{card.get('data_fingerprint') or '-'}`"]
    for key in ("size", "shape", "classes", "counts", "mean", "std"):
        if key in stats:
            lines.append(f"- {key}: {stats[key]}")
    hp = {k: v for k, v in card.get("hparams", {}).items() if k != "source_hparams"}
    if hp:
        lines += ["", "## Hyperparameters", "", "| name | value |", "|---|---|"]
        lines += [f"| {k} | {json.dumps(v)} |" for k, v in sorted(hp.items())]
    lines += ["", "## Weights", "", f"- all tensors: `{card.get('weights_sha256') or '-'}`"]
    lines += [f"- block `{k}`: `{v}`" for k, v in sorted(card.get("block_sha256", {}).items())]
    lines += ["", "## Lineage", ""]
    lines += [f"- {e['kind']} `{e['id']}` {e['name']} (weights `{(e.get('weights_sha256') or '-')[:16]}`)"
              for e in card.get("lineage", [])] or ["- none: trained from scratch"]
    if card.get("versions"):
        lines += ["", "## Versions", ""] + [f"- {k} {v}" for k, v in sorted(card["versions"].items())]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- export

def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def export_package(ws, model_id: str) -> bytes:
    """The `.graft` package of a registered model, as bytes."""
    card = model_card(ws, model_id)
    record = ws.get_model(model_id)
    members = {WEIGHTS: ws.model_path(record["id"], WEIGHTS).read_bytes(),
               SPEC: json.dumps(record["spec"], indent=1, sort_keys=True).encode(),
               CARD: json.dumps(card, indent=1, sort_keys=True).encode(),
               CARD_MD: card_markdown(card).encode()}
    manifest = {"format": PACKAGE_FORMAT,
                "files": {name: {"sha256": _sha256(data), "size": len(data)} for name, data in members.items()}}
    members[MANIFEST] = json.dumps(manifest, indent=1, sort_keys=True).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in MEMBERS:
            zf.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), members[name],
                        compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


# ---------------------------------------------------------------- import

def _read_members(source: bytes | str | Path, label: str) -> dict[str, bytes]:
    try:
        zf = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise PackageError(label, f"not a readable zip file ({e})") from None
    with zf:
        infos = zf.infolist()
        names = [i.filename for i in infos]
        for name in names:
            if name not in MEMBERS:
                unsafe = "/" in name or "\\" in name or name.startswith(".")
                raise PackageError(label, ("refused: a path, not a plain member name" if unsafe else
                                           "unknown member") + f" (expected exactly {', '.join(MEMBERS)})", name)
        if len(names) != len(set(names)):
            dup = sorted({n for n in names if names.count(n) > 1})
            raise PackageError(label, f"member(s) stored twice: {', '.join(dup)}")
        missing = [m for m in MEMBERS if m not in names]
        if missing:
            raise PackageError(label, f"missing member(s): {', '.join(missing)}")
        for info in infos:
            limit = MAX_SIZES[info.filename]
            if info.file_size > limit:
                raise PackageError(label, f"{info.file_size} bytes exceeds the limit of {limit} bytes", info.filename)
            if info.flag_bits & 0x1:
                raise PackageError(label, "encrypted members are not accepted", info.filename)
        out = {}
        for info in infos:
            try:
                with zf.open(info) as f:
                    data = f.read(MAX_SIZES[info.filename] + 1)
            except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError, RuntimeError) as e:
                raise PackageError(label, f"cannot be read ({e})", info.filename) from None
            if len(data) > MAX_SIZES[info.filename]:
                raise PackageError(label, "larger than its declared size", info.filename)
            out[info.filename] = data
    return out


def _json(data: bytes, label: str, member: str) -> Any:
    def no_constants(name: str) -> Any:
        raise ValueError(f"{name} is not valid JSON")
    try:
        return json.loads(data.decode("utf-8"), parse_constant=no_constants)
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise PackageError(label, f"not valid UTF-8 JSON ({e})", member) from None


def _verify_manifest(members: dict[str, bytes], label: str) -> None:
    manifest = _json(members[MANIFEST], label, MANIFEST)
    if not isinstance(manifest, dict) or manifest.get("format") != PACKAGE_FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else type(manifest).__name__
        raise PackageError(label, f"format: expected {PACKAGE_FORMAT!r}, found {found!r:.80}", MANIFEST)
    files = manifest.get("files")
    expected = set(MEMBERS) - {MANIFEST}
    if not isinstance(files, dict) or set(files) != expected:
        listed = sorted(files) if isinstance(files, dict) else files
        raise PackageError(label, f"files: expected exactly {sorted(expected)}, found {listed!r:.200}", MANIFEST)
    for name in sorted(expected):
        entry = files[name]
        want = entry.get("sha256") if isinstance(entry, dict) else None
        found = _sha256(members[name])
        if want != found:
            raise PackageError(label, f"sha256 mismatch: the manifest says {want!r:.80}, the member hashes to "
                                      f"{found}", name)


def _check_normalization(hparams: dict, label: str) -> None:
    norm = hparams.get("normalization")
    if norm is None:
        return

    def numbers(v) -> list | None:   # one number, or one per channel (1 to 4)
        v = v if isinstance(v, list) and 1 <= len(v) <= 4 else [v]
        ok = all(isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in v)
        return v if ok else None
    mean, std = (numbers(norm.get(k)) if isinstance(norm, dict) else None for k in ("mean", "std"))
    ok = (isinstance(norm, dict) and set(norm) == {"mean", "std"} and mean is not None and std is not None
          and isinstance(norm["mean"], list) == isinstance(norm["std"], list) and len(mean) == len(std)
          and all(x > 0 for x in std))
    if not ok:
        raise PackageError(label, f"hparams.normalization: expected {{mean: number, std: number > 0}} or one number "
                                  f"per channel for each, found {norm!r:.120}", CARD)


def _links(ws, card: Card) -> tuple[str | None, list[str]]:
    """Parent and foundation ids that this workspace holds with the same weights (e.g. shared earlier)."""
    hashes = {e.id: e.weights_sha256 for e in card.lineage}

    def here(id_: str | None) -> bool:
        if id_ is None or hashes.get(id_) is None:
            return False
        try:
            return ws.get_model(id_).get("weights_sha256") == hashes[id_]
        except KeyError:
            return False
    return (card.parent_id if here(card.parent_id) else None), [f for f in card.foundation_ids if here(f)]


def import_package(ws, source: bytes | str | Path, name: str | None = None) -> dict:
    """Register the model in a `.graft` package (a path or its bytes) as a new model; returns its record."""
    from safetensors.torch import load as st_load

    from ..engine.compile import compile_network
    from ..engine.weights import WeightsError, validate_safetensors
    from ..spec.issues import SpecError

    label = "package" if isinstance(source, bytes) else Path(source).name
    if not isinstance(source, bytes) and not Path(source).is_file():
        raise FileNotFoundError(f"{source}: no such file")
    members = _read_members(source, label)
    _verify_manifest(members, label)
    try:
        card = Card.model_validate(_json(members[CARD], label, CARD))
    except ValidationError as e:
        first = e.errors()[0]
        raise PackageError(label, f"{'.'.join(map(str, first['loc']))}: {first['msg']} "
                                  f"(found {first.get('input')!r:.80})", CARD) from None
    _check_normalization(card.hparams, label)
    try:
        spec, analysis = require_valid(_json(members[SPEC], label, SPEC))
    except SpecError as e:
        raise PackageError(label, "the network is not valid: " + "; ".join(map(str, e.issues[:5])), SPEC) from None
    try:
        validate_safetensors(members[WEIGHTS], f"{label}: {WEIGHTS}")
        state = dict(st_load(members[WEIGHTS]))
    except WeightsError:
        raise
    except Exception as e:
        raise PackageError(label, f"safetensors refused the weights: {e}", WEIGHTS) from None
    module = compile_network(spec, analysis)
    load_exact(module, state, f"{label}: {WEIGHTS}")
    found = {"foundation": tensors_sha256(state)} if card.kind == "foundation" else block_sha256(state, spec)
    for block, want in card.block_sha256.items():
        if found.get(block) != want:
            raise PackageError(label, f"block {block!r}: the card says sha256 {want}, the weights hash to "
                                      f"{found.get(block)}", CARD)
    parent_id, foundation_ids = _links(ws, card)
    record = {k: getattr(card, k) for k in ("kind", "description", "dataset", "data_fingerprint", "data_stats",
                                            "hparams", "metrics", "versions")}
    if len(analysis.outputs) > 1:     # several heads: their tasks as the card tells, outputs from the network
        record.update({"tasks": card.tasks or [], "outputs": list(analysis.outputs),
                       "output_shapes": {o: analysis.shapes.get(o) for o in analysis.outputs}})
    record.update({
        "name": name or card.name,
        "spec": spec.model_dump(mode="json", exclude_none=True),
        "parent_id": parent_id,
        "foundation_ids": foundation_ids,
        "block_sha256": found,
        "weights_sha256": tensors_sha256(state),
        "params": analysis.total_params,
        "input_shape": list(spec.input.shape),
        "output_shape": analysis.output_shape,
        "imported": {"original_id": card.id, "original_name": card.name, "created_at": card.created_at,
                     "imported_from": card.imported_from, "package_sha256": _sha256(members[MANIFEST]),
                     "lineage": [e.model_dump() for e in card.lineage]},
    })
    files = {WEIGHTS: members[WEIGHTS], SPEC: json.dumps(record["spec"], indent=1).encode()}
    return ws.register_model(record, files)
