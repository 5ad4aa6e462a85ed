"""The analyser: every problem of a network document at once, plus shapes and parameter counts.

analyze() never raises on bad input. A node that is itself broken (bad type, params, inputs) gets no shape, and
the nodes after it skip their shape checks, so one mistake does not cascade into a page of spurious errors.
"""
from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from . import dag
from .issues import Issue, SpecError
from .layers import Layer, Params, Recipe
from .network import INPUT, NETWORK_FORMAT, InputSpec, NetworkSpec, NodeSpec
from .registry import FOUNDATION, REGISTRY, FoundationParams
from .schema_issues import id_issue, jsonable, pydantic_issues

MAX_DEPTH = 8           # foundations inside foundations
MAX_NODES = 5000
HEAD_BLOCK = "head"     # the block name of every non-foundation node (see graph.blocks)


@dataclass
class Analysis:
    ok: bool
    issues: list[Issue]
    shapes: dict[str, list[int]]        # node id (and "input") -> output shape without batch
    params: dict[str, int]              # node id -> parameter count (a Foundation: its whole network)
    total_params: int
    output_shape: list[int] | None      # None unless there is exactly one output with a known shape
    order: list[str]                    # topological order of the nodes that could be ordered
    spec: NetworkSpec | None            # the parsed document (None when it does not parse)
    outputs: list[str] = field(default_factory=list)
    trainable_params: int = 0
    frozen_params: int = 0              # inside frozen Foundation nodes
    recipes: dict[str, Recipe] = field(default_factory=dict)   # layer node id -> its module (the compiler's)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity != "error"]

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "issues": [i.to_dict() for i in self.issues], "shapes": self.shapes,
                "params": self.params, "total_params": self.total_params, "trainable_params": self.trainable_params,
                "frozen_params": self.frozen_params, "output_shape": self.output_shape, "outputs": self.outputs,
                "order": self.order}


@dataclass
class _Node:
    key: str                        # how issues name it: its id, or nodes[i] when the id is unusable
    raw_id: str | None = None
    complete: bool = True           # parsed, embedded network included
    spec: NodeSpec | None = None
    layer: type[Layer] | None = None
    params: Params | None = None
    broken: bool = False            # no shape: its own error is reported, dependents stay quiet
    sub: Analysis | None = None     # a Foundation's embedded network
    recipe: Recipe | None = None


def analyze(doc: Any) -> Analysis:
    """Analyse a network document (dict, NetworkSpec or anything a user might send)."""
    try:
        return _analyze(doc, depth=0)
    except RecursionError:
        return _failed([Issue("too_deep", "the document is nested too deeply", expected=f"at most {MAX_DEPTH}",
                              found="more")])


def require_valid(doc: Any) -> tuple[NetworkSpec, Analysis]:
    """The parsed spec and its analysis; raises SpecError listing the errors when there are any."""
    analysis = analyze(doc)
    if not analysis.ok or analysis.spec is None:
        raise SpecError(analysis.errors)
    return analysis.spec, analysis


def _failed(issues: list[Issue]) -> Analysis:
    return Analysis(False, issues, {}, {}, 0, None, [], None)


def _analyze(doc: Any, depth: int) -> Analysis:
    if isinstance(doc, NetworkSpec):
        doc = doc.model_dump()
    if not isinstance(doc, dict):
        return _failed([Issue("schema", "a network document must be a mapping", field=None,
                              expected="mapping with input and nodes", found=type(doc).__name__)])
    issues: list[Issue] = []
    raw_nodes = doc.get("nodes")
    try:
        top = NetworkSpec.model_validate({**doc, "nodes": []})
    except ValidationError as exc:
        issues += pydantic_issues(exc, node=None, code="schema", model=NetworkSpec)
        top = None
    input_shape = tuple(top.input.shape) if top else _input_shape(doc.get("input"))
    if top and top.format != NETWORK_FORMAT:
        issues.append(Issue("schema", "unsupported document format", field="format", expected=NETWORK_FORMAT,
                            found=jsonable(top.format)))
    parsed = top is not None and isinstance(raw_nodes, list)
    if not isinstance(raw_nodes, list):
        issues.append(Issue("schema", "nodes must be a list", field="nodes", expected="list of nodes",
                            found=type(raw_nodes).__name__ if "nodes" in doc else "nothing"))
        raw_nodes = []
    if len(raw_nodes) > MAX_NODES:
        issues.append(Issue("schema", "too many nodes", field="nodes", expected=f"at most {MAX_NODES}",
                            found=len(raw_nodes)))
        raw_nodes = raw_nodes[:MAX_NODES]
    nodes = [_parse_node(raw, i, depth, issues) for i, raw in enumerate(raw_nodes)]

    graph: dict[str, _Node] = {}         # first node per usable id
    known: set[str] = set()              # every id mentioned, so refs to broken nodes are not "dangling"
    for n in nodes:
        nid = n.spec.id if n.spec else n.raw_id
        if not nid or nid == INPUT:   # a node called input was reported; refs to input mean the network input
            continue
        if nid in known:
            issues.append(Issue("duplicate_id", f"id '{nid}' is used by more than one node", node=nid, field="id",
                                expected="unique ids", found=nid))
            continue
        known.add(nid)
        if n.spec:
            graph[nid] = n
    preds = _check_edges(graph, known, issues)
    ids = list(graph)
    for cyc in dag.cycles(ids, preds):
        issues.append(Issue("cycle", "these nodes form a cycle: " + " -> ".join(cyc + [cyc[0]]), node=cyc[0],
                            field="inputs", expected="no cycles", found=cyc))
    order = dag.kahn_order(ids, preds)

    shapes: dict[str, list[int]] = {}
    if input_shape:
        shapes[INPUT] = list(input_shape)
    params: dict[str, int] = {}
    trainable = frozen = 0
    for nid in order:
        n = graph[nid]
        srcs = [shapes.get(r) for r in n.spec.inputs]
        if n.broken or any(s is None for s in srcs):   # its own or an upstream problem was reported
            continue
        out, count, frz = _infer(n, [tuple(s) for s in srcs], issues)
        if out is not None:
            shapes[nid], params[nid] = list(out), count
            trainable, frozen = trainable + count - frz, frozen + frz

    outputs = _outputs(top, graph, preds, doc, issues)
    output_shape = shapes.get(outputs[0]) if len(outputs) == 1 else None
    total = sum(params.values())
    ok = not any(i.severity == "error" for i in issues)
    spec = _build_spec(doc, nodes) if parsed and all(n.complete for n in nodes) else None
    recipes = {nid: graph[nid].recipe for nid in shapes if nid in graph and graph[nid].recipe is not None}
    return Analysis(ok, issues, shapes, params, total, output_shape, order, spec, outputs, trainable, frozen, recipes)


def _input_shape(raw: Any) -> tuple[int, ...] | None:
    try:
        return tuple(InputSpec.model_validate(raw).shape)
    except ValidationError:
        return None


def _parse_node(raw: Any, index: int, depth: int, issues: list[Issue]) -> _Node:
    raw_id = raw.get("id") if isinstance(raw, dict) else None
    raw_id = raw_id if isinstance(raw_id, str) and raw_id else None
    n = _Node(key=raw_id or f"nodes[{index}]", raw_id=raw_id)
    if not isinstance(raw, dict):
        issues.append(Issue("schema", "a node must be a mapping", node=n.key, expected="mapping with id and type",
                            found=jsonable(raw)))
        n.broken, n.complete = True, False
        return n
    embedded = raw.get("network")
    try:
        spec = NodeSpec.model_validate({**raw, "network": None})
    except ValidationError as exc:
        issues += pydantic_issues(exc, node=n.key, code="schema", model=NodeSpec)
        n.broken, n.complete = True, False
        return n
    if problem := id_issue(spec.id, n.key):
        issues.append(problem)
    if spec.type == FOUNDATION:
        return _parse_foundation(n, spec, embedded, depth, issues)
    if embedded is not None:
        issues.append(Issue("schema", "only Foundation nodes embed a network", node=n.key, field="network",
                            expected="no network", found="a network"))
    n.spec = spec
    n.layer = REGISTRY.get(spec.type)
    if n.layer is None:
        n.broken = True
        close = difflib.get_close_matches(spec.type, [*REGISTRY, FOUNDATION], n=3, cutoff=0.5)
        hint = f"; did you mean {' or '.join(close)}?" if close else ""
        issues.append(Issue("unknown_type", f"unknown layer type '{spec.type}'{hint}", node=n.key, field="type",
                            expected=close or sorted(REGISTRY)[:6] + ["..."], found=spec.type))
        return n
    try:
        n.params = n.layer.parse(spec.params)
    except ValidationError as exc:
        issues += pydantic_issues(exc, node=n.key, code="invalid_param", field_prefix="params", model=n.layer.Params)
        n.broken = True
    _check_count(n, n.layer.min_inputs, n.layer.max_inputs, issues)
    return n


def _parse_foundation(n: _Node, spec: NodeSpec, embedded: Any, depth: int, issues: list[Issue]) -> _Node:
    n.spec = spec
    if spec.id == HEAD_BLOCK:
        issues.append(Issue("reserved_id", "'head' names the non-foundation block; pick another id for a "
                            "Foundation node", node=n.key, field="id", expected="another id", found=spec.id))
    try:
        n.params = FoundationParams.model_validate(spec.params)
    except ValidationError as exc:
        issues += pydantic_issues(exc, node=n.key, code="invalid_param", field_prefix="params",
                                  model=FoundationParams)
        n.broken = True
    _check_count(n, 1, 1, issues)
    if embedded is None:
        ref = spec.params.get("ref")
        issues.append(Issue("unresolved_foundation", "this Foundation node has no embedded network yet; resolve its "
                            "ref against the registry first", node=n.key, field="network",
                            expected="an embedded network", found=jsonable(ref)))
        n.broken = True
        return n
    if depth + 1 > MAX_DEPTH:
        issues.append(Issue("too_deep", "foundations are nested too deeply", node=n.key, field="network",
                            expected=f"at most {MAX_DEPTH} levels", found=depth + 1))
        n.broken = True
        return n
    n.sub = _analyze(embedded, depth + 1)
    for i in n.sub.issues:
        inner = dataclasses.replace(i, node=f"{n.key}.{i.node}") if i.node else \
            dataclasses.replace(i, node=n.key, field="network" + (f".{i.field}" if i.field else ""))
        issues.append(inner)
    if not n.sub.ok:
        n.broken = True
    elif n.sub.output_shape is None:
        issues.append(Issue("foundation_output", "the embedded network must have exactly one output", node=n.key,
                            field="network.outputs", expected="one output", found=n.sub.outputs))
        n.broken = True
    if n.sub.spec is not None:
        n.spec = spec.model_copy(update={"network": n.sub.spec})
    else:
        n.complete = False
    return n


def _check_count(n: _Node, lo: int, hi: int | None, issues: list[Issue]) -> None:
    count = len(n.spec.inputs)
    if count < lo or (hi is not None and count > hi):
        want = str(lo) if lo == hi else (f"at least {lo}" if hi is None else f"{lo} to {hi}")
        got = ", ".join(n.spec.inputs) or "none"
        noun = "input" if want == "1" else "inputs"
        issues.append(Issue("input_count", f"node {n.key} ({n.spec.type}) takes {want} {noun}; it has {count} "
                            f"({got})", node=n.key, field="inputs",
                            expected=want, found=count))
        n.broken = True


def _check_edges(graph: dict[str, _Node], known: set[str], issues: list[Issue]) -> dict[str, list[str]]:
    preds: dict[str, list[str]] = {}
    for nid, n in graph.items():
        preds[nid] = [r for r in n.spec.inputs if r in graph]
        for port, ref in enumerate(n.spec.inputs):
            if ref != INPUT and ref not in known:
                close = difflib.get_close_matches(ref, [INPUT, *known], n=3, cutoff=0.5)
                hint = f"; did you mean {' or '.join(close)}?" if close else ""
                issues.append(Issue("dangling_input", f"input {port} refers to '{ref}', which is not a node{hint}",
                                    node=nid, port=port, field="inputs", expected=close or "input or a node id",
                                    found=ref))
    return preds


def _infer(n: _Node, srcs: list[tuple[int, ...]], issues: list[Issue]) -> tuple[tuple | None, int, int]:
    """(output shape, parameter count, how many of them are frozen), or (None, 0, 0) after an issue."""
    if n.sub is not None:
        want = tuple(n.sub.shapes.get(INPUT, ()))
        if srcs[0] != want:
            issues.append(Issue("shape_mismatch", "the input shape differs from the foundation's input shape",
                                node=n.key, port=0, expected=list(want), found=list(srcs[0])))
            return None, 0, 0
        total = n.sub.total_params
        return tuple(n.sub.output_shape), total, total if n.params.frozen else n.sub.frozen_params
    try:
        out, count = tuple(n.layer.infer(n.params, srcs)), n.layer.param_count(n.params, srcs)
        n.recipe = n.layer.recipe(n.params, srcs)
        return out, count, 0
    except Exception as exc:   # ShapeError carries port/expected/found; anything else is a layer bug
        issues.append(Issue("shape_mismatch", getattr(exc, "message", str(exc)), node=n.key,
                            port=getattr(exc, "port", None), field=getattr(exc, "field", None),
                            expected=jsonable(getattr(exc, "expected", None)),
                            found=jsonable(getattr(exc, "found", None))))
        return None, 0, 0


def _outputs(top: NetworkSpec | None, graph: dict[str, _Node], preds: dict[str, list[str]], doc: dict,
             issues: list[Issue]) -> list[str]:
    if not graph:
        if isinstance(doc.get("nodes"), list) and not doc["nodes"]:
            issues.append(Issue("empty_network", "the network has no nodes", field="nodes",
                                expected="at least one node", found=0))
        return []
    declared = top.outputs if top else None
    if declared is None:
        consumed = {p for ps in preds.values() for p in ps}
        sinks = [nid for nid in graph if nid not in consumed]
        if len(sinks) > 1:
            issues.append(Issue("multiple_outputs", "more than one node is not consumed by any other; connect them "
                                "or list the network's `outputs`", field="outputs", expected="one output node",
                                found=sinks))
        return sinks
    outputs = []
    for i, out in enumerate(declared):
        if out not in graph:
            issues.append(Issue("dangling_output", f"output '{out}' is not a node", field=f"outputs.{i}",
                                expected="a node id", found=out))
        elif out in outputs:
            issues.append(Issue("schema", f"output '{out}' is listed twice", field=f"outputs.{i}",
                                expected="distinct outputs", found=out))
        else:
            outputs.append(out)
    if not declared:
        issues.append(Issue("schema", "outputs is empty", field="outputs", expected="at least one node id", found=[]))
    used = dag.ancestors(outputs, preds)
    for nid in graph:
        if nid not in used:
            issues.append(Issue("unused_node", "this node does not lead to any output", node=nid,
                                expected="a path to an output", found="none", severity="warning"))
    return outputs


def _build_spec(doc: dict, nodes: list[_Node]) -> NetworkSpec | None:
    try:
        return NetworkSpec.model_validate({**doc, "nodes": []}).model_copy(update={"nodes": [n.spec for n in nodes]})
    except ValidationError:
        return None
