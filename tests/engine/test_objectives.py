import pytest
import torch

from graft.data import load_dataset
from graft.engine.augment import Augment, augment, random_affine
from graft.engine.compile import compile_network
from graft.engine.objectives import OBJECTIVES, nt_xent, pretrain, resolve

ENCODER = {"name": "enc", "input": {"shape": [1, 28, 28]}, "nodes": [
    {"id": "conv1", "type": "Conv2d", "params": {"out_channels": 8, "kernel_size": 3, "padding": 1},
     "inputs": ["input"]},
    {"id": "relu1", "type": "ReLU", "inputs": ["conv1"]},
    {"id": "pool1", "type": "MaxPool2d", "params": {"kernel_size": 4}, "inputs": ["relu1"]},
    {"id": "flatten", "type": "Flatten", "inputs": ["pool1"]},
]}


@pytest.fixture(scope="module")
def images():
    return load_dataset({"dataset": "mnist", "transforms": [{"per_class": 20, "seed": 0}]}, "train")


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_each_objective_lowers_its_loss_and_changes_only_the_encoder(images, objective):
    encoder = compile_network(ENCODER)
    before = {k: v.clone() for k, v in encoder.state_dict().items()}
    result = pretrain(encoder, images, objective, {"epochs": 6, "batch_size": 50, "lr": 3e-3})
    losses = [row["loss"] for row in result.history]
    assert len(losses) == 6
    assert losses[-1] < 0.9 * losses[0], losses
    after = encoder.state_dict()
    assert set(after) == set(before)            # no decoder/projection tensors leak into the encoder
    assert any(not torch.equal(before[k], after[k]) for k in before)
    assert not encoder.training


def test_labels_are_not_read(images):
    relabelled = load_dataset({"dataset": "mnist", "transforms": [{"per_class": 20, "seed": 0}]}, "train")
    relabelled.labels = relabelled.labels[::-1].copy()
    losses = []
    for ds in (images, relabelled):
        torch.manual_seed(0)
        enc = compile_network(ENCODER)
        losses.append(pretrain(enc, ds, "simclr", {"epochs": 1, "batch_size": 50}).history[0]["loss"])
    assert losses[0] == pytest.approx(losses[1], rel=1e-5)


def test_nt_xent_rewards_matching_views():
    torch.manual_seed(0)
    z = torch.randn(16, 8)
    matched = nt_xent(z, z.clone(), 0.2)
    unmatched = nt_xent(z, torch.randn(16, 8), 0.2)
    assert float(matched) < float(unmatched)
    # with the partner identical and all others orthogonal, the loss approaches 0 at a low temperature
    eye = torch.eye(8)
    assert float(nt_xent(eye, eye, 0.05)) < 1e-3


def test_augment_keeps_shape_and_blank_background():
    blank = torch.full((4, 1, 28, 28), -0.42)
    out = augment(blank, Augment(noise=0.0), background=-0.42, generator=torch.Generator().manual_seed(0))
    assert out.shape == blank.shape
    assert torch.allclose(out, blank, atol=1e-5)


def test_shift_moves_the_image():
    x = torch.zeros(1, 1, 28, 28)
    x[0, 0, 10:18, 10:18] = 1.0
    shifted = random_affine(x, Augment(shift=0.2, rotate=0.0, zoom=(1.0, 1.0)), 0.0,
                            torch.Generator().manual_seed(3))
    assert not torch.allclose(shifted, x, atol=1e-3)
    assert float(shifted.sum()) == pytest.approx(float(x.sum()), rel=0.2)   # moved, not destroyed


def test_flip_mirrors_some_views_and_an_unasked_flip_draws_nothing():
    x = torch.zeros(64, 1, 28, 28)
    x[:, 0, :, :5] = 1.0                                   # a bar on the left edge
    still = Augment(shift=0.0, rotate=0.0, zoom=(1.0, 1.0))
    views = augment(x, Augment(shift=0.0, rotate=0.0, zoom=(1.0, 1.0), flip=0.5), 0.0, torch.Generator().manual_seed(1))
    right = views[:, 0, :, -5:].mean((1, 2)) > 0.9
    assert 10 < int(right.sum()) < 54                      # about half mirrored, the rest as they were
    assert torch.allclose(views[~right], x[~right], atol=1e-5)
    g1, g2 = torch.Generator().manual_seed(2), torch.Generator().manual_seed(2)
    augment(x, still, 0.0, g1)
    random_affine(x, still, 0.0, g2)
    assert torch.equal(torch.rand(3, generator=g1), torch.rand(3, generator=g2))   # the old draws, unchanged


@pytest.mark.parametrize("hparams, field", [({"epochz": 3}, "hparams.epochz"), ({"lr": 0}, "hparams.lr"),
                                             ({"zoom": [1.2, 0.8]}, "hparams.zoom"),
                                             ({"batch_size": 0}, "hparams.batch_size"), ({"flip": 2}, "hparams.flip")])
def test_bad_hyperparameters_name_the_field(hparams, field):
    with pytest.raises(ValueError, match=field.replace(".", r"\.")):
        resolve("simclr", hparams)


def test_unknown_objective_lists_the_choices():
    with pytest.raises(ValueError, match="autoencoder, denoising, simclr"):
        resolve("byol", {})
