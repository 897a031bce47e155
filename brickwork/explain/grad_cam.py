"""Grad-CAM (Selvaraju et al. 2017) and CAM (Zhou et al. 2016): where in the image a convolutional layer saw
the evidence for the explained output.

For feature maps :math:`A \\in \\mathbb{R}^{h \\times w \\times K}` (channels last) of a chosen layer and the
explained score :math:`y = f_t(x)`, Grad-CAM weighs each channel by its average gradient and sums:

.. math:: \\alpha_k = \\frac{1}{hw} \\sum_{i,j} \\frac{\\partial y}{\\partial A_{ijk}}, \\qquad
          L = \\mathrm{ReLU}\\Big(\\sum_k \\alpha_k A_{::k}\\Big).

CAM needs the architecture ``features -> GlobalAveragePooling -> Dense``; the channel weights are the Dense
kernel's column for the class, :math:`L = \\sum_k W_{kt} A_{::k}`. For that architecture, with no activation
between the pooling and the Dense layer, Grad-CAM of the Dense layer's output is CAM divided by :math:`hw`.
Both maps are upsampled to the input's spatial size (see :mod:`brickwork.explain.spatial`); the same
works in one dimension (``Conv1D`` on sequences) and three.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork.engine.config import enable_grad
from brickwork.engine.function import grad
from brickwork.engine.tensor import Tensor
from brickwork.explain.hooks import capture_output, find_layer, walk_layers
from brickwork.explain.spatial import resize_maps
from brickwork.explain.targets import as_batch, forward, resolve_target, selected, weights_frozen
from brickwork.layers.layer import Layer


def _spatial_maps(layer_name: str, a: np.ndarray, method: str) -> None:
    if a.ndim < 3:
        raise ValueError(f"{method}: layer '{layer_name}' outputs shape {a.shape}; it needs spatial feature maps "
                         "(batch, ..., channels), such as a convolutional layer's.")


def _finish(maps: np.ndarray, arr: np.ndarray, relu: bool, upsample: bool, mode: str) -> np.ndarray:
    if relu:
        maps = np.maximum(maps, 0.0)
    if upsample:
        maps = resize_maps(maps, tuple(arr.shape[1:maps.ndim]), mode)
    return maps.astype(arr.dtype)


def grad_cam(model: Any, x: Any, target: Any = None, layer: Any = None, relu_attributions: bool = True,
             upsample: bool = True, interpolate_mode: str = "bilinear") -> np.ndarray:
    """Grad-CAM heat maps, one per row, shaped like the input's spatial dims (``(n, h, w)`` for images).

    Parameters
    ----------
    model : Layer
        A brickwork model (Sequential, Functional or subclassed).
    x : array_like
        A batch of inputs, channels last.
    target : int, array of ints or None
        The output to explain for each row (see :mod:`brickwork.explain.targets`). The map explains the
        model's output as it is (a probability after a softmax); explain the logits by passing a model
        without the final activation.
    layer : str or Layer
        The convolutional layer (name, searched in nested models too, or the layer itself).
    relu_attributions : bool
        Keep only positive evidence (the paper's ReLU; Captum's ``LayerGradCam`` defaults to ``False``).
    upsample : bool
        Resize the maps to the input's spatial size; ``False`` returns the layer's resolution.
    interpolate_mode : str
        ``'bilinear'`` (``'linear'``, ``'trilinear'``) or ``'nearest'`` (Captum's default), as in PyTorch.
    """
    if layer is None:
        raise ValueError("grad_cam: pass layer=, the name of a convolutional layer (or the Layer).")
    arr = as_batch(model, x, "grad_cam")
    chosen = find_layer(model, layer, "grad_cam")
    with enable_grad(), weights_frozen(model), capture_output(chosen, "grad_cam") as box:
        xt = Tensor(arr, requires_grad=True)  # so that the layer's output is part of the graph
        out = forward(model, xt)
        feats = box.single()
        _spatial_maps(chosen.name, feats.data, "grad_cam")
        idx = resolve_target(target, out.data, "grad_cam")
        g = np.asarray(grad(selected(out, idx).sum(), feats), np.float64)
    a = feats.data.astype(np.float64)
    alpha = g.mean(axis=tuple(range(1, a.ndim - 1)), keepdims=True)
    return _finish((alpha * a).sum(axis=-1), arr, relu_attributions, upsample, interpolate_mode)


def _default_pooling(model: Any) -> Layer:
    pools = [la for la in walk_layers(model) if type(la).__name__.startswith("GlobalAveragePooling")]
    if len(pools) != 1:
        raise ValueError(f"cam: found {len(pools)} GlobalAveragePooling layers; pass layer= (the pooling layer "
                         "whose input holds the feature maps).")
    return pools[0]


def cam(model: Any, x: Any, target: Any = None, layer: Any = None, dense: Any = None,
        relu_attributions: bool = False, upsample: bool = True, interpolate_mode: str = "bilinear") -> np.ndarray:
    """Class activation maps of a ``features -> GlobalAveragePooling -> Dense`` head, shaped like the input's
    spatial dims.

    Parameters
    ----------
    layer : str or Layer, optional
        The global-average-pooling layer; its input holds the feature maps :math:`A`. Found automatically
        when the model has exactly one.
    dense : str or Layer, optional
        The classifier whose kernel :math:`W` (channels, classes) gives the weights; by default the last
        Dense layer of the model.
    relu_attributions : bool
        Clip negative evidence (off by default, as in the CAM paper).

    The other arguments are as in :func:`grad_cam`; ``target`` indexes the Dense layer's units.
    """
    arr = as_batch(model, x, "cam")
    pool = find_layer(model, layer, "cam") if layer is not None else _default_pooling(model)
    if dense is None:
        denses = [la for la in walk_layers(model) if type(la).__name__ == "Dense"]
        if not denses:
            raise ValueError("cam: the model has no Dense layer; pass dense=.")
        head = denses[-1]
    else:
        head = find_layer(model, dense, "cam")
    kernel = getattr(head, "kernel", None)
    if kernel is None:
        raise ValueError(f"cam: layer '{head.name}' has no kernel; pass dense= the classifier after the pooling.")
    w = np.asarray(kernel.data if hasattr(kernel, "data") else kernel, np.float64)
    with capture_output(pool, "cam") as box:
        out = forward(model, Tensor(arr))
    feats = box.single("inputs")
    a = feats.data.astype(np.float64)
    _spatial_maps(pool.name, a, "cam")
    if w.shape[0] != a.shape[-1]:
        raise ValueError(f"cam: layer '{head.name}' takes {w.shape[0]} features but '{pool.name}' pools "
                         f"{a.shape[-1]} channels; pass dense= the layer right after the pooling.")
    scores = out.data if out.shape[1] == w.shape[1] else np.zeros((arr.shape[0], w.shape[1]))
    idx = resolve_target(target, scores, "cam")
    weights = w[:, idx].T.reshape((arr.shape[0],) + (1,) * (a.ndim - 2) + (w.shape[0],))
    return _finish((weights * a).sum(axis=-1), arr, relu_attributions, upsample, interpolate_mode)
