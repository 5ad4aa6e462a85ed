"""Image augmentations for self-supervised training, on whole batches at once (fast on a small CPU).

One random affine transform per image (shift, zoom as a random crop, small rotation) is applied with a single
affine_grid/grid_sample call per batch; Gaussian noise and random erasing are tensor ops. Inputs are
normalized images; `background` is the normalized value of a blank pixel, so that pixels shifted in from
outside the image are blank rather than zero (which is grey after normalization).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class Augment:
    shift: float = 0.15          # largest shift, as a fraction of the image side
    rotate: float = 15.0         # largest rotation, degrees
    zoom: tuple[float, float] = (0.8, 1.15)   # content scale; above 1 crops in, below 1 shrinks
    noise: float = 0.0           # std of added Gaussian noise (in normalized units)
    erase: float = 0.0           # probability of blanking one random rectangle
    flip: float = 0.0            # probability of mirroring left to right (clothes and photos, not digits)

    @classmethod
    def from_hparams(cls, h: dict) -> Augment:
        return cls(shift=float(h["shift"]), rotate=float(h["rotate"]), zoom=tuple(h["zoom"]),
                   noise=float(h["aug_noise"]), erase=float(h["erase"]), flip=float(h.get("flip", 0.0)))


def random_affine(x: torch.Tensor, aug: Augment, background: float, generator: torch.Generator | None = None
                  ) -> torch.Tensor:
    """Each image of `x` [N, C, H, W] under its own random shift/zoom/rotation."""
    n, dev = x.shape[0], x.device

    def uniform(lo: float, hi: float) -> torch.Tensor:
        return torch.rand(n, generator=generator, device="cpu").to(dev) * (hi - lo) + lo

    angle = uniform(-aug.rotate, aug.rotate) * (math.pi / 180.0)
    scale = 1.0 / uniform(*aug.zoom)          # grid units: a smaller sampling window zooms in
    tx, ty = uniform(-2 * aug.shift, 2 * aug.shift), uniform(-2 * aug.shift, 2 * aug.shift)
    cos, sin = torch.cos(angle) * scale, torch.sin(angle) * scale
    theta = torch.stack([torch.stack([cos, -sin, tx], 1), torch.stack([sin, cos, ty], 1)], 1)
    grid = F.affine_grid(theta.to(x.dtype), list(x.shape), align_corners=False)
    if isinstance(background, torch.Tensor):   # per channel [1, C, 1, 1]
        background = background.to(x.device, x.dtype)
    out = F.grid_sample(x - background, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return out + background


def random_erase(x: torch.Tensor, p: float, background: float, generator: torch.Generator | None = None
                 ) -> torch.Tensor:
    """Blank one random rectangle (up to half of each side) in a fraction `p` of the images."""
    n, _, h, w = x.shape
    r = torch.rand(n, 5, generator=generator).to(x.device)
    eh, ew = (r[:, 0] * h / 2).long() + 1, (r[:, 1] * w / 2).long() + 1
    y0, x0 = (r[:, 2] * (h - eh + 1)).long(), (r[:, 3] * (w - ew + 1)).long()
    rows = torch.arange(h, device=x.device)[None, :, None]
    cols = torch.arange(w, device=x.device)[None, None, :]
    box = ((rows >= y0[:, None, None]) & (rows < (y0 + eh)[:, None, None])
           & (cols >= x0[:, None, None]) & (cols < (x0 + ew)[:, None, None]) & (r[:, 4] < p)[:, None, None])
    return torch.where(box[:, None], torch.as_tensor(background, dtype=x.dtype, device=x.device), x)


def add_noise(x: torch.Tensor, std: float, generator: torch.Generator | None = None) -> torch.Tensor:
    if std <= 0:
        return x
    return x + torch.randn(x.shape, generator=generator).to(x.device, x.dtype) * std


def augment(x: torch.Tensor, aug: Augment, background: float, generator: torch.Generator | None = None
            ) -> torch.Tensor:
    """One random view of each image: affine, then mirroring, erasing and noise (each only when asked: no
    random numbers are drawn for an augmentation that is off)."""
    out = random_affine(x, aug, background, generator)
    if aug.flip > 0:
        out = flip(out, generator, aug.flip)
    if aug.erase > 0:
        out = random_erase(out, aug.erase, background, generator)
    return add_noise(out, aug.noise, generator)


def flip(x: torch.Tensor, generator: torch.Generator | None, p: float = 0.5) -> torch.Tensor:
    """Mirror a random share `p` of the images left to right."""
    pick = (torch.rand(x.shape[0], generator=generator) < p).to(x.device)[:, None, None, None]
    return torch.where(pick, x.flip(-1), x)


def color_jitter(x: torch.Tensor, strength: float, generator: torch.Generator) -> torch.Tensor:
    """Per image, contrast and brightness each scaled by a factor in [1 - strength, 1 + strength]."""
    f = (1 + (torch.rand(x.shape[0], 2, generator=generator) * 2 - 1) * strength).to(x.device, x.dtype)
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * f[:, 0, None, None, None] + mean * f[:, 1, None, None, None]


class BatchAugment:
    """The `augment` hyperparameter of a train step (graft.contracts.AugmentOp, in order) on training batches.
    Its generator is reseeded per epoch from (seed, epoch), so a resumed run draws what an unbroken one did;
    crop and rotation share one affine pass (random_affine)."""

    def __init__(self, ops: list, side: int, seed: int, background: float):
        from ..contracts.hparams import AugmentOp

        self.ops = [AugmentOp.model_validate(o).op() if isinstance(o, dict) else o.op() for o in ops]
        self.side, self.seed, self.background = side, seed, background
        self.generator = torch.Generator()

    def begin_epoch(self, epoch: int) -> None:
        self.generator.manual_seed(self.seed * 100_003 + epoch + 7)   # not the permutation's stream

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        g = self.generator
        for name, value in self.ops:
            if name == "random_crop" and value["padding"]:
                x = random_affine(x, Augment(shift=value["padding"] / self.side, rotate=0.0, zoom=(1.0, 1.0)),
                                  self.background, g)
            elif name == "rotate" and value:
                x = random_affine(x, Augment(shift=0.0, rotate=value, zoom=(1.0, 1.0)), self.background, g)
            elif name == "flip" and value:
                x = flip(x, g)
            elif name == "color_jitter" and value:
                x = color_jitter(x, value, g)
            elif name == "noise":
                x = add_noise(x, value, g)
        return x
