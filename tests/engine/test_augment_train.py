"""Augmentation as data: a train step's `augment` ops, seeded by the run's seed, on training batches only."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch

from graft.engine.compile import compile_network
from graft.engine.features import FeatureCache
from graft.engine.train import train
from graft.ops.weights import tensors_sha256
from graft.spec.issues import SpecError
from graft.workflow import parse_workflow

ALL = [{"random_crop": {"padding": 2}}, {"flip": True}, {"rotate": 10}, {"color_jitter": 0.2}, {"noise": 0.05}]


def trained_hash(nets, data, **hp) -> str:
    torch.manual_seed(0)
    model = compile_network(nets.small_cnn())
    train(model, data, hparams={**nets.fast, "device": "cpu", "precision": "fp32", **hp})
    return tensors_sha256({k: v.detach().contiguous() for k, v in model.state_dict().items()})


def test_augmented_training_is_reproducible_and_seeded(nets, train_small):
    once, twice = trained_hash(nets, train_small, augment=ALL), trained_hash(nets, train_small, augment=ALL)
    assert once == twice
    assert trained_hash(nets, train_small, augment=ALL, seed=1) != trained_hash(nets, train_small, seed=1)
    assert once != trained_hash(nets, train_small)   # the ops did change what the network saw
    # the seed moves the augmentation's draws too, not only the initial weights and the sample order
    torch.manual_seed(0)
    a = compile_network(nets.small_cnn())
    b = compile_network(nets.small_cnn())
    b.load_state_dict(a.state_dict())
    from graft.engine.augment import BatchAugment

    x = torch.zeros(4, 1, 28, 28)
    x[:, :, 10:18, 10:18] = 1
    first, other = BatchAugment(ALL, 28, 0, 0.0), BatchAugment(ALL, 28, 1, 0.0)
    first.begin_epoch(0), other.begin_epoch(0)
    assert not torch.equal(first(x), other(x))


def test_evaluation_batches_are_never_augmented(nets, train_small, test_small):
    # a learning rate too small to move the weights: the validation figures are those of the initial network,
    # unaugmented, while the training batches (noise of 5 standard deviations) are a different picture (no
    # BatchNorm: its running statistics would carry the training batches' noise into evaluation)
    hp = {"lr": 1e-9, "schedule": "none", "augment": [{"noise": 5.0}]}
    torch.manual_seed(0)
    noisy = train(compile_network(nets.small_cnn(bn=False)), train_small, test_small, {**nets.fast, **hp}).history[-1]
    torch.manual_seed(0)
    plain = train(compile_network(nets.small_cnn(bn=False)), train_small, test_small,
                  {**nets.fast, **hp, "augment": []}).history[-1]
    assert noisy["val_loss"] == pytest.approx(plain["val_loss"], abs=1e-5)
    assert noisy["val_accuracy"] == plain["val_accuracy"]
    assert abs(noisy["train_loss"] - plain["train_loss"]) > 1e-2


def test_augmenting_a_frozen_foundations_input_turns_the_feature_cache_off(nets, train_small):
    torch.manual_seed(0)
    model = compile_network(nets.grafted(nets.foundation_of(nets.small_cnn())))
    base = {k: v.clone() for k, v in model.base.state_dict().items()}
    result = train(model, train_small, hparams={**nets.fast, "augment": [{"flip": True}]},
                   feature_cache=FeatureCache())
    assert result.feature_cache == "off: augmentation"
    assert all(torch.equal(base[k], v) for k, v in model.base.state_dict().items())   # still frozen
    assert train(model, train_small, hparams=nets.fast, feature_cache=FeatureCache()).feature_cache == "miss"


def test_an_unknown_op_names_the_field_and_the_ops(tmp_path):
    doc = {"steps": [{"name": "net", "kind": "train", "network": {"template": "mlp"}, "augment": [{"blur": 1}]}]}
    with pytest.raises(SpecError) as err:
        parse_workflow(doc)
    text = str(err.value.issues[0])
    assert "augment" in text and "blur" in text and "random_crop, flip, rotate, color_jitter, noise" in text
    net = tmp_path / "net.json"
    net.write_text(json.dumps({"template": "mlp"}))
    done = subprocess.run([sys.executable, "-m", "graft.cli", "train", str(net), "--augment", '[{"blur": 1}]',
                           "--workspace", str(tmp_path / "ws"), "--json"], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 1
    assert "augment.0" in done.stdout + done.stderr and "random_crop, flip" in done.stdout + done.stderr


def test_graft_train_records_augmentation_and_the_cache_state(tmp_path):
    net = tmp_path / "net.json"
    net.write_text(json.dumps({"template": "mlp"}))
    done = subprocess.run([sys.executable, "-m", "graft.cli", "train", str(net), "--limit", "256", "--epochs", "1",
                           "--device", "cpu", "--augment", '[{"rotate": 10}, {"noise": 0.05}]',
                           "--workspace", str(tmp_path / "ws"), "--json"], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    rec = json.loads(done.stdout)
    assert rec["hparams"]["augment"] == [{"rotate": 10.0}, {"noise": 0.05}]
