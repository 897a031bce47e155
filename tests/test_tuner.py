"""brickwork.tuner: KerasTuner's API on Optuna. The first test is a KerasTuner "getting started" style script
whose only change is the import line."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

optuna = pytest.importorskip("optuna")

import brickwork as keras  # noqa: E402
from brickwork import layers  # noqa: E402
from brickwork import tuner as kt  # noqa: E402  (was: import keras_tuner as kt)


def digits(n_train: int = 300, n_val: int = 200):
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.data / 16.0).astype("float32")
    return x[:n_train], d.target[:n_train], x[-n_val:], d.target[-n_val:]


def build_model(hp):
    model = keras.Sequential()
    model.add(layers.Input((64,)))
    model.add(layers.Dense(units=hp.Int("units", min_value=16, max_value=64, step=16), activation="relu"))
    if hp.Boolean("dropout"):
        model.add(layers.Dropout(rate=hp.Float("rate", 0.1, 0.5, step=0.2, parent_name="dropout",
                                               parent_values=[True])))
    model.add(layers.Dense(10, activation="softmax"))
    learning_rate = hp.Float("lr", min_value=1e-4, max_value=1e-2, sampling="log")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


@pytest.mark.slow
def test_keras_tuner_script_random_search(tmp_path, capsys):
    x_train, y_train, x_val, y_val = digits()
    tuner = kt.RandomSearch(hypermodel=build_model, objective="val_accuracy", max_trials=3, executions_per_trial=1,
                            overwrite=True, directory=str(tmp_path), project_name="helloworld", seed=1)
    tuner.search_space_summary()
    tuner.search(x_train, y_train, epochs=2, validation_data=(x_val, y_val))
    tuner.results_summary()
    best_hp = tuner.get_best_hyperparameters(5)[0]
    models = tuner.get_best_models(num_models=2)
    out = capsys.readouterr().out
    assert "Search space summary" in out and "units (Int)" in out and "Results summary" in out
    assert best_hp.values["units"] in (16, 32, 48, 64)
    assert 1e-4 <= best_hp.values["lr"] <= 1e-2
    assert isinstance(best_hp.values["dropout"], bool)
    values = [t.value for t in tuner.study.trials if t.state.name == "COMPLETE"]
    assert len(values) == 3
    assert tuner.study.best_value == max(values) >= values[0]  # trial 0 is the default configuration
    assert tuner.study.trials[0].params["lr"] == pytest.approx(1e-4)
    assert len(models) == 2
    assert models[0].predict(x_val, verbose=0).shape == (len(x_val), 10)


@pytest.mark.slow
def test_resume_does_not_repeat_finished_trials(tmp_path):
    x_train, y_train, x_val, y_val = digits(100, 50)
    built = []

    def counted(hp):
        built.append(1)
        return build_model(hp)

    first = kt.RandomSearch(counted, objective="val_loss", max_trials=2, directory=str(tmp_path),
                            project_name="p", seed=0)
    first.search(x_train, y_train, epochs=1, validation_data=(x_val, y_val))
    assert len(first.study.trials) == 2
    built.clear()
    again = kt.RandomSearch(counted, objective="val_loss", max_trials=3, directory=str(tmp_path), project_name="p",
                            seed=0, overwrite=False)
    again.search(x_train, y_train, epochs=1, validation_data=(x_val, y_val))
    assert len(built) == 1  # only the third trial ran
    assert [t.state.name for t in again.study.trials] == ["COMPLETE"] * 3
    assert os.path.exists(tmp_path / "p" / "study.db")


def test_interrupted_trial_is_redone(tmp_path):
    x_train, y_train, x_val, y_val = digits(100, 50)
    tuner = kt.RandomSearch(build_model, objective="val_accuracy", max_trials=2, directory=str(tmp_path),
                            project_name="p", seed=0)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    trial = tuner.study.ask()  # a trial a killed worker was running
    trial.set_user_attr("worker", [__import__("socket").gethostname(), int(dead.stdout)])
    tuner.search(x_train, y_train, epochs=1, validation_data=(x_val, y_val))
    states = [t.state.name for t in tuner.study.trials]
    assert states == ["FAIL", "COMPLETE", "COMPLETE"]


@pytest.mark.slow
def test_failing_trial_is_recorded_and_search_goes_on(tmp_path):
    x_train, y_train, x_val, y_val = digits(100, 50)

    def sometimes_broken(hp):
        if hp.Choice("kind", ["fine", "broken"]) == "broken":
            raise RuntimeError("this configuration cannot be built")
        model = keras.Sequential([layers.Input((64,)), layers.Dense(hp.Int("units", 8, 32, step=8)),
                                  layers.Dropout(0.2 if hp.Boolean("dropout") else 0.0),
                                  layers.Dense(10, activation="softmax")])
        model.compile(keras.optimizers.Adam(hp.Fixed("lr", 1e-3)), "sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        return model

    tuner = kt.GridSearch(sometimes_broken, objective="val_accuracy", max_trials=None, directory=str(tmp_path),
                          project_name="g")
    assert tuner.grid_size == 2 * 4 * 2 * 1  # kind x units x dropout x fixed lr
    with pytest.warns(UserWarning, match="this configuration cannot be built"):
        tuner.search(x_train, y_train, epochs=1, validation_data=(x_val, y_val))
    states = [t.state.name for t in tuner.study.trials]
    assert states.count("FAIL") == 8 and states.count("COMPLETE") == 8
    complete = [t for t in tuner.study.trials if t.state.name == "COMPLETE"]
    assert all(t.params["kind"] == "fine" for t in complete)
    assert {(t.params["units"], t.params["dropout"]) for t in complete} == {
        (u, d) for u in (8, 16, 24, 32) for d in (False, True)}  # every grid point of the working half once


@pytest.mark.slow
def test_hyperband_prunes_and_bayesian_runs(tmp_path):
    x_train, y_train, x_val, y_val = digits(100, 50)
    hb = kt.Hyperband(build_model, objective="val_accuracy", max_epochs=4, factor=2, directory=str(tmp_path),
                      project_name="hb", seed=0)
    # s_max = floor(log2 4) = 2; brackets s = 2, 1, 0 try ceil(3/3 * 4), ceil(3/2 * 2), ceil(3/1 * 1) configurations
    assert hb.max_trials == kt.hyperband_trials(4, 2) == 4 + 3 + 3
    hb.search(x_train, y_train, validation_data=(x_val, y_val))
    states = [t.state.name for t in hb.study.trials]
    assert states.count("PRUNED") >= 1 and states.count("COMPLETE") >= 1
    bo = kt.BayesianOptimization(build_model, objective=kt.Objective("val_loss", "min"), max_trials=3,
                                 num_initial_points=2, directory=str(tmp_path), project_name="bo", seed=0)
    bo.search(x_train, y_train, epochs=1, validation_split=0.2)
    assert bo.study.direction.name == "MINIMIZE"
    assert [t.state.name for t in bo.study.trials] == ["COMPLETE"] * 3


def test_hyperparameters_defaults_and_conditions():
    hp = kt.HyperParameters()
    assert hp.Int("units", 8, 64, step=8) == 8
    assert hp.Float("lr", 1e-4, 1e-1, sampling="log", default=1e-3) == 1e-3
    assert hp.Choice("act", ["relu", "tanh"]) == "relu"
    assert hp.Boolean("bn") is False
    assert hp.Fixed("depth", 3) == 3
    with hp.conditional_scope("act", ["tanh"]):
        assert hp.Int("inactive", 1, 3) is None  # act is relu: this branch is off
    with hp.conditional_scope("act", "relu"):
        assert hp.Int("active", 1, 3) == 1
    assert hp["active"] == 1 and hp.get("inactive") is None
    assert hp.grid_values("units") == [8, 16, 24, 32, 40, 48, 56, 64]
    assert hp.grid_values("bn") == [False, True]


def test_hyperparameter_errors_name_the_argument():
    hp = kt.HyperParameters()
    with pytest.raises(ValueError, match="'lr'.*min_value > 0"):
        hp.Float("lr", 0.0, 1.0, sampling="log")
    with pytest.raises(ValueError, match="'units'.*min_value 9 > max_value 3"):
        hp.Int("units", 9, 3)
    with pytest.raises(ValueError, match="'act'.*default 'elu'"):
        hp.Choice("act", ["relu"], default="elu")
    with pytest.raises(ValueError, match="`missing` must be defined"):
        with hp.conditional_scope("missing", [1]):
            pass
    with pytest.raises(KeyError, match="Unknown hyperparameter 'nope'"):
        hp.get("nope")
    with pytest.raises(ValueError, match=r"hp.Float\('lr'\) needs a step"):
        hp.Float("lr", 1e-3, 1e-1)
        hp.grid_values("lr")


def test_objectives_and_tuner_errors(tmp_path):
    assert kt.tuner.to_objective("val_loss").direction == "min"
    assert kt.tuner.to_objective("val_accuracy").direction == "max"
    with pytest.raises(ValueError, match="direction must be 'min' or 'max'"):
        kt.Objective("val_auc", "up")
    with pytest.raises(ValueError, match="max_trials"):
        kt.RandomSearch(build_model, max_trials=0, directory=str(tmp_path))
    with pytest.raises(TypeError, match="hypermodel"):
        kt.RandomSearch(42, directory=str(tmp_path))


def test_missing_objective_fails_the_trial(tmp_path):
    x_train, y_train, _, _ = digits(60, 10)
    tuner = kt.RandomSearch(build_model, objective="val_accuracy", max_trials=1, directory=str(tmp_path),
                            project_name="p")
    with pytest.warns(UserWarning, match="objective 'val_accuracy' is not in the History"):
        tuner.search(x_train, y_train, epochs=1)  # no validation data
    assert tuner.study.trials[0].state.name == "FAIL"


def test_hypermodel_class_with_fit(tmp_path):
    x_train, y_train, x_val, y_val = digits(100, 50)

    class MyHyperModel(kt.HyperModel):
        def build(self, hp):
            return build_model(hp)

        def fit(self, hp, model, *args, **kwargs):
            return model.fit(*args, batch_size=hp.Choice("batch_size", [16, 32]), **kwargs)

    tuner = kt.RandomSearch(MyHyperModel(), objective="val_accuracy", max_trials=2, directory=str(tmp_path),
                            project_name="p", seed=0)
    tuner.search(x_train, y_train, epochs=1, validation_data=(x_val, y_val))
    assert all("batch_size" in t.params for t in tuner.study.trials)


WORKER = textwrap.dedent("""
    import sys
    import numpy as np
    from sklearn.datasets import load_digits
    import brickwork as keras
    from brickwork import layers
    from brickwork import tuner as kt

    def build(hp):
        model = keras.Sequential([layers.Input((64,)), layers.Dense(hp.Int("units", 8, 32, step=8),
                                  activation="relu"), layers.Dense(10, activation="softmax")])
        model.compile(keras.optimizers.Adam(hp.Float("lr", 1e-3, 1e-2, sampling="log")),
                      "sparse_categorical_crossentropy", metrics=["accuracy"])
        return model

    d = load_digits()
    x, y = (d.data[:200] / 16).astype("float32"), d.target[:200]
    tuner = kt.RandomSearch(build, objective="val_accuracy", max_trials=6, directory=sys.argv[1],
                            project_name="shared", seed=int(sys.argv[2]))
    tuner.search(x, y, epochs=2, validation_split=0.25)
""")


@pytest.mark.slow
def test_two_processes_share_one_sqlite_study(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    kt.RandomSearch(lambda hp: build_model(hp), objective="val_accuracy", max_trials=6, directory=str(tmp_path),
                    project_name="shared", try_default_first=False)  # create the study once, empty
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    procs = [subprocess.Popen([sys.executable, str(script), str(tmp_path), str(seed)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for seed in (1, 2)]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    study = optuna.load_study(study_name="shared", storage=f"sqlite:///{tmp_path / 'shared' / 'study.db'}")
    complete = [t for t in study.trials if t.state.name == "COMPLETE"]
    assert 6 <= len(complete) <= 7  # at most one overshoot when both ask for the last trial at once
    workers = {t.user_attrs["worker"][1] for t in complete}
    assert len(workers) == 2  # both processes ran trials of the one study
