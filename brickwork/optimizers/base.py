"""The :class:`Optimizer` base: learning rate (or schedule), gradient clipping,
weight decay, per-variable state, and the update loop."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from brickwork.backend import get_array_module
from brickwork.engine.device import is_device_array, to_device, to_host
from brickwork.engine.variable import Variable


def check_number(owner: str, name: str, value: Any, low: float = 0.0, low_open: bool = False,
                 high: float | None = None, high_open: bool = False, allow_none: bool = False) -> Any:
    """``value`` if it is a finite number in the interval, else a ValueError naming ``owner`` and ``name``.

    The interval is ``[low, high]``; ``low_open`` / ``high_open`` exclude an end.
    """
    if value is None and allow_none:
        return None
    left, right = "(" if low_open else "[", ")" if high_open else "]"
    interval = f"{left}{low:g}, {'inf' if high is None else f'{high:g}'}{right if high is not None else ')'}"
    try:
        number = float(value) if not isinstance(value, (bool, np.bool_, str)) else None
    except (TypeError, ValueError):
        number = None
    ok = number is not None and math.isfinite(number)
    if ok:
        ok = (number > low if low_open else number >= low) and (
            high is None or (number < high if high_open else number <= high))
    if not ok:
        raise ValueError(f"{owner}: {name} must be a finite number in {interval}; got {name}={value!r}.")
    return value


class Optimizer:
    """Base class of the optimizers.

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule
        :math:`\\lambda` in seed 002's update rules; a schedule is called with the
        step number.
    clipnorm : float, optional
        Rescale each gradient so that its L2 norm is at most this.
    clipvalue : float, optional
        Clip every gradient element to ``[-clipvalue, clipvalue]``.
    global_clipnorm : float, optional
        Rescale all gradients together so that their joint L2 norm is at most this.
    weight_decay : float, optional
        Decoupled decay :math:`w \\leftarrow w - \\lambda\\,\\text{wd}\\,w` before each update.
    gradient_decay : float, optional
        L2 decay added to the gradient, :math:`g \\leftarrow g + \\text{gd}\\,w` (what PyTorch's
        ``SGD`` and ``Adam`` call ``weight_decay``; it passes through momentum and Adam's moments).

    PyTorch's construction is accepted too: ``SGD(model.parameters(), lr=0.05, momentum=0.9)``
    maps torch's names and defaults (see :mod:`brickwork.optimizers.torch_style`) and keeps the
    variables, so that ``loss.backward(); optimizer.step(); optimizer.zero_grad()`` trains them.

    Subclasses implement ``build_slots(var)`` (state arrays for one variable)
    and ``update(var, grad, slots, lr)``, which changes ``var.data`` in place.
    """

    _slot_names: tuple[str, ...] = ()

    def __init__(self, learning_rate: Any = 0.001, weight_decay: float | None = None,
                 clipnorm: float | None = None, clipvalue: float | None = None,
                 global_clipnorm: float | None = None, name: str | None = None, gradient_decay: float = 0.0,
                 **kwargs: Any) -> None:
        if "lr" in kwargs:
            learning_rate = kwargs.pop("lr")
        if kwargs:
            raise TypeError(f"Unrecognized keyword argument(s) passed to {type(self).__name__}: {sorted(kwargs)}")
        if clipnorm is not None and global_clipnorm is not None:
            raise ValueError("Only one of clipnorm and global_clipnorm can be set.")
        owner = type(self).__name__
        for arg, value in (("clipnorm", clipnorm), ("clipvalue", clipvalue), ("global_clipnorm", global_clipnorm)):
            check_number(owner, arg, value, low_open=True, allow_none=True)
        check_number(owner, "weight_decay", weight_decay, allow_none=True)
        check_number(owner, "gradient_decay", gradient_decay)
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.gradient_decay = float(gradient_decay)
        self._params: list[Variable] | None = None  # the variables of a PyTorch-style construction
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.name = name or type(self).__name__.lower()
        self.iterations = 0
        self._slots: dict[int, dict[str, np.ndarray]] = {}
        self._variables: list[Variable] = []
        self._work: dict[Any, Any] = {}  # reusable scratch arrays of the in-place updates (never saved)
        self._no_decay_ids: set[int] = set()
        self._no_decay_pattern: re.Pattern[str] | None = None
        self._decay_cache: dict[int, bool] = {}

    # -------------------------------------------------------- learning rate
    @property
    def learning_rate(self) -> float:
        """The current learning rate (a schedule is evaluated at ``iterations``)."""
        lr = self._learning_rate
        return float(lr(self.iterations)) if callable(lr) else float(lr)

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        if not callable(value):  # a schedule is called with the step number
            check_number(type(self).__name__, "learning_rate", value)
        self._learning_rate = value

    @property
    def has_schedule(self) -> bool:
        """Whether the learning rate is a schedule (a callable of the step) rather than a number."""
        return callable(self._learning_rate)

    lr = learning_rate

    # ------------------------------------------------------------- clipping
    def _clip(self, grads: list[np.ndarray]) -> list[np.ndarray]:
        xp = get_array_module(*grads)
        if self.clipnorm is not None:
            out = []
            for g in grads:
                norm = float(xp.sqrt(xp.sum(g * g, dtype=np.float64)))
                out.append(g * (self.clipnorm / norm) if norm > self.clipnorm else g)
            grads = out
        if self.global_clipnorm is not None:
            scale = self._global_clip_scale(grads)
            if scale is not None:
                grads = [g * scale for g in grads]
        if self.clipvalue is not None:
            grads = [xp.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    # ---------------------------------------------------------------- state
    def build_slots(self, var: Variable) -> dict[str, np.ndarray]:
        xp = get_array_module(var.data)
        return {name: xp.zeros_like(var.data) for name in self._slot_names}

    def _slots_for(self, var: Variable) -> dict[str, np.ndarray]:
        slots = self._slots.get(id(var))
        if slots is None:
            slots = self.build_slots(var)
            self._slots[id(var)] = slots
            self._variables.append(var)
        return slots

    def update(self, var: Variable, grad: np.ndarray, slots: dict[str, np.ndarray], lr: float) -> None:
        raise NotImplementedError

    def fused_update(self, var: Variable, grad: np.ndarray, slots: dict[str, np.ndarray], lr: float,
                     decay: Any, grad_scale: float | None) -> bool:
        """The whole step of one variable in one compiled pass, if this rule has one and it takes these arrays
        (``apply`` asks only when the ``optimizer`` kernel family is on): the gradient times ``grad_scale``
        (global clipping; None: 1), then :math:`w \\leftarrow w - w\\,\\text{decay}` (None: no weight decay),
        then :meth:`update` — the same operations as ``apply``'s NumPy path, in its order. Returns False to
        leave the variable to that path."""
        return False

    def _global_clip_scale(self, grads: list[np.ndarray]) -> float | None:
        """``global_clipnorm / ‖g‖`` over all gradients when the norm exceeds it (what :meth:`_clip` multiplies
        every gradient by), else None."""
        xp = get_array_module(*grads)
        norm = float(xp.sqrt(sum(xp.sum(g * g, dtype=np.float64) for g in grads)))
        return self.global_clipnorm / norm if norm > self.global_clipnorm else None

    def work_arrays(self, var: Variable, count: int = 2) -> tuple[np.ndarray, ...]:
        """``count`` scratch arrays shaped like ``var`` for an in-place update, so that a step allocates
        no temporaries. They are views of one buffer per dtype and slot number, shared by all variables
        (updates run one variable at a time) and grown to the largest; not part of the optimizer state."""
        key = id(var)
        views = self._work.get(key)
        data = var.data
        if views is None or len(views) < count or views[0].shape != data.shape or views[0].dtype != data.dtype \
                or type(views[0]) is not type(data):
            xp = get_array_module(data)
            made = []
            for k in range(count):
                pool_key = ("pool", data.dtype.str, k, type(data))
                buf = self._work.get(pool_key)
                if buf is None or buf.size < data.size:
                    buf = xp.empty(data.size, data.dtype)
                    self._work[pool_key] = buf
                made.append(buf[:data.size].reshape(data.shape))
            views = tuple(made)
            self._work[key] = views
        return views

    # ----------------------------------------------------------- weight decay
    @property
    def built(self) -> bool:
        """Whether the optimizer has made its per-variable state (after its first update), as Keras's ``built``."""
        return bool(self._variables)

    def exclude_from_weight_decay(self, var_list: list[Variable] | None = None,
                                  var_names: list[str] | None = None) -> None:
        """Exclude variables from the decoupled weight decay (Keras 3's method; call it before the first update).

        Args:
            var_list: Variables to exclude.
            var_names: Regular-expression fragments (plain words such as ``"bias"`` or ``"gamma"`` in
                practice): a variable whose ``name`` contains a match of any of them is excluded, so
                ``var_names=["bias"]`` exempts every bias.

        Raises:
            ValueError: once the optimizer is built (it has updated variables), as Keras documents.
        """
        if self.built:
            raise ValueError(f"{type(self).__name__}: exclude_from_weight_decay() can only be configured before "
                             "the optimizer is built (before its first update).")
        self._no_decay_ids = {id(v) for v in var_list} if var_list else set()
        names = list(var_names) if var_names else []
        for n in names:
            if not isinstance(n, str):
                raise TypeError(f"{type(self).__name__}: exclude_from_weight_decay(var_names=...) takes strings; "
                                f"got {n!r}.")
        self._no_decay_pattern = re.compile("|".join(sorted(set(names)))) if names else None
        self._decay_cache = {}

    def _use_weight_decay(self, var: Variable) -> bool:
        """Whether ``var`` receives weight decay (not excluded by :meth:`exclude_from_weight_decay`)."""
        key = id(var)
        use = self._decay_cache.get(key)
        if use is None:
            use = key not in self._no_decay_ids and not (
                self._no_decay_pattern is not None and self._no_decay_pattern.search(str(var.name)) is not None)
            self._decay_cache[key] = use
        return use

    # ---------------------------------------------------------------- apply
    def apply_gradients(self, grads_and_vars: Iterable[tuple[Any, Variable]]) -> None:
        """Apply one update step, Keras style: ``apply_gradients(zip(grads, vars))``."""
        pairs = [(g, v) for g, v in grads_and_vars]
        self.apply([g for g, _ in pairs], [v for _, v in pairs])

    def apply(self, grads: list[Any], variables: list[Variable]) -> None:
        """Apply one update step to ``variables`` (``None`` gradients are skipped)."""
        xp = get_array_module(*grads)
        grad_list, var_list = [], []
        for g, v in zip(grads, variables):
            if g is not None:
                grad_list.append(g if type(g) is np.ndarray else xp.asarray(getattr(g, "data", g)))
                var_list.append(v)
        if not var_list:
            return
        fused = _optimizer_kernels_enabled()   # the compiled one-pass updates may run (asked once per step)
        grad_scale = None                        # global clipping's factor, applied as each gradient is used
        if self.clipnorm is not None or self.clipvalue is not None:
            grad_list = self._clip(grad_list)
        elif self.global_clipnorm is not None:
            grad_scale = self._global_clip_scale(grad_list)
        lr = self.learning_rate
        self.iterations += 1
        gradient_decay, weight_decay = self.gradient_decay, self.weight_decay
        slots = self._slots
        for g, var in zip(grad_list, var_list):
            data = var.data
            if g.shape != data.shape:
                raise ValueError(f"{type(self).__name__}: gradient of shape {g.shape} for variable "
                                 f"'{getattr(var, 'path', var.name)}' of shape {var.shape}.")
            decay = data.dtype.type(weight_decay * lr) if weight_decay and self._use_weight_decay(var) else None
            var_slots = slots.get(id(var))
            var_slots = var_slots if var_slots is not None else self._slots_for(var)
            if not (fused and g.dtype == data.dtype and not gradient_decay
                    and self.fused_update(var, g, var_slots, lr, decay, grad_scale)):
                if grad_scale is not None:
                    g = g * grad_scale
                if g.dtype != data.dtype:
                    g = g.astype(data.dtype)
                if gradient_decay:
                    g = g + data * data.dtype.type(gradient_decay)
                if decay is not None:
                    data -= data * decay
                self.update(var, g, var_slots, lr)
            if getattr(var, "constraint", None) is not None:
                var.data[...] = var.constraint(var.data)

    def minimize(self, loss: Any, var_list: list[Variable]) -> None:
        """Backpropagate ``loss`` and apply the gradients to ``var_list``."""
        for v in var_list:
            v.grad = None
        loss.backward()
        self.apply([v.grad for v in var_list], var_list)

    # ------------------------------------------------------ PyTorch's loop
    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__init__" in cls.__dict__:
            cls.__init__ = _accept_torch_construction(cls.__dict__["__init__"])  # type: ignore[method-assign]

    @property
    def params(self) -> list[Variable]:
        """The variables given PyTorch-style (``SGD(model.parameters(), ...)``).

        Raises:
            RuntimeError: for an optimizer built Keras-style (it learns its variables from fit).
        """
        if self._params is None:
            raise RuntimeError(f"{type(self).__name__} was built Keras-style, without parameters: build it as "
                               f"{type(self).__name__}(model.parameters(), lr=...) to call step() and zero_grad(), "
                               "or use apply_gradients / fit.")
        return list(self._params)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of the PyTorch-style parameters from their ``.grad`` (after ``loss.backward()``);
        parameters without a gradient are skipped. ``closure`` (re-evaluating and returning the loss)
        is called first, as torch; its value is returned."""
        loss = closure() if closure is not None else None
        params = self.params
        self.apply([v.grad for v in params], params)
        return loss

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the ``.grad`` of the PyTorch-style parameters (``None``, or zeros in place)."""
        for v in self.params:
            if set_to_none or v.grad is None:
                v.grad = None
            else:
                v.grad[...] = 0

    # --------------------------------------------------------- serialisation
    def get_config(self) -> dict[str, Any]:
        from brickwork.optimizers.schedules import serialize_schedule

        config = {"name": self.name, "learning_rate": serialize_schedule(self._learning_rate),
                  "weight_decay": self.weight_decay, "clipnorm": self.clipnorm, "clipvalue": self.clipvalue,
                  "global_clipnorm": self.global_clipnorm}
        if self.gradient_decay:
            config["gradient_decay"] = self.gradient_decay
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Optimizer:
        from brickwork.optimizers.schedules import deserialize_schedule

        config = dict(config)
        config["learning_rate"] = deserialize_schedule(config.get("learning_rate", 0.001))
        return cls(**config)

    def get_state(self, variables: list[Variable]) -> dict[str, np.ndarray]:
        """Slot arrays keyed ``'{variable index}/{slot}'`` for ``variables``, plus ``iterations``
        (NumPy arrays: slots on a GPU are copied to the host)."""
        state = {"iterations": np.asarray(self.iterations)}
        for i, v in enumerate(variables):
            for name, arr in self._slots.get(id(v), {}).items():
                state[f"{i}/{name}"] = to_host(arr)
        return state

    def to(self, device: str) -> Optimizer:
        """Move every slot array to ``device`` (``model.to`` calls this); returns the optimizer."""
        for slots in self._slots.values():
            for name, arr in slots.items():
                slots[name] = to_device(arr, device)
        return self

    def set_state(self, variables: list[Variable], state: dict[str, np.ndarray]) -> None:
        self.iterations = int(state.get("iterations", 0))
        for i, v in enumerate(variables):
            names = [k.split("/", 1)[1] for k in state if k.startswith(f"{i}/")]
            if names:
                slots = self._slots_for(v)
                for name in names:
                    value = to_device(np.asarray(state[f"{i}/{name}"]), "gpu" if is_device_array(v.data) else "cpu")
                    slots[name] = value.astype(v.dtype) if value.dtype.kind == "f" else value


def _optimizer_kernels_enabled() -> bool:
    from brickwork import kernels

    return kernels.enabled("optimizer")


def _accept_torch_construction(init: Callable[..., None]) -> Callable[..., None]:
    """``init`` that also takes PyTorch's ``(params, lr=..., ...)`` (see :mod:`brickwork.optimizers.torch_style`)."""
    from brickwork.optimizers import torch_style

    @functools.wraps(init)
    def wrapper(self: Optimizer, *args: Any, **kwargs: Any) -> None:
        if "params" in kwargs or (args and torch_style.is_parameter_iterable(args[0])):
            params, rest = (kwargs.pop("params"), args) if "params" in kwargs else (args[0], args[1:])
            owner = type(self).__name__
            variables = torch_style.parameter_list(owner, params)
            init(self, **torch_style.keras_arguments(owner, rest, kwargs))
            self._params = variables
            return
        init(self, *args, **kwargs)

    return wrapper
