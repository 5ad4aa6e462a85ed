"""REGISTRY: every layer type a document may name (documents never name modules or classes).

The production layers are the @register classes of layers_spatial and layers_basic, in palette order; a layer
defined elsewhere joins by being decorated with @register once its module is imported.

`Foundation` is not a registry layer: it embeds a whole network and is handled by the analyser and the engine;
its parameters are `FoundationParams`.
"""
from __future__ import annotations

from typing import Any

from pydantic import Field

from . import layers_spatial  # noqa: F401  importing registers the layers: spatial first, as the palette lists them
from . import layers_basic  # noqa: F401
from . import layers_mobile  # noqa: F401
from . import layers_channels  # noqa: F401
from . import layers_vit  # noqa: F401
from .layers import LAYERS, Layer, Params

FOUNDATION = "Foundation"


class FoundationParams(Params):
    ref: Any = None              # a foundation id, or a workflow reference such as {step: foundation}
    frozen: bool = True
    lr_multiplier: float = Field(default=1.0, ge=0)


REGISTRY: dict[str, type[Layer]] = LAYERS


def layer_schemas() -> list[dict[str, Any]]:
    """What the palette shows: every registry layer, then Foundation."""
    foundation = {"type": FOUNDATION, "category": "foundation", "min_inputs": 1, "max_inputs": 1,
                  "doc": "A trained foundation network, embedded whole; frozen by default.",
                  "params": FoundationParams.model_json_schema()}
    return [cls.schema() for cls in REGISTRY.values()] + [foundation]
