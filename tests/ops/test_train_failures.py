"""A run that fails leaves nothing half-written in the registry, and says why."""
import pytest

from graft.engine.train import TrainingDiverged
from graft.ops import train_model
from graft.spec.issues import SpecError
from graft.store import Workspace


def test_diverging_loss_fails_the_run_and_registers_nothing(tmp_path, tiny_cnn, tiny_data):
    ws = Workspace(tmp_path / "ws")
    with pytest.raises(TrainingDiverged) as err:
        train_model(ws, tiny_cnn, tiny_data, {"optimizer": "sgd", "lr": 90.0, "epochs": 3, "schedule": "none",
                                              "batch_size": 20}, progress_bar=False)
    assert "epoch" in str(err.value) and "step" in str(err.value)
    assert ws.list_models() == []
    (run,) = ws.list_runs()
    assert run["status"] == "failed" and "diverged" in run["error"]


def test_invalid_network_fails_before_training_with_every_issue(tmp_path, tiny_cnn, tiny_data):
    ws = Workspace(tmp_path / "ws")
    bad = {**tiny_cnn, "nodes": tiny_cnn["nodes"] + [{"id": "x", "type": "Nope", "inputs": ["ghost"]}]}
    with pytest.raises(SpecError) as err:
        train_model(ws, bad, tiny_data, {"epochs": 1}, progress_bar=False)
    assert {i.code for i in err.value.issues} >= {"unknown_type", "dangling_input"}
    assert ws.list_models() == [] and ws.list_runs()[0]["status"] == "failed"
