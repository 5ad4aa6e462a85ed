"""engine.modules: the CPU-fast Dropout and Flatten behave as nn.Dropout and nn.Flatten do."""
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from graft.engine.modules import MIN_ELEMENTS, Dropout, Flatten


@pytest.mark.parametrize("p", [0.1, 0.25, 0.5, 0.9])
def test_dropout_drops_a_fraction_p_and_keeps_the_mean(p):
    torch.manual_seed(0)
    x = torch.ones(1_000_000)
    out = Dropout(p).train()(x)
    dropped = (out == 0).float().mean().item()
    assert dropped == pytest.approx(p, abs=0.002)
    values = out.unique().tolist()
    assert len(values) == 2 and values[0] == 0 and values[1] == pytest.approx(1 / (1 - p), rel=1e-6)
    assert out.mean().item() == pytest.approx(1.0, abs=0.01)


def test_dropout_masks_are_reproducible_under_a_seed_and_differ_between_calls():
    layer = Dropout(0.5).train()
    x = torch.randn(64, 256)
    torch.manual_seed(7)
    a, b = layer(x), layer(x)
    torch.manual_seed(7)
    assert torch.equal(layer(x), a)
    assert not torch.equal(a, b)


def test_dropout_gradient_is_the_mask():
    x = torch.randn(32, 512, requires_grad=True)
    out = Dropout(0.3).train()(x)
    out.sum().backward()
    kept = out.detach() != 0
    assert torch.allclose(x.grad[kept], torch.full_like(x.grad[kept], 1 / 0.7))
    assert torch.all(x.grad[~kept] == 0)


def test_dropout_in_eval_mode_and_small_tensors_match_nn_dropout():
    x = torch.randn(MIN_ELEMENTS * 2)
    assert torch.equal(Dropout(0.5).eval()(x), x)
    small = torch.randn(8, 10)
    torch.manual_seed(3)
    ours = Dropout(0.5).train()(small)
    torch.manual_seed(3)
    assert torch.equal(ours, F.dropout(small, 0.5, True))


def test_dropout_keeps_the_channels_last_layout_in_bfloat16():
    x = torch.randn(16, 32, 12, 12).to(torch.bfloat16).contiguous(memory_format=torch.channels_last)
    out = Dropout(0.25).train()(x)
    assert out.dtype == torch.bfloat16
    assert out.is_contiguous(memory_format=torch.channels_last)
    kept = out != 0
    assert torch.equal(out[kept], (x[kept] * torch.tensor(1 / 0.75, dtype=torch.bfloat16)))


def test_flatten_matches_nn_flatten_and_returns_a_channels_last_gradient():
    base = torch.randn(8, 16, 6, 6)
    ours_in = base.contiguous(memory_format=torch.channels_last).requires_grad_()
    ref_in = base.clone().requires_grad_()
    weight = torch.randn(16 * 6 * 6)
    ours, ref = Flatten().train()(ours_in), nn.Flatten()(ref_in)
    assert torch.equal(ours, ref)
    (ours * weight).sum().backward()
    (ref * weight).sum().backward()
    assert torch.equal(ours_in.grad, ref_in.grad)
    assert ours_in.grad.is_contiguous(memory_format=torch.channels_last)
    assert ref_in.grad.is_contiguous() and not ref_in.grad.is_contiguous(memory_format=torch.channels_last)
