"""``HyperParameters``: KerasTuner's search-space API (``Int``, ``Float``, ``Choice``, ``Boolean``, ``Fixed``,
``conditional_scope``), each call answered by an Optuna trial when a search runs.

Outside a search (no trial) every hyperparameter takes its default, so ``build(HyperParameters())``
builds the default configuration.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from typing import Any


class HyperParameters:
    """The hyperparameters of one trial: ``hp.Int('units', 32, 512, step=32)`` returns this trial's value.

    Args:
        trial: An ``optuna.trial.Trial`` (set by the tuner); ``None`` answers every call with its default.
    """

    def __init__(self, trial: Any = None) -> None:
        self.trial = trial
        self.space: dict[str, dict[str, Any]] = {}
        self.values: dict[str, Any] = {}
        self._conditions: list[tuple[str, list[Any]]] = []

    # -------------------------------------------------------------- scopes
    @contextlib.contextmanager
    def conditional_scope(self, parent_name: str, parent_values: Any) -> Iterator[None]:
        """Hyperparameters defined inside are active only when ``parent_name`` takes one of ``parent_values``
        (inactive ones return ``None`` and are not sampled)."""
        if parent_name not in self.space:
            raise ValueError(f"conditional_scope: `{parent_name}` must be defined before it conditions others.")
        values = list(parent_values) if isinstance(parent_values, (list, tuple, set)) else [parent_values]
        self._conditions.append((parent_name, values))
        try:
            yield
        finally:
            self._conditions.pop()

    def is_active(self, name: str | None = None) -> bool:
        """Whether the current scope (or hyperparameter ``name``'s scope) is active."""
        conditions = self._conditions if name is None else self.space[name].get("conditions", [])
        return all(self.values.get(parent) in values for parent, values in conditions)

    # -------------------------------------------------------------- values
    def _register(self, name: str, spec: dict[str, Any], suggest: Any) -> Any:
        if not isinstance(name, str) or not name:
            raise ValueError(f"A hyperparameter needs a non-empty string name; got {name!r}.")
        spec["conditions"] = list(self._conditions)
        self.space.setdefault(name, spec)
        if not self.is_active():
            return None
        if name in self.values:
            return self.values[name]
        value = suggest() if self.trial is not None else spec["default"]
        self.values[name] = value
        return value

    def Int(self, name: str, min_value: int, max_value: int, step: int | None = None, sampling: str = "linear",
            default: int | None = None, parent_name: str | None = None, parent_values: Any = None) -> int | None:
        """An integer in ``[min_value, max_value]`` (``step`` apart; ``sampling='log'`` for a log scale)."""
        if int(min_value) > int(max_value):
            raise ValueError(f"hp.Int('{name}'): min_value {min_value} > max_value {max_value}.")
        _check_sampling(name, sampling, min_value)
        log = sampling == "log"
        step_ = 1 if step is None or log else int(step)
        spec = {"type": "Int", "min_value": int(min_value), "max_value": int(max_value), "step": step_,
                "sampling": sampling, "default": int(min_value) if default is None else int(default)}
        with self._parent(parent_name, parent_values):
            return self._register(name, spec, lambda: self.trial.suggest_int(
                name, int(min_value), int(max_value), step=step_, log=log))

    def Float(self, name: str, min_value: float, max_value: float, step: float | None = None,
              sampling: str = "linear", default: float | None = None, parent_name: str | None = None,
              parent_values: Any = None) -> float | None:
        """A float in ``[min_value, max_value]``; ``sampling='log'`` samples its logarithm uniformly."""
        if float(min_value) > float(max_value):
            raise ValueError(f"hp.Float('{name}'): min_value {min_value} > max_value {max_value}.")
        _check_sampling(name, sampling, min_value)
        log = sampling == "log"
        spec = {"type": "Float", "min_value": float(min_value), "max_value": float(max_value), "step": step,
                "sampling": sampling, "default": float(min_value) if default is None else float(default)}
        with self._parent(parent_name, parent_values):
            return self._register(name, spec, lambda: self.trial.suggest_float(
                name, float(min_value), float(max_value), step=None if log else step, log=log))

    def Choice(self, name: str, values: list[Any], ordered: bool | None = None, default: Any = None,
               parent_name: str | None = None, parent_values: Any = None) -> Any:
        """One of ``values`` (numbers, strings or booleans)."""
        values = list(values)
        if not values:
            raise ValueError(f"hp.Choice('{name}'): values must not be empty.")
        if default is not None and default not in values:
            raise ValueError(f"hp.Choice('{name}'): default {default!r} is not one of {values}.")
        spec = {"type": "Choice", "values": values, "ordered": ordered,
                "default": values[0] if default is None else default}
        with self._parent(parent_name, parent_values):
            return self._register(name, spec, lambda: self.trial.suggest_categorical(name, values))

    def Boolean(self, name: str, default: bool = False, parent_name: str | None = None,
                parent_values: Any = None) -> bool | None:
        """``True`` or ``False``."""
        spec = {"type": "Boolean", "values": [False, True], "default": bool(default)}
        with self._parent(parent_name, parent_values):
            return self._register(name, spec, lambda: self.trial.suggest_categorical(name, [False, True]))

    def Fixed(self, name: str, value: Any, parent_name: str | None = None, parent_values: Any = None) -> Any:
        """A constant, recorded with the trial's hyperparameters."""
        spec = {"type": "Fixed", "value": value, "default": value}
        with self._parent(parent_name, parent_values):
            return self._register(name, spec, lambda: value)

    @contextlib.contextmanager
    def _parent(self, parent_name: str | None, parent_values: Any) -> Iterator[None]:
        if parent_name is None:
            yield
            return
        with self.conditional_scope(parent_name, parent_values):
            yield

    def get(self, name: str) -> Any:
        """The value of hyperparameter ``name`` in this trial."""
        if name in self.values:
            return self.values[name]
        if name in self.space:
            return None  # defined but inactive
        raise KeyError(f"Unknown hyperparameter '{name}'; known: {sorted(self.space)}.")

    def __getitem__(self, name: str) -> Any:
        return self.get(name)

    def __contains__(self, name: str) -> bool:
        return name in self.values

    def grid_values(self, name: str) -> list[Any]:
        """Every value a grid search tries for ``name`` (``Float`` needs a ``step``)."""
        spec = self.space[name]
        kind = spec["type"]
        if kind in ("Choice", "Boolean"):
            return list(spec["values"])
        if kind == "Fixed":
            return [spec["value"]]
        if kind == "Int":
            if spec["sampling"] == "log":
                raise ValueError(f"GridSearch: hp.Int('{name}', sampling='log') has no grid; give a step instead.")
            return list(range(spec["min_value"], spec["max_value"] + 1, spec["step"]))
        if spec["step"] is None:
            raise ValueError(f"GridSearch: hp.Float('{name}') needs a step to have a grid.")
        n = int(math.floor((spec["max_value"] - spec["min_value"]) / spec["step"] + 1e-9)) + 1
        return [spec["min_value"] + i * spec["step"] for i in range(n)]

    def summary(self) -> str:
        """One line per hyperparameter: its name, kind and range (KerasTuner's ``search_space_summary``)."""
        lines = [f"Search space summary\nDefault search space size: {len(self.space)}"]
        for name, spec in self.space.items():
            shown = {k: v for k, v in spec.items() if k not in ("type", "conditions") and v is not None}
            if spec.get("conditions"):
                shown["conditions"] = spec["conditions"]
            lines.append(f"{name} ({spec['type']})\n{shown}")
        return "\n".join(lines)


def _check_sampling(name: str, sampling: str, min_value: float) -> None:
    if sampling not in ("linear", "log", "reverse_log"):
        raise ValueError(f"hyperparameter '{name}': sampling must be 'linear' or 'log'; got {sampling!r}.")
    if sampling == "reverse_log":
        raise NotImplementedError(f"hyperparameter '{name}': sampling='reverse_log' is not supported.")
    if sampling == "log" and min_value <= 0:
        raise ValueError(f"hyperparameter '{name}': sampling='log' needs min_value > 0; got {min_value}.")
