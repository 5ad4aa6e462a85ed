import numpy as np
import pytest
import torch

from graft.engine.compile import compile_network
from graft.engine.data import permutation
from graft.engine.cancel import Cancelled
from graft.engine.train import TrainingDiverged, train


class Killed(Exception):
    pass


def test_history_has_train_and_val_figures_per_epoch(nets, train_small, test_small):
    epochs, steps = [], []
    model = compile_network(nets.small_cnn())
    result = train(model, train_small, test_small, {**nets.fast, "epochs": 2},
                   on_epoch=epochs.append, on_step=steps.append)
    assert [row["epoch"] for row in result.history] == [1, 2] == [row["epoch"] for row in epochs]
    for row in result.history:
        assert 0 <= row["train_accuracy"] <= 1 and 0 <= row["val_accuracy"] <= 1
        assert np.isfinite(row["train_loss"]) and np.isfinite(row["val_loss"])
    assert result.history[1]["train_loss"] < result.history[0]["train_loss"]
    assert steps[-1] == {**steps[-1], "epoch": 2, "step": 10, "steps_per_epoch": 10}
    assert result.samples_per_s > 0 and result.epochs_done == 2 and not result.cancelled


def test_non_finite_input_raises_before_the_step_and_names_where(nets, train_small):
    images = train_small.images.astype(np.float32)
    images[7, 0, 10, 10] = np.inf
    poisoned = nets.with_images(train_small, images, "-poisoned")
    model = compile_network(nets.small_cnn())
    with pytest.raises(TrainingDiverged) as err:
        train(model, poisoned, hparams={**nets.fast, "epochs": 2,
                                        "normalization": {"mean": 0.13, "std": 0.31}})
    position = int((permutation(len(poisoned), 0, 0) == 7).nonzero()) // nets.fast["batch_size"]
    assert (err.value.epoch, err.value.step) == (1, position + 1)
    assert f"epoch 1, step {position + 1}" in str(err.value)
    assert all(torch.isfinite(t).all() for t in model.state_dict().values() if t.is_floating_point())


@pytest.mark.parametrize("kind", ["plain", "grafted"])
def test_resume_after_a_kill_ends_with_the_same_weights(nets, train_small, tmp_path, kind):
    # grafted: a frozen foundation trained through the feature cache, resumed by a model whose foundation
    # starts out with other weights (the checkpoint's must be used for the cached features)
    doc = nets.small_cnn() if kind == "plain" else nets.grafted(nets.foundation_of(nets.small_cnn()))
    hp = {**nets.fast, "epochs": 3}
    torch.manual_seed(1)
    whole = compile_network(doc)
    start = {k: v.clone() for k, v in whole.state_dict().items()}
    train(whole, train_small, hparams=hp, checkpoint_dir=tmp_path / "a")

    def kill_after_two(row):
        if row["epoch"] == 2:
            raise Killed

    killed = compile_network(doc)
    killed.load_state_dict(start)
    with pytest.raises(Killed):
        train(killed, train_small, hparams=hp, checkpoint_dir=tmp_path / "b", on_epoch=kill_after_two)
    torch.manual_seed(123)                     # a fresh process: other RNG state, other initial weights
    resumed = compile_network(doc)
    result = train(resumed, train_small, hparams=hp, checkpoint_dir=tmp_path / "b", resume_from=tmp_path / "b")
    assert [row["epoch"] for row in result.history] == [1, 2, 3]
    for key, value in whole.state_dict().items():
        assert torch.equal(value, resumed.state_dict()[key]), key


def test_resume_refuses_other_hyperparameters(nets, train_small, tmp_path):
    model = compile_network(nets.small_cnn())
    train(model, train_small, hparams=nets.fast, checkpoint_dir=tmp_path)
    with pytest.raises(ValueError, match="hparams.lr"):
        train(model, train_small, hparams={**nets.fast, "lr": 0.1}, resume_from=tmp_path)


def test_should_stop_cancels_between_steps(nets, train_small):
    """A cancel raises the one Cancelled error at the next batch: no epoch row, no checkpoint."""
    calls, epochs = [], []
    model = compile_network(nets.small_cnn())
    with pytest.raises(Cancelled):
        train(model, train_small, hparams={**nets.fast, "epochs": 3}, on_epoch=epochs.append,
              should_stop=lambda: calls.append(1) or len(calls) > 4)
    assert len(calls) == 5 and epochs == []


def test_a_cancel_token_stops_feature_extraction_and_pretraining(nets, train_small):
    from graft.engine.cancel import CancelToken
    from graft.engine.features import compute_features
    from graft.engine.objectives import pretrain

    token = CancelToken()
    token.cancel("stop now")
    x = torch.zeros(300, 1, 28, 28)
    with pytest.raises(Cancelled, match="stop now"):
        compute_features(compile_network(nets.small_cnn()), x, torch.float32, should_stop=token)
    with pytest.raises(Cancelled):
        pretrain(compile_network(nets.small_cnn()), train_small, "autoencoder",
                 {"epochs": 1, "batch_size": 32, "device": "cpu"}, should_stop=token)


def test_unknown_or_bad_hparams_name_the_field(nets, train_small):
    model = compile_network(nets.small_cnn())
    with pytest.raises(ValueError, match="hparams.optimiser"):
        train(model, train_small, hparams={"optimiser": "adam"})
    with pytest.raises(ValueError, match="hparams.schedule: expected one of none, onecycle, cosine"):
        train(model, train_small, hparams={"schedule": "linear"})


@pytest.mark.parametrize("opt,schedule", [("sgd", "cosine"), ("adamw", "none")])
def test_each_optimizer_and_schedule_learns(nets, train_small, opt, schedule):
    model = compile_network(nets.small_cnn(bn=False))
    result = train(model, train_small, hparams={**nets.fast, "epochs": 2, "optimizer": opt,
                                                "schedule": schedule, "lr": 0.05 if opt == "sgd" else 3e-3})
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]
