"""The network document: a DAG of named nodes with a declared input shape.

    format: graft.network/v1
    name: example-cnn
    input: {shape: [1, 28, 28]}
    nodes:
      - {id: conv1, type: Conv2d, params: {out_channels: 32, kernel_size: 3}, inputs: [input]}
      - {id: relu1, type: ReLU, inputs: [conv1]}
    outputs: [relu1]          # optional: defaults to the one node nothing consumes

A node of type Foundation carries a whole network (the foundation's) in `network`, plus params
{ref, frozen, lr_multiplier}; its tensors live under "<node id>." in the state dict.
"""
from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

INPUT = "input"
NETWORK_FORMAT = "graft.network/v1"
ID_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,63}$"
GROUP_PATTERN = r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$"   # a module path: encoder.stages.1.layers.0
MAX_GROUP = 256
MAX_DIM = 1 << 20   # per input dimension; a sanity bound, not a memory guarantee


class InputSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    shape: list[Annotated[int, Field(ge=1, le=MAX_DIM)]] = Field(min_length=1, max_length=4)


class NodeSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    type: str
    params: dict[str, Any] = Field(default_factory=dict)
    inputs: list[str] = Field(default_factory=list)
    network: NetworkSpec | None = None      # only for type Foundation
    position: dict[str, float] | None = None  # canvas position, kept for the workbench, ignored by the engine
    # the module path the node came from (an imported model's hierarchy, drawn as collapsible blocks); ignored
    # by the engine
    group: str | None = Field(default=None, max_length=MAX_GROUP, pattern=GROUP_PATTERN)


class NetworkSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: str = NETWORK_FORMAT
    name: str = "network"
    description: str = ""
    input: InputSpec
    nodes: list[NodeSpec]
    outputs: list[str] | None = None

    def node(self, node_id: str) -> NodeSpec:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)


NodeSpec.model_rebuild()
