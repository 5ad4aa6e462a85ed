"""Bring your own foundation: weights trained elsewhere, matched to a network by tensor name and shape.

A `.safetensors` file is validated before it is trusted; a `.pt`/`.pth` file is read with torch's weights-only
unpickler, so a file whose pickle would import or call anything is refused before any of it runs.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from .networks import prepare_network
from .weights import load_exact, state_bytes, tensors_sha256

SAFETENSORS = (".safetensors",)
PYTORCH = (".pt", ".pth", ".bin")


class ImportRefused(ValueError):
    """The weights do not fit the network; `report` says which tensors matched, were missing or mis-shaped."""

    def __init__(self, message: str, report: dict):
        self.report = report
        super().__init__(message)


def read_state(path: Path) -> tuple[dict, str]:
    from ..engine.weights import WeightsError, load_torch_state_dict, load_weights

    suffix = path.suffix.lower()
    if suffix in SAFETENSORS:
        return load_weights(path), "safetensors"
    if suffix in PYTORCH:
        return load_torch_state_dict(path), "pytorch"
    raise WeightsError(path, f"unknown weights format {suffix or '(no suffix)'!r}: expected "
                             f"{', '.join(SAFETENSORS + PYTORCH)}")


def format_report(report: dict) -> str:
    lines = [f"matched    {len(report['matched'])} tensor(s)"]
    for key in ("missing", "unexpected"):
        if report[key]:
            lines.append(f"{key:<10} {len(report[key])}: {', '.join(report[key][:8])}"
                         + (" ..." if len(report[key]) > 8 else ""))
    for m in report["mismatched"]:
        lines.append(f"mis-shaped {m['key']}: expected {m['expected']}, found {m['found']}")
    if report.get("stripped_prefix"):
        lines.append(f"(the prefix {report['stripped_prefix']!r} was removed from the file's names)")
    return "\n".join(lines)


def import_weights(ws, weights_path: str | Path, spec_doc: Any, name: str, *, kind: str = "foundation",
                   allow_missing: bool = False, normalization: dict | None = None,
                   description: str = "", extra: dict | None = None) -> tuple[dict, dict]:
    """Register `spec_doc` with the weights of `weights_path`; returns (record, match report).

    Tensors are matched by name (after removing a wrapper prefix such as `module.`) and shape. Refused
    (ImportRefused) when nothing matches, a shape differs, or - unless `allow_missing` - the network has
    tensors the file lacks (they would stay randomly initialised). Tensors the network does not use are
    reported as unexpected and dropped.
    """
    from ..engine.compile import compile_network
    from ..engine.weights import check_finite, match_state_dict, matched_state

    if kind not in ("foundation", "model"):
        raise ValueError(f"kind: expected 'foundation' or 'model', found {kind!r}")
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"name: expected a non-empty name, found {name!r}")
    path = Path(weights_path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    spec, analysis = prepare_network(ws, spec_doc)
    module = compile_network(spec, analysis)
    target = module.state_dict()
    source, fmt = read_state(path)
    report = match_state_dict({k: tuple(v.shape) for k, v in target.items()}, source)
    where = f"{path.name} for network {spec.name!r}"
    if not report["matched"]:
        raise ImportRefused(f"{where}: no tensor matches by name and shape (the network expects e.g. "
                            f"{', '.join(list(target)[:3])}; the file has e.g. {', '.join(list(source)[:3])})",
                            report)
    if report["mismatched"]:
        m = report["mismatched"][0]
        raise ImportRefused(f"{where}: {len(report['mismatched'])} tensor(s) have the wrong shape, e.g. {m['key']}: "
                            f"expected {m['expected']}, found {m['found']}", report)
    if report["missing"] and not allow_missing:
        raise ImportRefused(f"{where}: the file lacks {len(report['missing'])} tensor(s) of the network, e.g. "
                            f"{report['missing'][0]} (allow_missing keeps fresh weights for them)", report)
    matched = matched_state(source, report)
    bad = check_finite(matched)
    if bad:
        raise ImportRefused(f"{where}: tensor(s) hold NaN or infinity: {', '.join(bad[:5])}", report)
    state = {k: v.detach().cpu().contiguous() for k, v in target.items()}
    state.update({k: v.to(dtype=target[k].dtype).contiguous() for k, v in matched.items()})
    load_exact(module, state, where)
    digest = tensors_sha256(state)
    if kind == "foundation":
        blocks = {"foundation": digest}
    else:
        from .weights import block_sha256
        blocks = block_sha256(state, spec)
    record = {
        "kind": kind, "name": name,
        "description": description or f"weights imported from {path.name} ({fmt})",
        "spec": spec.model_dump(mode="json", exclude_none=True),
        "hparams": {"normalization": normalization},
        "block_sha256": blocks, "weights_sha256": digest,
        "params": analysis.total_params, "input_shape": list(spec.input.shape),
        "output_shape": analysis.output_shape,
        "source": {"file": path.name, "format": fmt, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()},
        "import_report": report,
    }
    record.update(extra or {})   # fields an importer adds or replaces (e.g. provenance in hparams, source)
    files = {"weights.safetensors": state_bytes(state), "spec.json": spec.model_dump_json(indent=1).encode()}
    return ws.register_model(record, files), report
