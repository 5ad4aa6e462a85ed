"""Weights as graft registers them: safetensors bytes, and a sha256 per block (each foundation, the rest)."""
from __future__ import annotations

LAYERS_BLOCK = "head"   # everything in a network that is not inside a Foundation node (spec.graph.blocks)


def state_bytes(state: dict) -> bytes:
    """The registered form of a state dict: engine.weights' safetensors bytes, keys in sorted order."""
    from ..engine.weights import weights_bytes

    return weights_bytes(dict(sorted(state.items())))


def tensors_sha256(state: dict) -> str:
    """sha256 of state_bytes: the hash the registry records (engine.weights.state_sha256 is the same function)."""
    from ..engine.weights import state_sha256

    return state_sha256(state)


def split_blocks(state: dict, spec) -> dict[str, dict]:
    """{foundation node id: its tensors with keys relative to the node, "head": the others}."""
    foundation_ids = [n.id for n in spec.nodes if n.type == "Foundation"]
    blocks: dict[str, dict] = {fid: {} for fid in foundation_ids}
    blocks[LAYERS_BLOCK] = {}
    for key, tensor in state.items():
        head, _, rest = key.partition(".")
        if head in blocks and head != LAYERS_BLOCK:
            blocks[head][rest] = tensor
        else:
            blocks[LAYERS_BLOCK][key] = tensor
    return blocks


def block_sha256(state: dict, spec) -> dict[str, str]:
    """The same foundation tensors hash the same in the model they came from and in every graft of them."""
    return {name: tensors_sha256(part) for name, part in split_blocks(state, spec).items() if part}


def load_foundation_weights(ws, model, spec) -> list[dict]:
    """Load each Foundation node's registered weights exactly; returns the foundation records."""
    from ..engine.weights import load_weights

    records = []
    for node in spec.nodes:
        if node.type != "Foundation":
            continue
        record = ws.get_model(node.params["ref"])
        state = load_weights(ws.model_path(record["id"], "weights.safetensors"))
        load_exact(model.get_submodule(node.id), state, node.id)
        records.append(record)
    return records


class WeightsMismatch(ValueError):
    pass


def load_exact(module, state: dict, where: str) -> None:
    """load_state_dict(strict) with an error that lists missing, unexpected and mis-shaped tensors."""
    target = module.state_dict()
    missing = sorted(set(target) - set(state))
    unexpected = sorted(set(state) - set(target))
    mismatched = [f"{k}: expected {list(target[k].shape)}, found {list(state[k].shape)}"
                  for k in sorted(set(target) & set(state)) if target[k].shape != state[k].shape]
    if missing or unexpected or mismatched:
        parts = [f"missing {missing}" if missing else "", f"unexpected {unexpected}" if unexpected else "",
                 f"mis-shaped {mismatched}" if mismatched else ""]
        raise WeightsMismatch(f"{where}: weights do not fit the network: " + "; ".join(p for p in parts if p))
    module.load_state_dict(state, strict=True)
