r"""Feature extraction from a (pre-trained, frozen) text encoder: masked-mean-pooled layer outputs.

For padded ids :math:`x \in \{0, \dots, V-1\}^{n \times T}` (0 = padding) and the per-token outputs
:math:`h^{(l)} \in \mathbb{R}^{n \times T \times d}` of the named layers, :func:`masked_mean_features` returns

.. math::

    f_i = \big[\bar h^{(l_1)}_i, \dots, \bar h^{(l_k)}_i\big], \qquad
    \bar h^{(l)}_i = \frac{\sum_{t: x_{it} \neq 0} h^{(l)}_{it}}{\max(1, |\{t: x_{it} \neq 0\}|)},

the concatenation of each layer's mean over the real tokens (an all-padding row gives zeros), computed in
inference mode (no dropout). The encoder stays frozen: the features feed a separate classifier, e.g. a
logistic regression.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from brickwork.models import Model


def masked_mean_features(model: Model, ids: Any, layer_names: Sequence[str], padding_id: int = 0,
                         batch_size: int = 256) -> np.ndarray:
    """``(n, sum of widths)`` masked means of the outputs of ``layer_names`` in the Functional ``model``
    (whose single input takes ``ids``), concatenated in the order given (see the module docstring).

    Raises:
        ValueError: ``ids`` not 2-D, no layer names, or a name that is not a layer of ``model`` (named), or a
            layer whose output is not ``(batch, T, d)``.
    """
    ids = np.asarray(ids)
    if ids.ndim != 2:
        raise ValueError(f"masked_mean_features: ids must have shape (batch, sequence); got {ids.shape}.")
    names = list(layer_names)
    if not names:
        raise ValueError("masked_mean_features: layer_names must name at least one layer.")
    known = {layer.name for layer in model.layers}
    for name in names:
        if name not in known:
            raise ValueError(f"masked_mean_features: model '{model.name}' has no layer '{name}'.")
    outputs = [model.get_layer(name).output for name in names]
    extractor = Model(model.inputs, outputs, name=f"{model.name}_features")
    hidden = extractor.predict(ids, batch_size=batch_size, verbose=0)
    hidden = [np.asarray(h, dtype=np.float64) for h in (hidden if isinstance(hidden, list) else [hidden])]
    real = (ids != padding_id).astype(np.float64)[:, :, None]
    count = np.maximum(real.sum(axis=1), 1.0)
    features = []
    for name, h in zip(names, hidden):
        if h.ndim != 3 or h.shape[:2] != ids.shape:
            raise ValueError(f"masked_mean_features: layer '{name}' outputs shape {h.shape}, not "
                             f"(batch, {ids.shape[1]}, d).")
        features.append((h * real).sum(axis=1) / count)
    return np.concatenate(features, axis=1)


__all__ = ["masked_mean_features"]
