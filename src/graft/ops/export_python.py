"""Canvas to code: a registered model as a short, readable PyTorch module that needs neither graft nor its spec.

The generated file holds one nn.Module class per network (a Foundation node becomes a nested module of its own
class), with submodules named after the node ids, so the state-dict keys equal graft's and the weights file
written beside it loads strictly. Each module's constructor is the node's recipe (spec.layers.Recipe, the one
the engine builds) written as `nn.<op>(...)`; the only values from the document that reach the source are
validated node ids (identifiers) and recipe arguments rendered by `lit`, which accepts only ints, finite floats,
bools, None, short lower-case word literals and tuples of those.
"""
from __future__ import annotations

import ast
import keyword
import math
import re
import shutil
from pathlib import Path
from typing import Any

from ..spec.analyze import require_valid
from ..spec.layers import OPS, Recipe
from .models import convert_of, fit_of

NODE_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
WORD = re.compile(r"[a-z_]{1,16}")
RESERVED_LOCALS = {"x", "self", "torch", "nn"}
INLINE = {"Add", "Mul", "Concat", "Permute"}   # recipe ops written as an expression in forward, not as a submodule
# ops torch.nn lacks: the file carries engine.modules' (or engine.modules_vit's) class, plain torch
HELPERS = ("Scale", "LayerNormDim", "PatchTokens", "ClassToken", "PositionEmbedding", "MultiHeadAttention",
           "LayerScale", "TokenSelect", "TokenMean")
assert INLINE <= OPS and set(HELPERS) <= OPS


def lit(value: Any) -> str:
    """A Python literal for a validated parameter value; anything else is refused (no code from a document)."""
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return repr(int(value))
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot emit the non-finite number {value!r}")
        return repr(float(value))
    if isinstance(value, str):
        if not WORD.fullmatch(value):
            raise ValueError(f"cannot emit the string {value!r:.40}: only lower-case words are parameters")
        return repr(value)
    if isinstance(value, (tuple, list)):
        items = [lit(v) for v in value]
        return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
    raise ValueError(f"cannot emit a {type(value).__name__} as a parameter")


def constructor(recipe: Recipe) -> str:
    """Constructor source for a recipe: nn.<op>(args, kwargs), with a Sequential's parts rendered the same way.

    Dropout and Flatten come out as plain nn.Dropout / nn.Flatten (graft's drop-ins compute the same values)."""
    if recipe.op in INLINE:
        raise ValueError(f"{recipe.op} has no module in exported code; it is written inline in forward")
    args = [constructor(a) if isinstance(a, Recipe) else lit(a) for a in recipe.args]
    args += [f"{k}={lit(v)}" for k, v in recipe.kwargs.items()]
    return f"{'' if recipe.op in HELPERS else 'nn.'}{recipe.op}({', '.join(args)})"


def helpers_used(recipe: Recipe) -> set[str]:
    inner = set().union(*(helpers_used(a) for a in recipe.args if isinstance(a, Recipe)))
    return inner | ({recipe.op} if recipe.op in HELPERS else set())


def inline(recipe: Recipe, args: list[str]) -> str:
    """The expression an Add, Mul, Concat or Permute node computes in forward."""
    if recipe.op in ("Add", "Mul"):
        return (" + " if recipe.op == "Add" else " * ").join(args)
    if recipe.op == "Permute":
        return f"{args[0]}.permute{lit(recipe.args)}"
    return f"torch.cat([{', '.join(args)}], dim={lit(recipe.kwargs['dim'])})"


HEADER = '''"""A PyTorch model exported by graft: plain torch, no graft needed.

    model = load()                    # the weights file beside this one, strict, in eval mode
    logits = model(preprocess(images))  # images: uint8 tensor or array [N, C, H, W] of INPUT_SHAPE's size
                                        # (a model with several heads returns {{output id: logits}})
"""
from pathlib import Path

{numpy}import torch
from safetensors.torch import load_file
from torch import nn

MODEL_ID = {model_id}
MODEL_NAME = {name}
INPUT_SHAPE = {input_shape}
NORMALIZATION = {normalization}
CONVERT = {convert}  # channel conversion the model was trained with: "rgb" (grey copied to 3), "gray" or None
RESIZE = {resize}  # the fit to INPUT_SHAPE's size: {{"resize": [H, W], "fit": "crop" or "pad"}} (fit_images), or None
WEIGHTS = {weights}
'''

FOOTER = '''

def preprocess(images):
    """uint8 images [N, C, H, W] -> the (channel-converted, resized) normalized float32 input the model was trained on."""
    x = images if isinstance(images, torch.Tensor) else torch.tensor(images)   # a copy: arrays may be read-only
    if CONVERT == "rgb" and x.shape[1] == 1:
        x = x.expand(-1, 3, -1, -1)
    elif CONVERT == "gray" and x.shape[1] == 3:
        weights = torch.tensor([299, 587, 114], dtype=torch.int64).view(1, 3, 1, 1)
        x = ((x.long() * weights).sum(1, keepdim=True) + 500).div(1000, rounding_mode="floor").to(torch.uint8)
    x = torch.from_numpy(fit_images(x.cpu().numpy(), RESIZE["resize"], RESIZE["fit"])) if RESIZE else x
    if tuple(x.shape[1:]) != INPUT_SHAPE:
        raise ValueError(f"images are {tuple(x.shape[1:])}; the model expects {INPUT_SHAPE} (CONVERT: {CONVERT})")
    x = x.float().div(255.0)
    if NORMALIZATION:
        mean, std = (torch.tensor(NORMALIZATION[k], dtype=torch.float32).view(1, -1, 1, 1) for k in ("mean", "std"))
        x = (x - mean) / std
    return x


def load(path=None, device="cpu"):
    """{cls} with its trained weights (default: WEIGHTS beside this file), in eval mode."""
    model = {cls}()
    model.load_state_dict(load_file(str(path or Path(__file__).with_name(WEIGHTS)), device=device), strict=True)
    return model.to(device).eval()
'''


class _Writer:
    def __init__(self):
        self.classes: list[str] = []
        self.names: set[str] = set(HELPERS)   # network classes never shadow the helper classes
        self.helpers: set[str] = set()

    def class_name(self, base: str) -> str:
        name, i = base, 2
        while name in self.names:
            name, i = f"{base}{i}", i + 1
        self.names.add(name)
        return name

    def network(self, spec, class_name: str) -> str:
        """Emit the class for `spec` (after the classes of its foundations); returns its name."""
        from ..engine.compile import compile_network

        spec, analysis = require_valid(spec)
        gm = compile_network(spec, analysis)  # the engine's own order and outputs, so the code runs the same
        name = self.class_name(class_name)
        init, forward = [], []
        local = _locals(gm.order)
        for node_id in gm.order:
            node = spec.node(node_id)
            if not NODE_ID.fullmatch(node_id):
                raise ValueError(f"node {node_id!r:.80}: not an identifier")
            inputs = ["x" if i == "input" else local[i] for i in node.inputs]
            args = ", ".join(inputs)
            attr = f"self.{node_id}" if not keyword.iskeyword(node_id) else f"getattr(self, {node_id!r})"
            recipe = analysis.recipes.get(node_id)
            if node.type == "Foundation":
                sub = self.network(node.network, f"{name}_{node_id}")
                ctor = f"{sub}()"
            elif recipe.op in INLINE:
                forward.append(f"{local[node_id]} = {inline(recipe, inputs)}")
                continue
            else:
                ctor = constructor(recipe)
                self.helpers |= helpers_used(recipe)
            init.append(f"self.{node_id} = {ctor}" if not keyword.iskeyword(node_id)
                        else f"self.add_module({node_id!r}, {ctor})")
            forward.append(f"{local[node_id]} = {attr}({args})")
        outs = [local[o] for o in gm.outputs]   # several heads: {output id: logits}
        ret = outs[0] if len(outs) == 1 else "{" + ", ".join(f"{o!r}: {local[o]}" for o in gm.outputs) + "}"
        body = "\n".join(f"        {line}" for line in init) or "        pass"
        self.classes.append(f"class {name}(nn.Module):\n"
                            f"    def __init__(self):\n        super().__init__()\n{body}\n\n"
                            f"    def forward(self, x):\n" + "".join(f"        {line}\n" for line in forward)
                            + f"        return {ret}\n")
        return name


def _locals(order: list[str]) -> dict[str, str]:
    """Local variable names for node outputs: the node id, unless it would shadow a name forward uses."""
    taken, out = set(order) | RESERVED_LOCALS, {}
    for node_id in order:
        name = node_id
        if name in RESERVED_LOCALS or keyword.iskeyword(name):
            name = f"{node_id}_"
            while name in taken:
                name += "_"
            taken.add(name)
        out[node_id] = name
    return out


def python_source(spec, model_id: str = "", name: str = "", normalization: dict | None = None,
                  weights_name: str = "model.safetensors", convert: str | None = None,
                  resize: dict | None = None) -> str:
    """The module's source text for a network spec (a dict or NetworkSpec with Foundation networks embedded).
    `resize` ({resize: [H, W], fit}) copies data.fit's fit_images into the file: the same pixels as training."""
    writer = _Writer()
    main = writer.network(spec, "Model")
    spec, _ = require_valid(spec)

    def numbers(v):
        return [float(x) for x in v] if isinstance(v, (list, tuple)) else float(v)
    norm = None if not normalization else {"mean": numbers(normalization["mean"]), "std": numbers(normalization["std"])}
    fit = None if not resize else {"resize": [int(d) for d in resize["resize"]], "fit": resize.get("fit") or "crop"}
    if fit is not None and fit["fit"] not in ("crop", "pad"):
        raise ValueError(f"resize.fit: expected crop or pad, found {fit['fit']!r:.40}")
    header = HEADER.format(model_id=repr(str(model_id)), name=repr(str(name)),
                           input_shape=lit(tuple(spec.input.shape)),
                           normalization="None" if norm is None else
                           f"{{'mean': {lit(norm['mean'])}, 'std': {lit(norm['std'])}}}",
                           weights=repr(str(weights_name)), convert=repr(convert),
                           resize="None" if fit is None else
                           f"{{'resize': {lit(fit['resize'])}, 'fit': {lit(fit['fit'])}}}",
                           numpy="import numpy as np\n" if fit else "")
    helpers = [_helper_source(op) for op in HELPERS if op in writer.helpers]
    if fit is not None:
        import inspect

        from ..data.fit import fit_images
        helpers.insert(0, inspect.getsource(fit_images) + "\n")
    source = header + "\n\n" + "\n\n".join(helpers + writer.classes) + FOOTER.replace("{cls}", main)
    ast.parse(source)   # a generator bug must fail here, not in the user's hands
    return source


def _helper_source(op: str) -> str:
    import inspect

    from ..engine import modules, modules_vit
    return inspect.getsource(getattr(modules, op, None) or modules_vit.MODULES[op]) + "\n"


def export_python(ws, model_id: str, path: str | Path) -> dict:
    """Write the model as `path` (a .py file) plus its weights as `<stem>.safetensors` beside it."""
    record = ws.get_model(model_id)
    path = Path(path)
    if path.suffix != ".py":
        raise ValueError(f"{path}: expected a .py file name")
    weights = path.with_suffix(".safetensors")
    source = python_source(record["spec"], record["id"], record["name"],
                           (record.get("hparams") or {}).get("normalization"), weights.name,
                           convert_of(record), fit_of(record))
    path.write_text(source, encoding="utf-8")
    shutil.copyfile(ws.model_path(record["id"], "weights.safetensors"), weights)
    return {"format": "python", "path": str(path), "weights": str(weights), "model_id": record["id"],
            "lines": source.count("\n")}
