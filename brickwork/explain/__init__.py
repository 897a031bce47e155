"""Explanations of predictions: gradient attributions, Grad-CAM, occlusion, SHAP, LIME, activation maximisation.

Every attribution method has the form ``f(model, x, target=None, **options) -> attributions shaped like x``
(Grad-CAM and CAM: shaped like the input's spatial dims) and takes Captum's argument names; see
``docs/explainability.md`` for the equations.
"""

from brickwork.explain.activation_maximization import activation_maximization
from brickwork.explain.back_query import back_query
from brickwork.explain.grad_cam import cam, grad_cam
from brickwork.explain.integrated_gradients import integrated_gradients
from brickwork.explain.lime import Explanation, explain_prediction
from brickwork.explain.occlusion import occlusion
from brickwork.explain.plots import plot_attributions, plot_heatmap
from brickwork.explain.saliency import saliency
from brickwork.explain.shap_values import shap_values
from brickwork.explain.smoothgrad import smoothgrad

__all__ = [
    "Explanation",
    "activation_maximization",
    "back_query",
    "cam",
    "explain_prediction",
    "grad_cam",
    "integrated_gradients",
    "occlusion",
    "plot_attributions",
    "plot_heatmap",
    "saliency",
    "shap_values",
    "smoothgrad",
]
