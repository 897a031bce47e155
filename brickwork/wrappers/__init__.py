"""scikit-learn estimators around brickwork models (needs scikit-learn: ``pip install brickwork[datasets]``)."""

from brickwork.wrappers.sklearn import SKLearnClassifier, SKLearnRegressor

__all__ = ["SKLearnClassifier", "SKLearnRegressor"]
