import torch

from graft.engine.compile import compile_network
from graft.engine.freeze import apply_foundation_params
from graft.engine.train import train
from graft.engine.weights import state_sha256


def block_hashes(model):
    head = {k: v for k, v in model.state_dict().items() if not k.startswith("base.")}
    return {"base": state_sha256(model.base), "head": state_sha256(head)}


def _grafted(nets, **kw):
    return compile_network(nets.grafted(nets.foundation_of(nets.small_cnn(bn=True)), **kw))


def test_frozen_foundation_is_untouched_by_training_while_the_head_learns(nets, train_small):
    model = _grafted(nets, frozen=True)
    model.base.bn1.running_mean.fill_(0.5)      # non-default BN statistics a train-mode pass would move
    before = {k: v.clone() for k, v in model.state_dict().items()}
    hashes = block_hashes(model)
    train(model, train_small, hparams={**nets.fast, "feature_cache": False})
    after = model.state_dict()
    base_keys = [k for k in before if k.startswith("base.")]
    assert "base.bn1.running_mean" in base_keys and "base.bn1.num_batches_tracked" in base_keys
    assert all(torch.equal(before[k], after[k]) for k in base_keys)
    assert not torch.equal(before["fc1.weight"], after["fc1.weight"])
    new = block_hashes(model)
    assert new["base"] == hashes["base"] and new["head"] != hashes["head"]


def test_a_frozen_block_stays_in_eval_mode_when_the_model_trains(nets):
    model = _grafted(nets, frozen=True)
    apply_foundation_params(model, lr=0.01)
    model.train()
    assert model.training and model.fc1.training and model.drop.training
    assert not model.base.training and not model.base.bn1.training and not model.base.drop1.training
    assert not any(p.requires_grad for p in model.base.parameters())


def test_lr_multiplier_gives_the_foundation_its_own_param_group(nets, train_small):
    model = _grafted(nets, frozen=False, lr_multiplier=0.1)
    groups = apply_foundation_params(model, lr=0.01)
    assert [(g["name"], g["lr"]) for g in groups] == [("head", 0.01), ("base", 0.01 * 0.1)]
    assert {id(p) for p in groups[1]["params"]} == {id(p) for p in model.base.parameters()}
    model.train()
    assert model.base.training
    before = model.base.conv1.weight.clone()
    train(model, train_small, hparams={**nets.fast, "schedule": "none"})
    assert not torch.equal(before, model.base.conv1.weight)


def test_lr_multiplier_zero_freezes(nets):
    model = _grafted(nets, frozen=False, lr_multiplier=0.0)
    groups = apply_foundation_params(model, lr=0.01)
    assert [g["name"] for g in groups] == ["head"]
    assert model.base.frozen
