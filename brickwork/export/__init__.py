"""Exporting models for deployment: ONNX files (``to_onnx``) and scoring them (``OnnxScorer``).

``onnx`` and ``onnxruntime`` are optional extras (``pip install 'brickwork[onnx]'``), imported
only when an export or a scorer runs, so ``import brickwork.export`` needs neither.
"""

from brickwork.export.onnx_export import DEFAULT_OPSET, IR_VERSIONS, SUPPORTED_OPSETS, to_onnx, to_onnx_model
from brickwork.export.onnx_scoring import OnnxScorer

__all__ = ["DEFAULT_OPSET", "IR_VERSIONS", "OnnxScorer", "SUPPORTED_OPSETS", "to_onnx", "to_onnx_model"]
