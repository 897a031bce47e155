"""Storing the Python function of a ``Lambda`` layer, and refusing to run it
unless the user says the file is trusted."""

from __future__ import annotations

import base64
import marshal
import sys
import types
from typing import Any

UNSAFE_MESSAGE = (
    "The file holds a Lambda layer whose Python byte code would be executed to load it. Loading code from a "
    "file can do anything on this machine, so brickwork refuses by default. If you trust the file's source, "
    "pass safe_mode=False to load_model()."
)


def serialize_function(fn: Any) -> dict[str, Any]:
    """A named function of brickwork (or a registered one) is stored by name; anything
    else as marshalled byte code with its defaults and closure values."""
    from brickwork import activations
    from brickwork.utils.registry import _REGISTRY

    for name, f in list(activations._ACTIVATIONS.items()) + list(_REGISTRY.items()):
        if f is fn:
            return {"kind": "registered", "name": name}
    code = getattr(fn, "__code__", None)
    if code is None:
        raise ValueError(f"Cannot save Lambda function {fn!r}: it is not a Python function.")
    closure = None
    if fn.__closure__:
        closure = [_plain(c.cell_contents) for c in fn.__closure__]
    return {
        "kind": "bytecode",
        "python": f"{sys.version_info[0]}.{sys.version_info[1]}",
        "code": base64.b64encode(marshal.dumps(code)).decode("ascii"),
        "defaults": None if fn.__defaults__ is None else [_plain(d) for d in fn.__defaults__],
        "closure": closure,
    }


def _plain(value: Any) -> Any:
    if isinstance(value, (int, float, str, bool, type(None))):
        return value
    if isinstance(value, (list, tuple)) and all(isinstance(v, (int, float, str, bool)) for v in value):
        return list(value)
    raise ValueError(f"Cannot save a Lambda whose function captures {type(value).__name__} values; "
                     "use a subclassed layer instead.")


def deserialize_function(data: dict[str, Any], safe_mode: bool = True, custom_objects: Any = None) -> Any:
    from brickwork import activations
    from brickwork.utils.registry import lookup

    if data.get("kind") == "registered":
        name = data["name"]
        return activations._ACTIVATIONS.get(name) or lookup(name, custom_objects, kind="function")
    if data.get("kind") != "bytecode":
        raise ValueError(f"Unknown Lambda function record {data.get('kind')!r}.")
    if safe_mode:
        raise ValueError(UNSAFE_MESSAGE)
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    if data.get("python") != version:
        raise ValueError(f"The Lambda's byte code was written by Python {data.get('python')} and cannot run on "
                         f"Python {version}.")
    code = marshal.loads(base64.b64decode(data["code"]))
    import brickwork
    from brickwork import functions

    namespace = {"__builtins__": __builtins__, "brickwork": brickwork, "F": functions, "functions": functions}
    namespace.update(custom_objects or {})
    closure = None
    if data.get("closure") is not None:
        closure = tuple(types.CellType(v) for v in data["closure"])
    defaults = None if data.get("defaults") is None else tuple(data["defaults"])
    return types.FunctionType(code, namespace, None, defaults, closure)
