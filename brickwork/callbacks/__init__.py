"""Callbacks for ``fit`` (Keras names and arguments)."""

from brickwork.callbacks.backup import BackupAndRestore
from brickwork.callbacks.base import Callback, CallbackList, History
from brickwork.callbacks.files import CSVLogger, ModelCheckpoint
from brickwork.callbacks.progbar import ProgbarLogger
from brickwork.callbacks.tensorboard import TensorBoard
from brickwork.callbacks.training_control import (
    EarlyStopping,
    LambdaCallback,
    LearningRateScheduler,
    ReduceLROnPlateau,
    TerminateOnNaN,
)

__all__ = [
    "BackupAndRestore", "CSVLogger", "Callback", "CallbackList", "EarlyStopping", "History", "LambdaCallback",
    "LearningRateScheduler", "ModelCheckpoint", "ProgbarLogger", "ReduceLROnPlateau", "TensorBoard",
    "TerminateOnNaN",
]
