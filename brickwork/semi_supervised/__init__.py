"""Semi-supervised learning: train on a few labelled and many unlabelled samples with ``fit(x, y)``,
``y == -1`` marking an unlabelled sample (scikit-learn's convention; a row of -1 for one-hot targets).

* :class:`PseudoLabeling` (Lee 2013): the network's confident predictions become labels;
* :class:`PiModel` (Laine & Aila 2017): two noisy passes must agree;
* :class:`TemporalEnsembling` (Laine & Aila 2017): predictions must agree with their moving average;
* :class:`MeanTeacher` (Tarvainen & Valpola 2017): the student must agree with its weights' moving average.

Each wraps the user's network: ``MeanTeacher(net).compile("adam", "sparse_categorical_crossentropy",
["accuracy"])``, then ``fit(x, y)``; the History logs ``supervised_loss`` and ``consistency_loss``
(``pseudo_label_loss``) apart from the total ``loss``. The consistency methods can add confident
pseudo-labels on top (``pseudo_label_weight``; logged as ``pseudo_label_loss``).
"""

from brickwork.semi_supervised.augment import RandomShift
from brickwork.semi_supervised.base import SemiSupervisedModel, labelled_mask, oversampled_rows, sigmoid_rampup
from brickwork.semi_supervised.mean_teacher import MeanTeacher
from brickwork.semi_supervised.pi_model import PiModel
from brickwork.semi_supervised.pseudo_labeling import PseudoLabeling, lee_alpha
from brickwork.semi_supervised.pseudo_targets import pseudo_label_cross_entropy
from brickwork.semi_supervised.temporal_ensembling import TemporalEnsembling

__all__ = ["MeanTeacher", "PiModel", "PseudoLabeling", "RandomShift", "SemiSupervisedModel", "TemporalEnsembling",
           "labelled_mask", "lee_alpha", "oversampled_rows", "pseudo_label_cross_entropy", "sigmoid_rampup"]
