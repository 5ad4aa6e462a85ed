"""Turn a network document as a user wrote it into a complete, valid NetworkSpec.

A user refers to a foundation by id (`params.ref: fnd-…`) or by template name (`{template: example-cnn}` as the
whole network). Resolving embeds the foundation's own network in its node, so that shape inference stays pure
and the document is self-contained.
"""
from __future__ import annotations

import copy
from typing import Any

from ..spec.analyze import Analysis, require_valid
from ..spec.templates import get_template


def network_document(network: Any) -> dict:
    """A network given inline (a mapping) or as {template: NAME}."""
    if isinstance(network, dict) and set(network) == {"template"}:
        return copy.deepcopy(get_template(network["template"]))
    if not isinstance(network, dict):
        raise ValueError(f"network: expected a mapping or {{template: NAME}}, found {type(network).__name__}")
    return copy.deepcopy(network)


def resolve_foundations(ws, doc: dict) -> dict:
    """Fill `network` of every Foundation node from the registry (refs must be ids by now)."""
    doc = copy.deepcopy(doc)
    nodes = doc.get("nodes")
    for node in nodes if isinstance(nodes, list) else []:   # a malformed document: the analysis names it
        if not isinstance(node, dict) or node.get("type") != "Foundation":
            continue
        ref = node.get("params", {}).get("ref")
        if isinstance(ref, dict) and set(ref) == {"id"}:
            ref = node["params"]["ref"] = ref["id"]
        if isinstance(ref, str) and node.get("network") is None:
            record = ws.get_model(ref)
            node["network"] = record["spec"]
    return doc


def prepare_network(ws, network: Any) -> tuple[Any, Analysis]:
    """Document -> (NetworkSpec, Analysis), raising SpecError with every issue if it is not valid."""
    return require_valid(resolve_foundations(ws, network_document(network)))
