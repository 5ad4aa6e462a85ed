"""Hyperparameters: how a network trains (TrainHparams) and how an encoder pretrains (PretrainHparams).

Their defaults are the ones graft trains with when nothing is said: engine.train, ops.train, ops.report, the
workflow schema, the HTTP API and the CLI all read them from here.
"""
from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import BaseModel, Field, model_serializer, model_validator

from .base import Device, Optimizer, Precision, Strict, seed_field
from .data import Data


class RandomCrop(Strict):
    padding: int = Field(2, ge=0, le=64, description="largest shift in pixels, as a crop of the padded image")


AUGMENT_OPS = {  # op name: what it does
    "random_crop": "shift each image by up to `padding` pixels",
    "flip": "mirror half the images left to right",
    "rotate": "rotate by up to this many degrees",
    "color_jitter": "scale brightness and contrast by up to this fraction",
    "noise": "add gaussian noise of this std (normalized units)",
}


class AugmentOp(Strict):
    """One augmentation of training batches, written as a one-key mapping: {rotate: 10}, {flip: true}."""
    random_crop: Optional[RandomCrop] = None
    flip: Optional[bool] = None
    rotate: Optional[float] = Field(None, ge=0, le=180)
    color_jitter: Optional[float] = Field(None, ge=0, le=1)
    noise: Optional[float] = Field(None, ge=0, le=10)

    @model_validator(mode="before")
    @classmethod
    def one_known_op(cls, value: Any) -> Any:
        allowed = ", ".join(AUGMENT_OPS)
        if not isinstance(value, dict) or len(value) != 1:
            raise ValueError(f"augment: each op is a mapping with one key, one of {allowed}; found {value!r:.60}")
        op = next(iter(value))
        if op not in AUGMENT_OPS:
            raise ValueError(f"augment: unknown op {op!r:.40}; expected one of {allowed}")
        if value[op] is None:
            raise ValueError(f"augment: {op} needs a value ({AUGMENT_OPS[op]}); found null")
        return value

    def op(self) -> tuple[str, Any]:
        name, value = next((k, v) for k, v in self if v is not None)
        return name, value.model_dump() if isinstance(value, BaseModel) else value

    @model_serializer
    def as_written(self) -> dict[str, Any]:
        return dict([self.op()])


class TrainHparams(Strict):
    epochs: int = Field(1, ge=1, le=1000)
    lr: float = Field(1e-3, gt=0, le=10, description="learning rate (the peak of a onecycle schedule)")
    batch_size: int = Field(128, ge=1, le=65536)
    optimizer: Optimizer = "adam"
    schedule: Literal["none", "onecycle", "cosine"] = "onecycle"
    weight_decay: float = Field(0.0, ge=0)
    momentum: float = Field(0.9, ge=0, le=1, description="sgd only")
    label_smoothing: float = Field(0.0, ge=0, lt=1)
    seed: int = seed_field()
    precision: Precision = Field("auto", description="auto (bfloat16 autocast on CUDA, and on a CPU where the "
                                 "calibration measured it faster: graft doctor), bf16 or fp32")
    device: Device = Field("auto", description="auto (CUDA when present), cpu or cuda")
    val_fraction: float = Field(0.0, ge=0, lt=1, description="hold out this fraction of the training data "
                                "(a fixed-seed draw) and report validation loss and accuracy each epoch; 0: none, "
                                "the fastest")
    augment: list[AugmentOp] = Field(default_factory=list, max_length=20, examples=[[{"flip": True}, {"rotate": 10}]],
                                     description="augmentations of the training batches, in order, seeded by "
                                     "`seed`: " + ", ".join(AUGMENT_OPS))
    # several heads (TrainRequest.tasks) and how the foundation trains; at their defaults nothing changes
    task_mixing: Literal["alternate", "proportional"] = Field(
        "alternate", description="with several tasks: the order of their batches. An epoch is one pass over "
        "EVERY task's data (each task gets ceil(its samples / batch_size) batches, as when it trains alone); "
        "alternate: one batch per task in turn, a task that has had all its batches leaves the rotation; "
        "proportional: each task's batches spread evenly over the epoch (in proportion to its size)")
    foundation: Optional[Literal["frozen", "finetune"]] = Field(
        None, description="every Foundation node: frozen (feature cache allowed) or finetune (trains at "
        "lr * foundation_lr_multiplier, whole or from `unfreeze_from` on); default: as each node's params say")
    unfreeze_from: Optional[str] = Field(None, max_length=64, description="finetune: the node inside the "
                                         "foundation from which on (in its order) it trains; earlier nodes stay "
                                         "frozen (eval mode)")
    foundation_lr_multiplier: float = Field(0.1, ge=0, le=10, description="finetune: the foundation's learning "
                                            "rate is lr times this (its own optimizer param group)")

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        return cls().model_dump()


# hparams that only a multi-head or foundation-tuning run sets: left out of a run's record at their defaults
TASK_HPARAMS = ("task_mixing", "foundation", "unfreeze_from", "foundation_lr_multiplier")


class PretrainHparams(Strict):
    """Pretraining knobs (engine.objectives): the optimizer's, the augmentations' and the objectives' extras."""
    epochs: int = Field(5, ge=1, le=1000)
    lr: float = Field(2e-3, gt=0, le=10)
    batch_size: int = Field(256, ge=2, le=65536, description="simclr needs at least 2 images a batch")
    seed: int = seed_field()
    optimizer: Optimizer = "adamw"
    weight_decay: float = Field(1e-4, ge=0)
    momentum: float = Field(0.9, ge=0, le=1)
    schedule: Literal["none", "cosine"] = "cosine"
    temperature: float = Field(0.2, gt=0, le=100, description="simclr: NT-Xent temperature")
    projection_dim: int = Field(64, ge=1, le=65536, description="simclr: projection head width")
    hidden: int = Field(256, ge=1, le=65536, description="simclr: projection head hidden width")
    shift: float = Field(0.15, ge=0, le=1, description="augmentation: largest shift, a fraction of the side")
    rotate: float = Field(15.0, ge=0, le=180, description="augmentation: largest rotation in degrees")
    zoom: list[float] = Field(default_factory=lambda: [0.8, 1.15], min_length=2, max_length=2,
                              description="augmentation: [low, high] scale")
    aug_noise: float = Field(0.1, ge=0, le=10, description="augmentation: gaussian noise")
    erase: float = Field(0.0, ge=0, le=1, description="augmentation: chance of erasing a patch")
    flip: float = Field(0.0, ge=0, le=1, description="augmentation: chance of mirroring left to right (clothes, "
                                                     "photos; not digits)")
    noise: float = Field(0.5, ge=0, le=10, description="denoising: strength of the corruption")
    device: Device = "auto"
    precision: Precision = "auto"

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        return cls().model_dump()


class SemiSupervised(Strict):
    """Label propagation: the unlabeled images join training with labels spread from `data`'s over the frozen
    foundation's nearest-neighbour graph (engine.propagate). The unlabeled images' labels are never read."""
    unlabeled: Data = Field(default="mnist", description="images whose labels are never read")
    method: Literal["label_propagation"] = "label_propagation"
    k: int = Field(default=10, ge=1, le=1000, description="neighbours per image in the graph")
    alpha: float = Field(default=0.99, gt=0, lt=1, description="how far labels spread (label spreading's alpha)")
    gamma: float = Field(default=3.0, gt=0, le=100, description="power of the cosine affinities")
    iterations: int = Field(default=30, ge=1, le=1000)
    finetune_epochs: int = Field(default=0, ge=0, le=1000,
                                 description="after the head, fine-tune the whole network (foundation included) "
                                             "this many epochs per round on the labelled and unlabeled images "
                                             "with consistency targets (engine.selftrain); 0: the head alone")
    rounds: int = Field(default=1, ge=1, le=20, description="fine-tuning rounds; each later one propagates the "
                                                            "labels again over the fine-tuned foundation")
    threshold: float = Field(default=0.95, gt=0, le=1, description="confidence from which the network's own "
                                                                   "prediction on a weak view is the target of a "
                                                                   "strong view (else the propagated label)")
    finetune_lr: float = Field(default=0.001, gt=0, lt=10, description="peak learning rate while fine-tuning")
    flip: bool = Field(default=False, description="while fine-tuning, also mirror half the views left to right "
                                                  "(clothes, photos; not digits)")


FINE_TUNING = ("finetune_epochs", "rounds", "threshold", "finetune_lr", "flip")   # SemiSupervised's self-training fields


Objective = Literal["autoencoder", "denoising", "simclr"]
Head = Literal["mlp", "linear"]
OptionalData = Optional[Data]
