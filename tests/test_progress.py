"""Keras's progress for evaluate and predict (verbose 'auto'/1/2 print, 0 is silent) and the ETA of the bar."""

from __future__ import annotations

import io

import numpy as np

from brickwork import layers, models
from brickwork.callbacks.progbar import StepProgbar, format_eta


def _model():
    m = models.Sequential([layers.Input((3,)), layers.Dense(1)])
    m.compile("sgd", "mse", metrics=["mae"])
    return m, np.ones((100, 3), np.float32), np.ones(100, np.float32)


def test_evaluate_and_predict_print_one_line_with_auto_and_nothing_with_zero(capsys):
    m, x, y = _model()
    m.evaluate(x, y, batch_size=25)
    m.predict(x, batch_size=25)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("4/4 - ") and "step - loss: " in lines[0] and "mae: " in lines[0]
    assert lines[1].startswith("4/4 - ") and lines[1].endswith("step")
    m.evaluate(x, y, verbose=0)
    m.predict(x, verbose=0)
    assert capsys.readouterr().out == ""


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_the_terminal_bar_shows_the_time_left():
    stream = _Terminal()
    bar = StepProgbar(10, 1, stream)
    bar.start -= 2.0                      # 2 s for the first 4 of 10 steps -> 3 s left
    bar._last_draw = 0.0
    bar.update(4, {"loss": 0.5})
    assert "4/10" in stream.getvalue() and "ETA: 3s" in stream.getvalue() and "loss: 0.5000" in stream.getvalue()
    bar.close({"loss": 0.25})
    assert stream.getvalue().rstrip().endswith("loss: 0.2500\x1b[K")


def test_eta_formats():
    assert format_eta(2.0, 4, 10) == "3s"
    assert format_eta(10.0, 1, 10) == "1:30"
    assert format_eta(100.0, 1, 40) == "1:05:00"
    assert format_eta(5.0, 10, 10) == "0s"


def test_word2vec_reports_words_per_second_and_eta_while_it_trains(capsys, monkeypatch):
    from brickwork.text.word2vec import model as w2v_model

    monkeypatch.setattr(w2v_model, "REPORT_EVERY", 0.0)     # report at every chunk
    sentences = [["bank", "loan", "credit", "default", "card"] * 4 for _ in range(200)]
    w2v_model.Word2Vec(sentences, vector_size=8, min_count=1, epochs=2, batch_words=200, verbose=1, workers=1)
    lines = [ln for ln in capsys.readouterr().err.splitlines() if "ETA" in ln]
    assert lines and "words/s" in lines[0] and "epoch 1/2" in lines[0] and "% of 8,000 words" in lines[0]
