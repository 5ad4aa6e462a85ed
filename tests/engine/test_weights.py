"""Weights I/O: round trips, hostile safetensors files, pickle payloads, block hashes, state matching."""
from __future__ import annotations

import json
import os
import struct
from collections import OrderedDict

import pytest
import torch

from graft.engine.weights import (
    WeightsError, check_finite, load_torch_state_dict, load_weights, match_state_dict,
    matched_state, save_weights, state_sha256,
)


def raw_file(header, data: bytes = b"", length: int | None = None) -> bytes:
    text = header if isinstance(header, (bytes, str)) else json.dumps(header)
    text = text.encode() if isinstance(text, str) else text
    return struct.pack("<Q", len(text) if length is None else length) + text + data


def f32(shape, begin, end):
    return {"dtype": "F32", "shape": shape, "data_offsets": [begin, end]}


def test_round_trip_keeps_names_dtypes_and_values(tmp_path):
    state = {"conv.weight": torch.randn(4, 1, 3, 3), "bn.num_batches_tracked": torch.tensor(7),
             "fc.bias": torch.randn(10, dtype=torch.float64), "mask": torch.tensor([True, False])}
    loaded = load_weights(save_weights(tmp_path / "w.safetensors", state))
    assert set(loaded) == set(state)
    for k, v in state.items():
        assert loaded[k].dtype == v.dtype and torch.equal(loaded[k], v)


def test_shared_storage_tensors_can_be_saved(tmp_path):
    base = torch.randn(6)
    loaded = load_weights(save_weights(tmp_path / "w.safetensors", {"a": base, "b": base[:3]}))
    assert torch.equal(loaded["b"], base[:3])


HOSTILE = {
    "oversized header": (raw_file(b"{}", length=200 * 1024 * 1024), "exceeds the limit"),
    "header longer than file": (raw_file(b"{}", length=4096), "longer than the file"),
    "too short": (b"\x01\x02", "too short"),
    "non-object JSON": (raw_file([1, 2, 3]), "must be a JSON object, found list"),
    "not JSON": (raw_file(b"{not json"), "not valid UTF-8 JSON"),
    "duplicate keys": (raw_file(b'{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, '
                                b'"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}', b"\0" * 8),
                       "names 'a' twice"),
    "unknown dtype": (raw_file({"a": {"dtype": "F128", "shape": [1], "data_offsets": [0, 16]}}, b"\0" * 16),
                      "unknown dtype 'F128'"),
    "offsets beyond data": (raw_file({"a": f32([4], 0, 16)}, b"\0" * 8), "outside the data area"),
    "size disagrees with shape": (raw_file({"a": f32([4], 0, 8)}, b"\0" * 8), "needs 16 bytes, data_offsets span 8"),
    "overlapping offsets": (raw_file({"a": f32([2], 0, 8), "b": f32([2], 4, 12)}, b"\0" * 12), "overlaps"),
    "gap between tensors": (raw_file({"a": f32([1], 0, 4), "b": f32([1], 8, 12)}, b"\0" * 12), "gap of 4 bytes"),
    "trailing bytes": (raw_file({"a": f32([1], 0, 4)}, b"\0" * 12), "8 trailing bytes"),
    "negative shape": (raw_file({"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, b"\0" * 4),
                       "non-negative integers"),
    "extra entry field": (raw_file({"a": {**f32([1], 0, 4), "code": "x"}}, b"\0" * 4), "exactly dtype"),
    "NaN literal in header": (raw_file(b'{"__metadata__": {"x": NaN}}'), "not valid UTF-8 JSON"),
    "deeply nested header": (raw_file(b"[" * 100000 + b"]" * 100000), "not valid UTF-8 JSON"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_safetensors_is_refused_with_a_clear_message(tmp_path, case):
    data, message = HOSTILE[case]
    path = tmp_path / "bad.safetensors"
    path.write_bytes(data)
    with pytest.raises(WeightsError) as err:
        load_weights(path)
    assert message in str(err.value)
    assert err.value.file == str(path) and str(path) in str(err.value)


def test_missing_file_is_a_weights_error(tmp_path):
    with pytest.raises(WeightsError, match="cannot read"):
        load_weights(tmp_path / "absent.safetensors")


def test_empty_and_zero_size_tensors_are_valid(tmp_path):
    path = tmp_path / "z.safetensors"
    path.write_bytes(raw_file({"a": f32([0], 0, 0), "b": f32([0, 3], 0, 0), "c": f32([1], 0, 4)}, b"\0" * 4))
    assert load_weights(path)["b"].shape == (0, 3)


def test_check_finite_names_nan_and_inf_tensors():
    state = {"ok": torch.ones(3), "nan": torch.tensor([1.0, float("nan")]), "inf": torch.tensor([float("-inf")]),
             "ints": torch.tensor([1, 2])}
    assert sorted(check_finite(state)) == ["inf", "nan"]


class Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_pickle_payload_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    torch.save({"weight": torch.ones(2), "payload": Payload(marker)}, path)
    with pytest.raises(WeightsError, match="refused: the file needs arbitrary unpickling"):
        load_torch_state_dict(path)
    assert not marker.exists()


def test_plain_and_wrapped_state_dicts_load(tmp_path):
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    plain, wrapped = tmp_path / "plain.pt", tmp_path / "ckpt.pth"
    torch.save(model.state_dict(), plain)
    torch.save({"epoch": 3, "state_dict": model.state_dict()}, wrapped)
    for path in (plain, wrapped):
        state = load_torch_state_dict(path)
        assert set(state) == set(model.state_dict())
        assert torch.equal(state["0.weight"], model[0].weight)


def test_pt_that_is_not_a_state_dict_is_refused(tmp_path):
    path = tmp_path / "list.pt"
    torch.save([torch.ones(1)], path)
    with pytest.raises(WeightsError, match="expected a state dict"):
        load_torch_state_dict(path)
    path.write_bytes(b"garbage")
    with pytest.raises(WeightsError, match="not a readable PyTorch file"):
        load_torch_state_dict(path)


def test_state_sha256_ignores_key_order_and_sees_any_change():
    state = {"base.conv.weight": torch.ones(2, 2), "fc.weight": torch.ones(3, 2)}
    assert state_sha256(OrderedDict(reversed(list(state.items())))) == state_sha256(state)
    assert state_sha256(dict(state, **{"fc.weight": torch.full((3, 2), 2.0)})) != state_sha256(state)


def test_match_state_dict_strips_wrapper_prefixes_and_reports_differences():
    target = {"conv1.weight": (4, 1, 3, 3), "conv1.bias": (4,), "fc.weight": (10, 4), "fc.bias": (10,)}
    source = {"module.conv1.weight": torch.zeros(4, 1, 3, 3), "module.conv1.bias": torch.zeros(4),
              "module.fc.weight": torch.zeros(5, 4), "module.extra": torch.zeros(1)}
    report = match_state_dict(target, source)
    assert report["stripped_prefix"] == "module."
    assert report["matched"] == ["conv1.bias", "conv1.weight"]
    assert report["mismatched"] == [{"key": "fc.weight", "expected": [10, 4], "found": [5, 4]}]
    assert report["missing"] == ["fc.bias"]
    assert report["unexpected"] == ["module.extra"]
    json.dumps(report)
    assert set(matched_state(source, report)) == {"conv1.weight", "conv1.bias"}
