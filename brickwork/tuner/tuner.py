"""The search loop behind every tuner: Optuna's ask/tell, one trial at a time, results in an Optuna study
stored in SQLite under ``directory/project_name`` (or any database URL Optuna accepts).

A trial asks Optuna for values (``HyperParameters`` calls ``trial.suggest_*``), builds and fits the
model, reports the objective after every epoch (a pruner may stop it) and is told its best epoch's
value. A trial that raises is recorded as failed and the search goes on. Re-creating a tuner with
``overwrite=False`` reloads the study: finished trials are not repeated. Several processes (or
machines) sharing one storage share one search.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import warnings
from typing import Any

from brickwork.callbacks import Callback
from brickwork.tuner.hypermodel import to_hypermodel
from brickwork.tuner.hyperparameters import HyperParameters
from brickwork.tuner.objective import to_objective
from brickwork.utils.io import pid_alive


def optuna_module() -> Any:
    try:
        import optuna
    except ImportError as exc:  # pragma: no cover - the extra is missing
        raise ImportError("brickwork.tuner needs Optuna: pip install 'brickwork[tune]' "
                          "(or pip install optuna).") from exc
    return optuna


class _Report(Callback):
    """Reports the objective to Optuna after each epoch and stops a trial its pruner rejects."""

    def __init__(self, trial: Any, objective: Any) -> None:
        super().__init__()
        self.trial, self.objective, self.values, self.pruned = trial, objective, [], False

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        value = (logs or {}).get(self.objective.name)
        if value is None:
            return
        self.values.append(float(value))
        self.trial.report(float(value), epoch)
        if self.trial.should_prune():
            self.pruned = True
            self.model.stop_training = True


class Tuner:
    """Base tuner (KerasTuner's ``Tuner`` API) on an Optuna study.

    Args:
        hypermodel: ``build(hp)`` returning a compiled model, or a :class:`HyperModel`.
        objective: A History key (``'val_accuracy'``) or an :class:`Objective`.
        max_trials: Finished trials (completed, pruned or failed) the search stops at.
        executions_per_trial: Fits per trial; the trial's value is their mean.
        directory, project_name: The study's folder; its storage is ``sqlite:///<dir>/<project>/study.db``.
        overwrite: Start afresh (delete the folder) instead of resuming.
        seed: Seed of the sampler.
        storage: Any Optuna storage URL (a shared database) instead of the SQLite file.
        sampler, pruner: Optuna objects; subclasses choose them.
        try_default_first: A fresh study's first trial is the default configuration (every
            hyperparameter at its ``default``), so the best trial is at least as good as the default
            on the objective.
        max_retries_per_trial, **kwargs: Accepted for KerasTuner compatibility (a failed trial is not retried).
    """

    def __init__(self, hypermodel: Any, objective: Any = "val_loss", max_trials: int = 10,
                 executions_per_trial: int = 1, directory: str | None = None, project_name: str = "untitled_project",
                 overwrite: bool = False, seed: int | None = None, storage: str | None = None, sampler: Any = None,
                 pruner: Any = None, try_default_first: bool = True, max_retries_per_trial: int = 0,
                 **kwargs: Any) -> None:
        optuna = optuna_module()
        self.hypermodel = to_hypermodel(hypermodel)
        self.objective = to_objective(objective)
        if not isinstance(max_trials, int) or max_trials < 1:
            raise ValueError(f"{type(self).__name__}: max_trials must be a positive integer; got {max_trials!r}.")
        self.max_trials, self.executions_per_trial, self.seed = max_trials, int(executions_per_trial), seed
        self.directory, self.project_name = directory or ".", project_name
        self.project_dir = os.path.join(self.directory, project_name)
        if overwrite and os.path.isdir(self.project_dir):
            shutil.rmtree(self.project_dir)
        os.makedirs(self.project_dir, exist_ok=True)
        url = storage or f"sqlite:///{os.path.abspath(os.path.join(self.project_dir, 'study.db'))}"
        if overwrite and storage:
            with _Quiet(optuna):
                with contextlib.suppress(KeyError):
                    optuna.delete_study(study_name=project_name, storage=storage)
        self.storage = url
        direction = "minimize" if self.objective.direction == "min" else "maximize"
        with _Quiet(optuna):
            self.study = optuna.create_study(study_name=project_name, storage=self.storage, direction=direction,
                                             sampler=sampler, pruner=pruner or optuna.pruners.NopPruner(),
                                             load_if_exists=True)
        if try_default_first and not self.study.trials:  # trial 0 is the default configuration
            defaults = HyperParameters()
            self.hypermodel.build(defaults)
            with _Quiet(optuna):
                self.study.enqueue_trial(defaults.values, skip_if_exists=True)

    # ------------------------------------------------------------- state
    def _finished(self) -> list[Any]:
        optuna = optuna_module()
        states = optuna.trial.TrialState
        return [t for t in self.study.get_trials(deepcopy=False)
                if t.state in (states.COMPLETE, states.PRUNED)
                or (t.state == states.FAIL and "error" in t.user_attrs)]

    def _running(self) -> int:
        states = optuna_module().trial.TrialState
        return sum(t.state == states.RUNNING for t in self.study.get_trials(deepcopy=False))

    def remaining_trials(self) -> int:
        """Trials still to run before ``max_trials`` finished ones (trials other workers are running count)."""
        return self.max_trials - len(self._finished()) - self._running()

    # ------------------------------------------------------------ search
    def search(self, *fit_args: Any, **fit_kwargs: Any) -> None:
        """Run trials until ``max_trials`` have finished; ``fit_args`` / ``fit_kwargs`` go to ``model.fit``
        (``x, y, epochs, validation_data`` or ``validation_split``, ``callbacks``, ...)."""
        optuna = optuna_module()
        self._fail_dead_trials()
        while self.remaining_trials() > 0:
            with _Quiet(optuna):
                trial = self.study.ask()
            trial.set_user_attr("worker", [socket.gethostname(), os.getpid()])
            self.run_trial(trial, *fit_args, **fit_kwargs)

    def _fail_dead_trials(self) -> None:
        """Mark failed (and so redo) the running trials of a process on this host that no longer exists:
        the trial an interrupted search left behind. Other workers' running trials are left alone."""
        optuna = optuna_module()
        for t in self.study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
            host, pid = (t.user_attrs.get("worker") or [None, None])[:2]
            if host == socket.gethostname() and isinstance(pid, int) and not pid_alive(pid):
                self._tell(t.number, state=optuna.trial.TrialState.FAIL)

    def trial_fit_kwargs(self, trial: Any, hp: HyperParameters, fit_kwargs: dict[str, Any]) -> dict[str, Any]:
        """The ``fit`` arguments of one trial (Hyperband changes ``epochs``)."""
        return dict(fit_kwargs)

    def run_trial(self, trial: Any, *fit_args: Any, **fit_kwargs: Any) -> None:
        """Build, fit and score one trial; tell Optuna the outcome."""
        optuna = optuna_module()
        hp = HyperParameters(trial)
        scores: list[float] = []
        try:
            for execution in range(self.executions_per_trial):
                if self.seed is not None:
                    from brickwork.engine import set_seed

                    set_seed(self.seed + trial.number * 100 + execution)
                model = self.hypermodel.build(hp)
                if model is None:
                    raise ValueError("build(hp) returned None; it must return a compiled model.")
                report = _Report(trial, self.objective)
                kwargs = self.trial_fit_kwargs(trial, hp, fit_kwargs)
                kwargs["callbacks"] = [*(kwargs.get("callbacks") or []), report]
                kwargs.setdefault("verbose", 0)
                history = self.hypermodel.fit(hp, model, *fit_args, **kwargs)
                logs = getattr(history, "history", None) or {}
                if self.objective.name not in logs:
                    raise KeyError(f"objective '{self.objective.name}' is not in the History (keys: {sorted(logs)}); "
                                   "pass validation_data / validation_split for a val_ objective.")
                if report.pruned:
                    self._save(trial, model, hp)
                    self._tell(trial, state=optuna.trial.TrialState.PRUNED)
                    return
                scores.append(self.objective.best_of([float(v) for v in logs[self.objective.name]]))
                if execution == 0:
                    self._save(trial, model, hp)
        except Exception as exc:  # noqa: BLE001 - a failing trial is recorded and the search goes on
            warnings.warn(f"Trial {trial.number} failed: {type(exc).__name__}: {exc}")
            trial.set_user_attr("error", f"{type(exc).__name__}: {exc}")
            self._tell(trial, state=optuna.trial.TrialState.FAIL)
            return
        self._tell(trial, sum(scores) / len(scores))

    def _tell(self, trial: Any, value: float | None = None, state: Any = None) -> None:
        """``study.tell``; the sampler's ``study.stop()`` at the end of a grid (meant for ``optimize``) is
        ignored: the trial is stored anyway and the loop ends on ``max_trials``."""
        with _Quiet(optuna_module()):
            try:
                self.study.tell(trial, value, state=state)
            except RuntimeError as exc:
                if "Study.stop" not in str(exc):
                    raise

    def _trial_dir(self, number: int) -> str:
        return os.path.join(self.project_dir, f"trial_{number:04d}")

    def _save(self, trial: Any, model: Any, hp: HyperParameters) -> None:
        path = self._trial_dir(trial.number)
        os.makedirs(path, exist_ok=True)
        trial.set_user_attr("hyperparameters", hp.values)
        model.save_weights(os.path.join(path, "model.weights.npz"))

    # ----------------------------------------------------------- results
    def _complete(self) -> list[Any]:
        states = optuna_module().trial.TrialState
        trials = [t for t in self.study.get_trials(deepcopy=False) if t.state == states.COMPLETE]
        return sorted(trials, key=lambda t: t.value, reverse=self.objective.direction == "max")

    def get_best_hyperparameters(self, num_trials: int = 1) -> list[HyperParameters]:
        """The hyperparameters of the ``num_trials`` best completed trials, best first."""
        out = []
        for t in self._complete()[:num_trials]:
            hp = HyperParameters()
            hp.values = dict(t.user_attrs.get("hyperparameters", t.params))
            out.append(hp)
        return out

    def get_best_models(self, num_models: int = 1) -> list[Any]:
        """The best trials' models, rebuilt and loaded with the weights saved after their training."""
        models = []
        for t in self._complete()[:num_models]:
            hp = _Replay(t.user_attrs.get("hyperparameters", t.params))
            model = self.hypermodel.build(hp)
            model.load_weights(os.path.join(self._trial_dir(t.number), "model.weights.npz"))
            models.append(model)
        return models

    def search_space_summary(self, extended: bool = False) -> None:
        """Print the search space (found by building the default configuration once)."""
        hp = HyperParameters()
        self.hypermodel.build(hp)
        print(hp.summary())

    def results_summary(self, num_trials: int = 10) -> None:
        """Print the best trials: number, hyperparameters, score."""
        print(f"Results summary\nResults in {self.project_dir}\nShowing {num_trials} best trials\n{self.objective}")
        for t in self._complete()[:num_trials]:
            print(f"\nTrial {t.number:04d} summary\nHyperparameters:")
            for name, value in t.user_attrs.get("hyperparameters", t.params).items():
                print(f"{name}: {value}")
            print(f"Score: {t.value}")


class _Replay(HyperParameters):
    """A trial's recorded values answered back to ``build(hp)``."""

    def __init__(self, values: dict[str, Any]) -> None:
        super().__init__()
        self._recorded = dict(values)

    def _register(self, name: str, spec: dict[str, Any], suggest: Any) -> Any:
        if name in self._recorded and name not in self.values:
            self.values[name] = self._recorded[name]
        return super()._register(name, spec, suggest)


class _Quiet:
    """Optuna's INFO logging off for one block."""

    def __init__(self, optuna: Any) -> None:
        self.optuna = optuna

    def __enter__(self) -> None:
        self.level = self.optuna.logging.get_verbosity()
        self.optuna.logging.set_verbosity(self.optuna.logging.WARNING)

    def __exit__(self, *exc: Any) -> None:
        self.optuna.logging.set_verbosity(self.level)
