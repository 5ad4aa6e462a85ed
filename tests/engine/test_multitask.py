"""Several heads on one foundation (engine.multitask): batch order, step budget, partial fine-tuning."""
from __future__ import annotations

import torch

from graft.data.dataset import load_dataset
from graft.engine.compile import compile_network
from graft.engine.features import FeatureCache
from graft.engine.freeze import apply_foundation_params
from graft.engine.multitask import HeadTask, schedule, train_tasks
from graft.engine.weights import state_sha256

PARITY = {"relabel": {"map": {i: i % 2 for i in range(10)}, "classes": ["even", "odd"]}}


def two_heads(nets, frozen: bool = True) -> dict:
    doc = nets.grafted(nets.foundation_of(nets.small_cnn()), frozen=frozen)
    doc["nodes"].append({"id": "parity", "type": "Linear", "params": {"out_features": 2}, "inputs": ["base"]})
    doc["outputs"] = ["fc2", "parity"]
    return doc


def parity_data(limit: int):
    return load_dataset({"dataset": "mnist", "transforms": [{"limit": limit}, PARITY]}, "train")


def test_alternate_takes_turns_and_proportional_spreads_each_task_over_the_epoch():
    assert schedule([3, 1], "alternate") == [(0, 0), (1, 0), (0, 1), (0, 2)]
    spread = schedule([4, 2], "proportional")
    assert [t for t, _ in spread] == [0, 1, 0, 0, 1, 0]
    for mixing in ("alternate", "proportional"):   # every batch of every task, each once, in its own order
        plan = schedule([5, 2, 3], mixing)
        assert sorted(plan) == sorted((t, k) for t, n in enumerate([5, 2, 3]) for k in range(n))
        for t in range(3):
            assert [k for u, k in plan if u == t] == sorted(k for u, k in plan if u == t)


def test_both_mixings_give_each_task_its_own_epochs_of_batches(nets, train_small):
    parity = parity_data(96)
    seen = {}
    for mixing in ("alternate", "proportional"):
        torch.manual_seed(0)
        model = compile_network(two_heads(nets))
        steps: list[int] = []
        result = train_tasks(model, [HeadTask("digits", "fc2", train_small), HeadTask("parity", "parity", parity)],
                             {**nets.fast, "epochs": 2, "task_mixing": mixing},
                             on_step=lambda info: steps.append(info["step"]), feature_cache=FeatureCache())
        # 320 / 32 = 10 batches of digits and 96 / 32 = 3 of parity per epoch, whatever the order
        assert {k: v["steps"] for k, v in result.tasks.items()} == {"digits": 20, "parity": 6}
        assert len(result.history) == 2 and set(result.history[-1]["tasks"]) == {"digits", "parity"}
        seen[mixing] = state_sha256(model)
    assert seen["alternate"] != seen["proportional"]    # the order of the batches is not the same


def test_unfreeze_from_trains_only_the_later_foundation_nodes_at_the_multiplied_rate(nets, train_small):
    torch.manual_seed(0)
    model = compile_network(two_heads(nets))
    base = model.get_submodule("base")
    before = {k: v.clone() for k, v in base.state_dict().items()}
    result = train_tasks(model, [HeadTask("digits", "fc2", train_small), HeadTask("parity", "parity",
                                                                                 parity_data(64))],
                         {**nets.fast, "foundation": "finetune", "unfreeze_from": "conv2",
                          "foundation_lr_multiplier": 0.1}, feature_cache=FeatureCache())
    after = base.state_dict()
    early = [k for k in before if k.split(".")[0] in ("conv1", "bn1")]
    late = [k for k in before if k.split(".")[0] == "conv2"]
    assert early and late and "running_mean" in " ".join(early)
    assert all(torch.equal(before[k], after[k]) for k in early), "nodes before unfreeze_from must not move"
    assert all(not torch.equal(before[k], after[k]) for k in late)
    assert result.feature_cache is None          # a training foundation's outputs are not cached

    groups = apply_foundation_params(model, 0.01, "finetune", "conv2", 0.1)
    by_name = {g["name"]: g for g in groups}
    assert by_name["base"]["lr"] == 0.01 * 0.1 and by_name["head"]["lr"] == 0.01
    assert {id(p) for p in by_name["base"]["params"]} == {id(p) for p in base.get_submodule("conv2").parameters()}


def test_unfreeze_from_names_the_foundation_nodes_when_it_is_not_one(nets):
    model = compile_network(two_heads(nets))
    try:
        apply_foundation_params(model, 0.01, "finetune", "fc1", 0.1)
    except ValueError as err:
        assert "hparams.unfreeze_from" in str(err) and "conv2" in str(err) and "'fc1'" in str(err)
    else:
        raise AssertionError("fc1 is a head node, not inside the foundation")
