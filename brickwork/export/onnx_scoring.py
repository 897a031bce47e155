"""``OnnxScorer``: score an exported ONNX file with onnxruntime (what ``brickwork predict`` uses for ``.onnx``)."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

_ORT_TYPES = {
    "tensor(float)": np.float32, "tensor(double)": np.float64, "tensor(float16)": np.float16,
    "tensor(int64)": np.int64, "tensor(int32)": np.int32, "tensor(int16)": np.int16, "tensor(int8)": np.int8,
    "tensor(uint8)": np.uint8, "tensor(bool)": np.bool_,
}


def _json_metadata(text: str | None, path: str) -> dict[str, Any]:
    """The ``brickwork.metadata`` property of the file (``{}`` when absent); bad JSON is an error naming the file."""
    import json

    if not text:
        return {}
    try:
        meta = json.loads(text)
    except ValueError as err:
        raise ValueError(f"OnnxScorer: the brickwork.metadata property of {path} is not JSON: {err}") from None
    if not isinstance(meta, dict):
        raise ValueError(f"OnnxScorer: the brickwork.metadata property of {path} is not a JSON object.")
    return meta


class OnnxScorer:
    """An onnxruntime session on one ONNX file, with a ``predict`` like a model's.

    Args:
        path: The ``.onnx`` file (e.g. written by :func:`brickwork.export.to_onnx`).
        providers: onnxruntime execution providers (default: the CPU provider).

    Attributes:
        input_names, output_names: The graph's input and output names, in order.
        metadata: The exported model's ``metadata`` (``to_onnx`` stores it), ``{}`` if none.
    """

    def __init__(self, path: str | os.PathLike[str], providers: list[str] | None = None) -> None:
        try:
            import onnxruntime as ort
        except ImportError as err:  # pragma: no cover - depends on the environment
            raise ImportError("OnnxScorer needs onnxruntime: pip install 'brickwork[onnx]'.") from err
        self.path = os.fspath(path)
        if not os.path.isfile(self.path):
            raise FileNotFoundError(f"OnnxScorer: no ONNX file at {self.path}.")
        options = ort.SessionOptions()
        options.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(self.path, options, providers=providers or ["CPUExecutionProvider"])
        except Exception as err:
            raise ValueError(f"OnnxScorer: onnxruntime cannot load {self.path}: {err}") from err
        self._inputs = self.session.get_inputs()
        self.input_names = [i.name for i in self._inputs]
        self.output_names = [o.name for o in self.session.get_outputs()]
        props = self.session.get_modelmeta().custom_metadata_map
        self.metadata = _json_metadata(props.get("brickwork.metadata"), self.path)

    def _feeds(self, x: Any) -> dict[str, np.ndarray]:
        if isinstance(x, dict):
            missing = [n for n in self.input_names if n not in x]
            if missing:
                raise ValueError(f"OnnxScorer({self.path}): the input dict lacks {missing}; expected keys "
                                 f"{self.input_names}.")
            values = [x[n] for n in self.input_names]
        elif isinstance(x, (list, tuple)) and len(self.input_names) > 1:
            values = list(x)
        else:
            values = [x]
        if len(values) != len(self.input_names):
            raise ValueError(f"OnnxScorer({self.path}) expects {len(self.input_names)} input(s) {self.input_names}; "
                             f"got {len(values)}.")
        feeds = {}
        for spec, value in zip(self._inputs, values):
            array = np.asarray(value.to_numpy() if hasattr(value, "to_numpy") else value)
            dtype = _ORT_TYPES.get(spec.type)
            if dtype is not None and array.dtype != dtype:
                array = array.astype(dtype)
            if array.ndim == len(spec.shape) - 1 and spec.shape[-1] == 1:
                array = array[..., None]  # a (n,) column for an (n, 1) input, as a model's predict accepts
            if array.ndim != len(spec.shape):
                raise ValueError(f"OnnxScorer({self.path}): input '{spec.name}' expects rank {len(spec.shape)} "
                                 f"(shape {spec.shape}); got an array of shape {array.shape}.")
            feeds[spec.name] = np.ascontiguousarray(array)
        return feeds

    def predict(self, x: Any, batch_size: int | None = None) -> np.ndarray | list[np.ndarray]:
        """Outputs for ``x``: one array, a list (by input order) or a dict (by input name) of arrays.

        Returns one array for a single-output graph, else a list in :attr:`output_names` order.
        ``batch_size`` scores in chunks of that many rows (default: all at once).
        """
        feeds = self._feeds(x)
        n = len(next(iter(feeds.values())))
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int)
                                       or batch_size <= 0):
            raise ValueError(f"OnnxScorer.predict: batch_size must be a positive integer; got {batch_size!r}.")
        step = batch_size or max(n, 1)
        parts = [self.session.run(None, {k: v[i:i + step] for k, v in feeds.items()}) for i in range(0, n, step)]
        if not parts:
            parts = [self.session.run(None, feeds)]
        outputs = [np.concatenate([p[j] for p in parts], axis=0) for j in range(len(self.output_names))]
        return outputs[0] if len(outputs) == 1 else outputs


__all__ = ["OnnxScorer"]
