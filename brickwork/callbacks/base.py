"""Callback base class, the list that dispatches to callbacks, and History."""

from __future__ import annotations

from typing import Any


class Callback:
    """Hooks called by ``fit``/``evaluate``/``predict``; override the ones you need.

    ``self.model`` is the model being trained and ``self.params`` holds
    ``epochs``, ``steps`` and ``verbose``.
    """

    def __init__(self) -> None:
        self.model: Any = None
        self.params: dict[str, Any] = {}

    def set_model(self, model: Any) -> None:
        self.model = model

    def set_params(self, params: dict[str, Any]) -> None:
        self.params = params

    # the state protocol: what BackupAndRestore saves so that a resumed fit continues exactly
    def get_state(self) -> dict[str, Any] | None:
        """The callback's mutable state (JSON-able values and NumPy arrays), or ``None`` when it has none.

        :class:`~brickwork.callbacks.BackupAndRestore` saves it with each backup and hands it
        to :meth:`set_state` when training resumes (after ``on_train_begin``).
        """
        return None

    def set_state(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`get_state` returned."""

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None: ...
    def on_train_end(self, logs: dict[str, Any] | None = None) -> None: ...
    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None: ...
    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None: ...
    def on_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None: ...
    def on_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None: ...

    def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self.on_batch_begin(batch, logs=logs)  # Keras's backwards-compatible alias

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self.on_batch_end(batch, logs=logs)

    def on_test_begin(self, logs: dict[str, Any] | None = None) -> None: ...
    def on_test_end(self, logs: dict[str, Any] | None = None) -> None: ...
    def on_test_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None: ...
    def on_test_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None: ...
    def on_predict_begin(self, logs: dict[str, Any] | None = None) -> None: ...
    def on_predict_end(self, logs: dict[str, Any] | None = None) -> None: ...
    def on_predict_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None: ...
    def on_predict_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None: ...


class CallbackList(Callback):
    """Forwards every hook to each callback in order (callbacks with ``dispatch_last = True`` last)."""

    def __init__(self, callbacks: list[Callback] | None = None, model: Any = None, **params: Any) -> None:
        super().__init__()
        given = list(callbacks or [])
        for cb in given:
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks must be Callback instances; got {cb!r}.")
        # callbacks that record the others' state (BackupAndRestore) see every hook after them
        self.callbacks = [cb for cb in given if not getattr(cb, "dispatch_last", False)] + \
            [cb for cb in given if getattr(cb, "dispatch_last", False)]
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)

    def set_model(self, model: Any) -> None:
        super().set_model(model)
        for cb in self.callbacks:
            cb.set_model(model)

    def set_params(self, params: dict[str, Any]) -> None:
        super().set_params(params)
        for cb in self.callbacks:
            cb.set_params(params)

    def _dispatch(self, hook: str, *args: Any) -> None:
        for cb in self.callbacks:
            getattr(cb, hook)(*args)

    # every hook gets a dict (the current logs, or {}), never None, as Keras
    def on_train_begin(self, logs=None): self._dispatch("on_train_begin", _logs(logs))
    def on_train_end(self, logs=None): self._dispatch("on_train_end", _logs(logs))
    def on_epoch_begin(self, epoch, logs=None): self._dispatch("on_epoch_begin", epoch, _logs(logs))
    def on_epoch_end(self, epoch, logs=None): self._dispatch("on_epoch_end", epoch, _logs(logs))
    def on_train_batch_begin(self, batch, logs=None): self._dispatch("on_train_batch_begin", batch, _logs(logs))
    def on_train_batch_end(self, batch, logs=None): self._dispatch("on_train_batch_end", batch, _logs(logs))
    def on_test_begin(self, logs=None): self._dispatch("on_test_begin", _logs(logs))
    def on_test_end(self, logs=None): self._dispatch("on_test_end", _logs(logs))
    def on_test_batch_begin(self, batch, logs=None): self._dispatch("on_test_batch_begin", batch, _logs(logs))
    def on_test_batch_end(self, batch, logs=None): self._dispatch("on_test_batch_end", batch, _logs(logs))
    def on_predict_begin(self, logs=None): self._dispatch("on_predict_begin", _logs(logs))
    def on_predict_end(self, logs=None): self._dispatch("on_predict_end", _logs(logs))
    def on_predict_batch_begin(self, batch, logs=None): self._dispatch("on_predict_batch_begin", batch, _logs(logs))
    def on_predict_batch_end(self, batch, logs=None): self._dispatch("on_predict_batch_end", batch, _logs(logs))


def _logs(logs: dict[str, Any] | None) -> dict[str, Any]:
    """The logs dict itself when given (callbacks may add keys, like ``learning_rate``), else a new one."""
    return logs if logs is not None else {}


class History(Callback):
    """Records the epoch logs: ``history.history['loss']``, ``['val_loss']``, ... (returned by ``fit``)."""

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (_logs(logs)).items():
            self.history.setdefault(key, []).append(value)
