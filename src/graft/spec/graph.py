"""Graph operations on valid networks: order, slice a part out, graft a head onto a foundation, list blocks."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from pydantic import ValidationError

from . import dag
from .analyze import HEAD_BLOCK, require_valid
from .issues import Issue, SpecError
from .network import INPUT, InputSpec, NetworkSpec, NodeSpec
from .registry import FOUNDATION
from .schema_issues import pydantic_issues


def predecessors(spec: NetworkSpec) -> dict[str, list[str]]:
    """node id -> the node ids it reads (the network input is left out)."""
    return {n.id: [r for r in n.inputs if r != INPUT] for n in spec.nodes}


def topo_order(spec: NetworkSpec | dict) -> list[str]:
    """Node ids in an order where every node comes after its inputs (ties: document order)."""
    return require_valid(spec)[1].order


def _error(code: str, message: str, **kw: Any) -> SpecError:
    return SpecError([Issue(code, message, **kw)])


def select_nodes(spec: NetworkSpec, keep: list[str] | None = None, start: str | None = None,
                 end: str | None = None, outputs: list[str] | None = None) -> list[str]:
    """The ids to keep, in document order: `keep` as given, or every node on a path from `start` to `end`
    (start defaults to the network input, end to the network output; both ends are included)."""
    ids = [n.id for n in spec.nodes]
    preds = predecessors(spec)
    if keep is not None:
        if start is not None or end is not None:
            raise _error("slice_args", "give either the nodes to keep or start/end, not both", field="keep",
                         expected="keep, or start/end", found={"keep": keep, "start": start, "end": end})
        for i, nid in enumerate(keep):
            if nid not in ids:
                raise _error("unknown_node", f"'{nid}' is not a node of this network", node=nid,
                             field=f"keep.{i}", expected=ids, found=nid)
        chosen = set(keep)
    else:
        for what, nid in (("start", start), ("end", end)):
            if nid is not None and nid not in ids and not (what == "start" and nid == INPUT):
                raise _error("unknown_node", f"{what} '{nid}' is not a node of this network", field=what,
                             expected=ids, found=nid)
        end_ids = [end] if end is not None else (outputs or require_valid(spec)[1].outputs)
        chosen = dag.ancestors(end_ids, preds)
        if start is not None and start != INPUT:
            chosen &= dag.descendants([start], preds)
            if start not in chosen:
                raise _error("slice_args", f"start '{start}' is not upstream of end '{end_ids[0]}'", field="start",
                             expected=f"a node upstream of {end_ids[0]}", found=start)
    if not chosen:
        raise _error("slice_args", "the slice keeps no nodes", field="keep", expected="at least one node", found=[])
    return [i for i in ids if i in chosen]


def slice_network(spec: NetworkSpec | dict, keep: list[str] | None = None, start: str | None = None,
                  end: str | None = None, name: str | None = None) -> NetworkSpec:
    """The kept part as a network of its own: its one external input becomes `input`, with the shape entering it.

    Raises SpecError when the network is invalid, or the part has several external inputs or several outputs."""
    spec, analysis = require_valid(spec)
    kept = select_nodes(spec, keep, start, end, analysis.outputs)
    kept_set = set(kept)
    sources: dict[str, list[str]] = {}    # external source -> kept nodes reading it
    for nid in kept:
        for ref in spec.node(nid).inputs:
            if ref not in kept_set:
                sources.setdefault(ref, []).append(nid)
    if len(sources) != 1:
        readers = sorted({n for ns in sources.values() for n in ns})
        message = ("the kept part must have exactly one input from outside it; it reads " + ", ".join(sources)
                   if sources else "the kept part reads nothing from outside it")
        raise _error("slice_inputs", message, node=readers[0] if readers else None, field="inputs",
                     expected="one external input", found=sources)
    (source,) = sources
    consumed = {r for nid in kept for r in spec.node(nid).inputs}
    outs = [nid for nid in kept if nid not in consumed]
    if len(outs) != 1:
        raise _error("slice_outputs", "the kept part must have exactly one output; these nodes are not consumed "
                     "inside it: " + ", ".join(outs), node=outs[0] if outs else None, field="keep",
                     expected="one output node", found=outs)
    nodes = [spec.node(nid).model_copy(update={"inputs": [INPUT if r == source else r
                                                          for r in spec.node(nid).inputs]})
             for nid in kept]
    part = NetworkSpec(name=name or f"{spec.name}-slice", description=f"{kept[0]} to {kept[-1]} of {spec.name}",
                       input=InputSpec(shape=analysis.shapes[source]), nodes=nodes)
    require_valid(part)
    return part


def graft_network(foundation: NetworkSpec | dict, foundation_ref: Any, head: list[dict | NodeSpec],
                  node_id: str = "base", frozen: bool = True, lr_multiplier: float = 1.0,
                  name: str | None = None, validate: bool = True) -> NetworkSpec:
    """A network whose first node is `foundation` (as a Foundation node `node_id`) followed by `head`.

    A head node without `inputs` reads the node before it (the first reads the foundation)."""
    base, _ = require_valid(foundation)
    nodes = [NodeSpec(id=node_id, type=FOUNDATION, inputs=[INPUT], network=base,
                      params={"ref": foundation_ref, "frozen": frozen, "lr_multiplier": lr_multiplier})]
    for i, raw in enumerate(head):
        try:
            node = raw if isinstance(raw, NodeSpec) else NodeSpec.model_validate(raw)
        except ValidationError as exc:
            where = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else f"head[{i}]"
            raise SpecError(pydantic_issues(exc, node=where, code="schema", model=NodeSpec)) from exc
        if not node.inputs:
            node = node.model_copy(update={"inputs": [nodes[-1].id]})
        nodes.append(node)
    spec = NetworkSpec(name=name or f"{base.name}-graft", input=base.input, nodes=nodes)
    if validate:
        spec, _ = require_valid(spec)
    return spec


@dataclass
class Block:
    name: str                       # a Foundation node id, or "head"
    kind: str                       # "foundation" | "head"
    nodes: list[str]
    frozen: bool = False
    lr_multiplier: float = 1.0
    ref: Any = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def blocks(spec: NetworkSpec) -> list[Block]:
    """Each Foundation node as its own block (state-dict prefix `<id>.`), then `head`: every other node."""
    out, head = [], []
    for n in spec.nodes:
        if n.type == FOUNDATION:
            out.append(Block(n.id, "foundation", [n.id], frozen=bool(n.params.get("frozen", True)),
                             lr_multiplier=float(n.params.get("lr_multiplier", 1.0)), ref=n.params.get("ref")))
        else:
            head.append(n.id)
    if head:
        out.append(Block(HEAD_BLOCK, "head", head))
    return out
