"""``HyperModel``: a class whose ``build(hp)`` makes a compiled model and whose ``fit`` trains it."""

from __future__ import annotations

from typing import Any


class HyperModel:
    """Subclass and define ``build(hp)``; override ``fit(hp, model, *args, **kwargs)`` to tune training too."""

    def __init__(self, name: str | None = None, tunable: bool = True) -> None:
        self.name, self.tunable = name, tunable

    def build(self, hp: Any) -> Any:
        """A compiled model for hyperparameters ``hp``."""
        raise NotImplementedError("HyperModel subclasses must define build(hp).")

    def fit(self, hp: Any, model: Any, *args: Any, **kwargs: Any) -> Any:
        """Train ``model``; the default is ``model.fit(*args, **kwargs)``."""
        return model.fit(*args, **kwargs)


class FunctionHyperModel(HyperModel):
    """Wraps a ``build(hp)`` function."""

    def __init__(self, build: Any) -> None:
        super().__init__(name=getattr(build, "__name__", None))
        self._build = build

    def build(self, hp: Any) -> Any:
        return self._build(hp)


def to_hypermodel(hypermodel: Any) -> HyperModel:
    """A :class:`HyperModel` from a ``HyperModel`` or a ``build(hp)`` callable."""
    if isinstance(hypermodel, HyperModel):
        return hypermodel
    if callable(hypermodel):
        return FunctionHyperModel(hypermodel)
    raise TypeError(f"hypermodel must be a function build(hp) or a HyperModel; got {hypermodel!r}.")
