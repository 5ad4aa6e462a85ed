"""Turning pydantic validation errors and node ids into Issues that name node, field, expected and found."""
from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, ValidationError

from .issues import Issue
from .network import ID_PATTERN, INPUT

_ID_RE = re.compile(ID_PATTERN)

# dir(torch.nn.Module) and the attributes Module.__init__ sets (torch 2.x; a test checks the current torch):
# a node id becomes a submodule attribute, so it must not shadow any of them. Dunder names are reserved too.
MODULE_ATTRIBUTES = frozenset("""
T_destination _apply _backward_hooks _backward_pre_hooks _buffers _call_impl _compiled_call_impl _forward_hooks
_forward_hooks_always_called _forward_hooks_with_kwargs _forward_pre_hooks _forward_pre_hooks_with_kwargs
_get_backward_hooks _get_backward_pre_hooks _get_name _is_full_backward_hook _load_from_state_dict
_load_state_dict_post_hooks _load_state_dict_pre_hooks _maybe_warn_non_full_backward_hook _modules _named_members
_non_persistent_buffers_set _parameters _register_load_state_dict_pre_hook _register_state_dict_hook
_replicate_for_data_parallel _save_to_state_dict _slow_forward _state_dict_hooks _state_dict_pre_hooks _version
_wrapped_call_impl add_module apply bfloat16 buffers call_super_init children compile cpu cuda double dump_patches
eval extra_repr float forward get_buffer get_extra_state get_parameter get_submodule half ipu load_state_dict
modules mtia named_buffers named_children named_modules named_parameters parameters register_backward_hook
register_buffer register_forward_hook register_forward_pre_hook register_full_backward_hook
register_full_backward_pre_hook register_load_state_dict_post_hook register_load_state_dict_pre_hook
register_module register_parameter register_state_dict_post_hook register_state_dict_pre_hook requires_grad_
set_extra_state set_submodule share_memory state_dict to to_empty train training type xpu zero_grad
smart_apply
""".split())   # smart_apply: transformers adds it to nn.Module when it builds a model


def id_issue(node_id: str, where: str) -> Issue | None:
    """The problem with a node id, if any (`where` names the node in the issue)."""
    if not _ID_RE.match(node_id):
        return Issue("invalid_id", "node ids are a letter or _, then up to 63 letters, digits or _", node=where,
                     field="id", expected=ID_PATTERN, found=node_id)
    if node_id == INPUT or node_id in MODULE_ATTRIBUTES or (node_id.startswith("__") and node_id.endswith("__")):
        return Issue("reserved_id", f"'{node_id}' is reserved (the network input or a torch module attribute)",
                     node=where, field="id", expected="another id", found=node_id)
    return None


def jsonable(value: Any, limit: int = 200) -> Any:
    """`value` itself when it is small JSON, else a shortened text form (issues go to the UI and logs)."""
    try:
        text = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        text = None
    if text is not None and len(text) <= limit:
        return value
    text = text or repr(value)
    return text[:limit] + ("..." if len(text) > limit else "")


_UNION_TAGS = {"int", "float", "str", "bool", "list", "dict", "tuple", "none", "function-after"}


# pydantic's error types as a person would say what was expected (the rest: pydantic's own words, trimmed)
_PLAIN = {"int_parsing": "a whole number", "int_type": "a whole number", "int_from_float": "a whole number",
          "float_parsing": "a number", "float_type": "a number", "bool_parsing": "true or false",
          "bool_type": "true or false", "string_type": "text", "tuple_type": "a list", "list_type": "a list",
          "dict_type": "a mapping", "none_required": "nothing"}
_BOUNDS = {"greater_than_equal": ("ge", ">="), "greater_than": ("gt", ">"), "less_than_equal": ("le", "<="),
           "less_than": ("lt", "<")}


def _expected(err: dict, model: type[BaseModel] | None) -> Any:
    if err["type"] == "extra_forbidden" and model is not None:
        return sorted(model.model_fields)
    if err["type"] == "missing":
        return "a value"
    if err["type"] in _PLAIN:
        return _PLAIN[err["type"]]
    if err["type"] in _BOUNDS:
        key, sign = _BOUNDS[err["type"]]
        return f"a number {sign} {(err.get('ctx') or {}).get(key)}"
    msg = err.get("msg", "")
    for prefix in ("Input should be ", "Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix):]
    return msg.split(", unable to")[0]


def plain_error(err: dict) -> tuple[str, Any]:
    """(`expected ..., found ...` in plain words, the expectation) for one pydantic error."""
    expected = _expected(err, None)
    found = err.get("input")
    if err["type"] == "missing":
        return "a value is required", expected
    shown = f"'{found}'" if isinstance(found, str) else json.dumps(jsonable(found), default=str)
    return f"expected {expected}, found {shown}", expected


def pydantic_issues(exc: ValidationError, *, node: str | None, code: str, field_prefix: str = "",
                    model: type[BaseModel] | None = None) -> list[Issue]:
    """One issue per field: union types yield one pydantic error per member, merged into one expectation."""
    by_field: dict[str, list[dict]] = {}
    for err in exc.errors():
        # drop union-member tags such as 'constrained-int' or 'tuple[int, int]' that pydantic puts in locations
        loc = [str(x) for x in err["loc"]
               if isinstance(x, int) or (x.isidentifier() and x not in _UNION_TAGS)]
        by_field.setdefault(".".join(loc), []).append(err)
    issues = []
    for key, errs in by_field.items():
        field = ".".join(p for p in (field_prefix, key) if p) or None
        first = errs[0]
        expected = [_expected(e, model) for e in errs]
        expected = expected[0] if len(set(map(str, expected))) == 1 else " or ".join(dict.fromkeys(map(str, expected)))
        found = "nothing" if first["type"] == "missing" else jsonable(first.get("input"))
        if first["type"] == "extra_forbidden":
            msg = f"unknown field '{key.split('.')[-1]}'"
        elif first["type"] == "missing":
            msg = f"'{key}' is required"
        elif key:   # "stride: expected a whole number or a list, found 'ab'"
            shown = f"'{found}'" if isinstance(found, str) else json.dumps(found, default=str)
            msg = f"{key}: expected {expected}, found {shown}"
        else:
            msg = first.get("msg", "invalid")
        issues.append(Issue(code, msg, node=node, field=field, expected=expected, found=found))
    return issues
