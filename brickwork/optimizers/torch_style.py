"""PyTorch's way of building an optimizer: ``SGD(model.parameters(), lr=0.05, momentum=0.9)``.

An optimizer whose first positional argument is an iterable of variables (or of
``(name, variable)`` pairs, as ``named_parameters()`` yields) is built from PyTorch's
argument names and defaults, mapped to brickwork's (Keras's) ones, and remembers the
variables for :meth:`~brickwork.optimizers.Optimizer.step` and
:meth:`~brickwork.optimizers.Optimizer.zero_grad`:

=========  ====================================  ==========================================
torch      brickwork                             notes
=========  ====================================  ==========================================
``lr``     ``learning_rate``                     torch's defaults (SGD 1e-3, Adam 1e-3)
``betas``  ``beta_1``, ``beta_2``
``eps``    ``epsilon``                           added outside the bias-corrected root, as torch
SGD/Adam   ``gradient_decay``                    L2: ``weight_decay * w`` added to the gradient
``weight_decay``
AdamW      ``weight_decay``                      decoupled, as Keras's AdamW (torch default 1e-2)
``weight_decay``
=========  ====================================  ==========================================

``foreach``, ``fused``, ``capturable`` and ``differentiable`` choose torch kernels and
are accepted and ignored; ``maximize=True``, SGD's ``dampening`` and parameter groups
(dicts) are refused with a message naming them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from brickwork.engine.variable import Variable

# per optimizer: torch's positional order after params, and torch's defaults
_SIGNATURES: dict[str, tuple[tuple[str, Any], ...]] = {
    "SGD": (("lr", 1e-3), ("momentum", 0.0), ("dampening", 0.0), ("weight_decay", 0.0), ("nesterov", False)),
    "Adam": (("lr", 1e-3), ("betas", (0.9, 0.999)), ("eps", 1e-8), ("weight_decay", 0.0), ("amsgrad", False)),
    "AdamW": (("lr", 1e-3), ("betas", (0.9, 0.999)), ("eps", 1e-8), ("weight_decay", 1e-2), ("amsgrad", False)),
}
_KEYWORD_ONLY = {"SGD": {"maximize": False}, "Adam": {"maximize": False, "decoupled_weight_decay": False},
                 "AdamW": {"maximize": False}}
_IGNORED = ("foreach", "fused", "capturable", "differentiable")


def is_parameter_iterable(value: Any) -> bool:
    """Whether ``value`` is what PyTorch passes first: parameters, not a learning rate."""
    if isinstance(value, (str, bytes, dict, int, float, np.generic)) or callable(value):
        return False
    if isinstance(value, np.ndarray):
        return False
    return isinstance(value, (Iterable, Variable))


def parameter_list(owner: str, params: Any) -> list[Variable]:
    """The variables of ``params`` (an iterable of Variables or of ``(name, Variable)`` pairs).

    Raises:
        TypeError: naming ``params`` and the first item that is not a Variable.
        ValueError: for an empty list (as torch) or parameter groups (dicts).
    """
    if isinstance(params, Variable):
        raise TypeError(f"{owner}: params must be an iterable of Variables (e.g. model.parameters()), got a single "
                        f"Variable '{params.path}'; pass [variable].")
    items = list(params)
    if not items:
        raise ValueError(f"{owner}: params is an empty parameter list. A brickwork layer makes its variables when "
                         "it is first called: call the model on a batch (or build() it) before model.parameters().")
    out: list[Variable] = []
    for i, item in enumerate(items):
        if isinstance(item, dict):
            raise ValueError(f"{owner}: params[{i}] is a parameter group (a dict); parameter groups are not "
                             "supported: pass one iterable of Variables and one set of arguments.")
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
            item = item[1]
        if not isinstance(item, Variable):
            raise TypeError(f"{owner}: params[{i}] is a {type(item).__name__}, not a brickwork Variable; pass "
                            "model.parameters() (or model.trainable_weights).")
        if not item.trainable:
            raise ValueError(f"{owner}: params[{i}] '{item.path}' is not trainable; it receives no gradient.")
        out.append(item)
    return out


def keras_arguments(owner: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """brickwork's keyword arguments for a torch-style call ``owner(params, *args, **kwargs)``.

    Raises:
        TypeError: for an argument name torch's ``owner`` does not take (named in the message),
            too many positional arguments, or an argument given twice.
        ValueError: for torch options brickwork does not implement (``maximize``, ``dampening``).
    """
    if owner not in _SIGNATURES:
        raise TypeError(f"{owner} does not take PyTorch-style parameters; build it Keras-style "
                        f"({owner}(learning_rate=...)). PyTorch-style construction is available for "
                        f"{sorted(_SIGNATURES)}.")
    order = _SIGNATURES[owner]
    if len(args) > len(order):
        raise TypeError(f"{owner}(params, ...) takes at most {len(order)} positional arguments after params "
                        f"({', '.join(n for n, _ in order)}); got {len(args)}.")
    given: dict[str, Any] = {}
    for (name, _), value in zip(order, args):
        given[name] = value
    allowed = {n for n, _ in order} | set(_KEYWORD_ONLY[owner]) | set(_IGNORED)
    for name, value in kwargs.items():
        if name not in allowed:
            hint = " (the PyTorch name is 'lr')" if name == "learning_rate" else ""
            raise TypeError(f"{owner}(params, ...) got an unexpected keyword argument {name!r}{hint}; PyTorch's "
                            f"{owner} takes {sorted(allowed)}.")
        if name in given:
            raise TypeError(f"{owner}(params, ...) got multiple values for argument {name!r}.")
        given[name] = value
    torch = {**dict(order), **_KEYWORD_ONLY[owner], **given}
    if torch["maximize"]:
        raise ValueError(f"{owner}: maximize=True is not supported; minimise the negated objective instead.")
    if torch.get("dampening"):
        raise ValueError(f"{owner}: dampening={torch['dampening']!r} is not supported (only dampening=0).")
    out: dict[str, Any] = {"learning_rate": torch["lr"]}
    if owner == "SGD":
        out.update(momentum=torch["momentum"], nesterov=torch["nesterov"])
        if torch["nesterov"] and not torch["momentum"]:
            raise ValueError("SGD: nesterov=True requires a momentum > 0 (as torch).")
    else:
        betas = torch["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"{owner}: betas must be a pair (beta_1, beta_2); got betas={betas!r}.")
        out.update(beta_1=betas[0], beta_2=betas[1], epsilon=torch["eps"], amsgrad=torch["amsgrad"],
                   epsilon_outside=True)
    decay = torch["weight_decay"]
    if owner == "AdamW" or torch.get("decoupled_weight_decay"):
        out["weight_decay"] = decay  # decoupled: w <- w - lr * wd * w, as Keras's AdamW
    elif decay:
        out["gradient_decay"] = decay  # torch's SGD and Adam: L2, wd * w added to the gradient
    return out
