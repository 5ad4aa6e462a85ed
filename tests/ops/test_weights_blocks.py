"""ops.weights.block_sha256: the registry's per-block hashes."""
import torch

from graft.ops.weights import block_sha256, tensors_sha256
from graft.spec.network import NetworkSpec


def spec():
    return NetworkSpec.model_validate({"input": {"shape": [2]}, "nodes": [
        {"id": "base", "type": "Foundation", "network": {"input": {"shape": [2]}, "nodes": [
            {"id": "conv", "type": "Linear", "params": {"out_features": 2}, "inputs": ["input"]}]},
         "params": {"ref": "fnd-000000000000"}, "inputs": ["input"]},
        {"id": "fc", "type": "Linear", "params": {"out_features": 3}, "inputs": ["base"]}]})


def test_a_block_hash_changes_only_with_its_block_and_a_foundation_hashes_as_it_did_alone():
    state = {"base.conv.weight": torch.ones(2, 2), "base.conv.bias": torch.zeros(2),
             "fc.weight": torch.ones(3, 2), "fc.bias": torch.zeros(3)}
    before = block_sha256(state, spec())
    assert set(before) == {"base", "head"}
    after = block_sha256(dict(state, **{"fc.weight": torch.full((3, 2), 2.0)}), spec())
    assert after["base"] == before["base"] and after["head"] != before["head"]
    alone = {"conv.weight": torch.ones(2, 2), "conv.bias": torch.zeros(2)}   # the foundation's own keys
    assert before["base"] == tensors_sha256(alone)
