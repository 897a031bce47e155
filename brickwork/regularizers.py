"""Weight penalties added to the loss (Keras ``kernel_regularizer=...``).

Seed 002 writes the L2 cost as
:math:`\\frac1n\\sum_i L(y_i,\\hat y_i) + \\frac{\\lambda}{2n}\\sum_l \\|W^l\\|_F^2`;
Keras (and so brickwork) adds :math:`\\lambda \\sum W^2` to the mean loss,
i.e. the seed's :math:`\\lambda/(2n)` is Keras's ``l2``.
"""

from __future__ import annotations

from typing import Any

from brickwork import functions as F
from brickwork.engine.tensor import Tensor
from brickwork.utils.registry import Catalog


class Regularizer:
    """Base class: ``penalty = regularizer(weight)``."""

    def __call__(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Regularizer:
        return cls(**config)


class L1L2(Regularizer):
    r""":math:`\ell_1 \sum |w| + \ell_2 \sum w^2`."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.l1, self.l2 = float(l1), float(l2)

    def __call__(self, x: Tensor) -> Tensor:
        total = None
        if self.l1:
            total = F.sum(F.abs(x)) * self.l1
        if self.l2:
            term = F.sum(F.square(x)) * self.l2
            total = term if total is None else total + term
        return total if total is not None else Tensor(0.0, dtype=x.dtype)

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    r""":math:`\ell_1 \sum |w|` (Keras default ``l1=0.01``)."""

    def __init__(self, l1: float = 0.01) -> None:
        super().__init__(l1=l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(L1L2):
    r""":math:`\ell_2 \sum w^2` (Keras default ``l2=0.01``)."""

    def __init__(self, l2: float = 0.01) -> None:
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}


def l1(l1: float = 0.01) -> L1:  # noqa: E741 - Keras's name
    return L1(l1)


def l2(l2: float = 0.01) -> L2:
    return L2(l2)


def l1_l2(l1: float = 0.01, l2: float = 0.01) -> L1L2:  # noqa: E741 - Keras's name
    return L1L2(l1, l2)


_CLASSES = {"L1": L1, "L2": L2, "L1L2": L1L2}
_NAMES = {"l1": L1, "l2": L2, "l1_l2": lambda: L1L2(0.01, 0.01)}


_CATALOG = Catalog("regularizer", Regularizer, _NAMES, _CLASSES)
get, serialize, deserialize = _CATALOG.get, _CATALOG.serialize, _CATALOG.deserialize
