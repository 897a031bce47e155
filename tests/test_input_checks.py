"""brickwork.models.input_checks: text / object / ragged inputs and NaN / Inf are refused before training,
with messages naming the input, the column and the remedy; legitimate inputs pass."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from brickwork import layers, models
from brickwork.models.input_checks import (
    check_finite,
    check_numeric_inputs,
    column_names,
    expects_numeric,
    model_numeric_inputs,
)

# (id, data, text that must appear in the message)
NON_NUMERIC = [
    ("frame-object-column", pd.DataFrame({"age": [31.0, 40.0], "city": ["Paris", "Rome"]}),
     ["fit(): x", "'city'", "column 1", "'Paris'", "StringLookup", "one-hot"]),
    ("frame-string-dtype", pd.DataFrame({"n": [1, 2], "name": pd.Series(["a", "b"], dtype="string")}),
     ["'name'", "StringLookup"]),
    ("frame-category", pd.DataFrame({"size": pd.Categorical(["S", "L"]), "w": [1.0, 2.0]}),
     ["'size'", "column 0", "category", "StringLookup"]),
    ("frame-dates", pd.DataFrame({"w": [1.0, 2.0], "when": pd.to_datetime(["2024-01-01", "2024-02-01"])}),
     ["'when'", "dates"]),
    ("frame-mixed-object", pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": pd.Series([1.5, "n/a", 2.0], dtype=object)}),
     ["'b'", "row 1", "'n/a'"]),
    ("series-text", pd.Series(["x", "y"], name="colour"), ["'colour'", "'x'"]),
    ("array-object", np.array([[1.0, "red"], [2.0, "blue"]], dtype=object),
     ["column 1", "row 0", "'red'", "StringLookup"]),
    ("array-str", np.array([["a", "b"], ["c", "d"]]), ["text", "<U1", "column 0", "StringLookup"]),
    ("array-numeric-str", np.array([["1.5", "2"], ["3", "4"]]), ["look like numbers", "astype"]),
    ("list-of-str", ["good", "bad"], ["text", "'good'"]),
    ("ragged-list", [[1, 2, 3], [4, 5], [6]], ["ragged", "row 0 has 3 items, row 1 has 2 items", "pad_sequences"]),
    ("ragged-nested", [[[1, 2], [3, 4]], [[5, 6], [7]]], ["ragged", "in row 1", "pad_sequences"]),
    ("ragged-scalar-and-list", [1, [2, 3]], ["ragged", "pad_sequences"]),
    ("object-array-of-sequences", np.array([np.arange(3), np.arange(2)], dtype=object),
     ["sequences", "pad_sequences"]),
]


@pytest.mark.parametrize("data, texts", [c[1:] for c in NON_NUMERIC], ids=[c[0] for c in NON_NUMERIC])
def test_non_numeric_input_is_refused_naming_the_column(data, texts):
    with pytest.raises(ValueError) as info:
        check_numeric_inputs(data, "fit(): x")
    message = str(info.value)
    for text in texts:
        assert text in message, (text, message)


def test_several_inputs_are_named_by_key_and_position():
    x = {"numeric": np.zeros((2, 3), np.float32), "notes": np.array([["a"], ["b"]], dtype=object)}
    with pytest.raises(ValueError, match=r"x\['notes'\].*column 0"):
        check_numeric_inputs(x, "x")
    with pytest.raises(ValueError, match=r"x\[1\] column 'c'"):
        check_numeric_inputs([np.zeros((2, 1)), pd.DataFrame({"c": ["u", "v"]})], "x")


@pytest.mark.parametrize("data", [
    np.zeros((3, 4), np.float32),
    np.arange(6).reshape(3, 2),
    np.array([[1.0, 2], [3, None]], dtype=object),      # numbers stored as objects (None -> NaN) convert
    np.array([True, False]),
    pd.DataFrame({"a": [1, 2], "b": [0.5, np.nan], "c": [True, False], "d": pd.Categorical([1, 2])}),
    [[1, 2], [3, 4]],
    [1.0, 2.0, 3.0],
    {"a": np.zeros((2, 2)), "b": [[1.0], [2.0]]},
    [np.zeros((2, 2)), np.zeros((2, 5))],                # a list of inputs with different widths is fine
], ids=["float", "int", "object-numbers", "bool", "numeric-frame", "nested-list", "flat-list", "dict", "input-list"])
def test_numeric_inputs_pass(data):
    check_numeric_inputs(data, "x")


def test_text_inputs_for_string_layers_are_skipped():
    text = np.array([["a"], ["b"]], dtype=object)
    check_numeric_inputs({"numeric": np.zeros((2, 3)), "city": text}, "x", numeric={"numeric": True, "city": False})
    check_numeric_inputs([np.zeros((2, 3)), text], "x", numeric=[True, False])
    check_numeric_inputs(["some text", "more"], "x", numeric=False)
    with pytest.raises(ValueError, match="'numeric'"):
        check_numeric_inputs({"numeric": np.array([["1,5"]]), "city": text}, "x",
                             numeric={"numeric": True, "city": False})


def test_model_numeric_inputs_follows_the_declared_dtypes():
    num, city = layers.Input((3,), name="num"), layers.Input((1,), dtype="string", name="city")
    lookup = layers.StringLookup(vocabulary=["a", "b"], output_mode="one_hot")
    model = models.Model([num, city], layers.Dense(1)(layers.Concatenate()([num, lookup(city)])))
    assert model_numeric_inputs(model) == {"num": True, "city": False}
    x = {"num": np.zeros((2, 3), np.float32), "city": np.array([["a"], ["b"]], dtype=object)}
    check_numeric_inputs(x, "fit(): x", numeric=model_numeric_inputs(model))
    # no declared Input: a model that starts with a text layer is not checked; a numeric one is
    assert model_numeric_inputs(models.Sequential([layers.StringLookup(vocabulary=["a"]), layers.Dense(1)])) is False
    assert model_numeric_inputs(models.Sequential([layers.Dense(1)])) is True
    declared = models.Sequential([layers.Input((2,)), layers.Dense(1)])
    assert model_numeric_inputs(declared) == {declared.input_names[0]: True}
    assert expects_numeric("string") is False and expects_numeric(object) is False and expects_numeric(None)
    assert expects_numeric("float32") and expects_numeric(np.int64)


# ---------------------------------------------------------------- finite
def test_nan_in_a_frame_is_named_by_column_and_row():
    frame = pd.DataFrame({"age": [31.0, 40.0, 52.0], "income": [1.0, np.nan, np.inf]})
    with pytest.raises(ValueError) as info:
        check_finite(frame, "fit(): x")
    message = str(info.value)
    assert "'income'" in message and "row 1" in message and "nan" in message and "Imputation" in message
    with pytest.raises(ValueError, match=r"'income'.*inf.*row 2"):
        check_finite(frame, "fit(): x", allow_nan=True)  # NaN allowed (the model imputes), Inf is not
    check_finite(frame[["age"]], "x")


def test_inf_in_an_array_is_named_by_column_index_or_name():
    x = np.ones((4, 3), np.float32)
    x[2, 1] = np.inf
    with pytest.raises(ValueError, match=r"column 1, first in row 2"):
        check_finite(x, "predict(): x")
    names = column_names(pd.DataFrame(x, columns=["a", "b", "c"]))
    assert names == [["a", "b", "c"]]
    with pytest.raises(ValueError, match=r"holds inf in column 'b' \(index 1\), first in row 2"):
        check_finite(x, "predict(): x", columns=names)
    seq = np.zeros((2, 5, 3))
    seq[1, 4, 2] = np.nan
    with pytest.raises(ValueError, match=r"index \(1, 4, 2\) \(row 1\)"):
        check_finite({"numeric": np.zeros((2, 2)), "sequence": seq}, "x")
    with pytest.raises(ValueError, match=r"x\['sequence'\]"):
        check_finite({"numeric": np.zeros((2, 2)), "sequence": seq}, "x")
    check_finite(np.arange(4), "x")                     # integers cannot hold NaN
    check_finite(np.array(["a"], dtype=object), "x")    # text is another check's business


def test_text_labels_get_the_advice_for_labels():
    with pytest.raises(ValueError) as info:
        check_numeric_inputs(np.array(["cat", "dog", "cat"]), "fit(): y", labels=True)
    message = str(info.value)
    assert "fit(): y" in message and "'cat'" in message and "class indices" in message
    assert "Input(dtype='string')" not in message
    check_numeric_inputs(np.array([0, 1, 1]), "fit(): y", labels=True)
