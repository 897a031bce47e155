"""Confidence and calibration: calibration metrics (ECE, Brier, reliability diagrams), recalibration maps
(temperature, Platt, isotonic), Monte-Carlo dropout and deep ensembles, and prediction intervals
(split conformal, Gaussian). See ``docs/calibration.md``."""

from __future__ import annotations

from brickwork.calibration.intervals import (
    SplitConformalRegressor,
    conformal_quantile,
    gaussian_interval,
    interval_coverage,
)
from brickwork.calibration.metrics import (
    ReliabilityCurve,
    brier_score,
    expected_calibration_error,
    reliability_curve,
    reliability_diagram,
)
from brickwork.calibration.scaling import IsotonicCalibration, PlattScaling, TemperatureScaling
from brickwork.calibration.uncertainty import DeepEnsemble, mc_dropout_predict
from brickwork.layers.mc_dropout import dropout_active, dropout_layers

__all__ = [
    "DeepEnsemble", "IsotonicCalibration", "PlattScaling", "ReliabilityCurve", "SplitConformalRegressor",
    "TemperatureScaling", "brier_score", "conformal_quantile", "dropout_active", "dropout_layers",
    "expected_calibration_error", "gaussian_interval", "interval_coverage", "mc_dropout_predict",
    "reliability_curve", "reliability_diagram",
]
