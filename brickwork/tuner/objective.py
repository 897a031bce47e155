"""``Objective``: the logged metric a search optimises and its direction (KerasTuner's)."""

from __future__ import annotations

from typing import Any


class Objective:
    """A metric name from the History (``'val_accuracy'``) and ``direction`` ``'min'`` or ``'max'``."""

    def __init__(self, name: str, direction: str) -> None:
        if direction not in ("min", "max"):
            raise ValueError(f"Objective('{name}'): direction must be 'min' or 'max'; got {direction!r}.")
        self.name, self.direction = name, direction

    def __repr__(self) -> str:
        return f'Objective(name="{self.name}", direction="{self.direction}")'

    def better(self, a: float, b: float) -> bool:
        """Whether ``a`` is better than ``b``."""
        return a < b if self.direction == "min" else a > b

    def best_of(self, values: list[float]) -> float:
        """The best epoch's value (KerasTuner scores a trial by its best epoch)."""
        return min(values) if self.direction == "min" else max(values)


def to_objective(objective: Any) -> Objective:
    """A string (direction guessed as KerasTuner does: ``*loss*``/``*error*`` minimised, else maximised)
    or an :class:`Objective`."""
    if isinstance(objective, Objective):
        return objective
    if isinstance(objective, str) and objective:
        low = objective.lower()
        minimise = "loss" in low or "error" in low or low.endswith(("mae", "mse", "mape"))
        return Objective(objective, "min" if minimise else "max")
    raise ValueError(f"objective must be a metric name such as 'val_accuracy' or an Objective; got {objective!r}.")
