"""brickwork.plot.attention_heads: one heat map per head of (heads, T, S) / (batch, heads, T, S) scores."""

import os

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from brickwork import layers, plot  # noqa: E402


def softmax_rows(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    z = rng.standard_normal(shape)
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def head_axes(fig):
    return [ax for ax in fig.axes if ax.get_title().startswith("head ")]


@pytest.mark.parametrize("heads", [1, 2, 3, 4, 5])
def test_one_panel_per_head_plus_colour_bar(heads):
    scores = softmax_rows(np.random.default_rng(heads), (heads, 4, 6))
    fig = plot.attention_heads_figure(scores)
    assert len(fig.axes) == heads + 1
    panels = head_axes(fig)
    assert [ax.get_title() for ax in panels] == [f"head {i}" for i in range(heads)]
    for i, ax in enumerate(panels):
        np.testing.assert_allclose(np.asarray(ax.images[0].get_array()), scores[i])
    plot.pyplot().close(fig)


def test_batched_scores_draw_the_first_sample_with_token_labels():
    scores = softmax_rows(np.random.default_rng(0), (3, 2, 5, 5))
    tokens = ["[CLS]", "the", "cat", "sat", "."]
    fig = plot.attention_heads_figure(scores, tokens=tokens, layer_name="encoder_0")
    panels = head_axes(fig)
    assert len(panels) == 2
    for i, ax in enumerate(panels):
        np.testing.assert_allclose(np.asarray(ax.images[0].get_array()), scores[0, i])
        assert [t.get_text() for t in ax.get_xticklabels()] == tokens
        assert [t.get_text() for t in ax.get_yticklabels()] == tokens
    assert "encoder_0" in fig.get_suptitle()
    plot.pyplot().close(fig)


def test_cross_attention_labels_rows_and_columns_separately():
    scores = softmax_rows(np.random.default_rng(1), (2, 3, 4))
    fig = plot.attention_heads_figure(scores, tokens=list("xyz"), key_tokens=list("ABCD"))
    ax = head_axes(fig)[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == list("ABCD")
    assert [t.get_text() for t in ax.get_yticklabels()] == list("xyz")
    plot.pyplot().close(fig)


def test_writes_png_atomically_and_returns_the_path(tmp_path):
    target = tmp_path / "heads.png"
    out = plot.attention_heads(softmax_rows(np.random.default_rng(2), (4, 6, 6)), tokens=list("abcdef"),
                               layer_name="mha", path=target)
    assert out == str(target)
    with open(out, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    assert os.listdir(tmp_path) == ["heads.png"]  # no temporary file left behind


def test_scores_from_multi_head_attention(tmp_path):
    mha = layers.MultiHeadAttention(num_heads=3, key_dim=4)
    x = np.random.default_rng(3).standard_normal((2, 5, 8)).astype("float32")
    _, scores = mha(x, x, return_attention_scores=True)
    fig = plot.attention_heads_figure(scores)
    panels = head_axes(fig)
    assert len(panels) == 3
    np.testing.assert_allclose(np.asarray(panels[0].images[0].get_array()).sum(-1), np.ones(5), rtol=1e-5)
    plot.pyplot().close(fig)
    assert os.path.exists(plot.attention_heads(scores, path=tmp_path / "mha.png"))


@pytest.mark.parametrize("shape", [(5, 5), (6,), (1, 2, 3, 4, 5), (0, 3, 3), (2, 0, 3, 3), (2, 3, 0)])
def test_bad_shapes_name_the_function_and_the_shape(shape, tmp_path):
    with pytest.raises(ValueError, match=r"attention_heads\(\).*" + re_shape(shape)):
        plot.attention_heads(np.zeros(shape), path=tmp_path / "bad.png")
    assert not (tmp_path / "bad.png").exists()


def re_shape(shape: tuple[int, ...]) -> str:
    return str(tuple(shape)).replace("(", r"\(").replace(")", r"\)")


@pytest.mark.parametrize("tokens, key_tokens", [(list("abc"), None), (list("abcd"), list("xy"))])
def test_token_count_mismatch_names_the_function_and_the_shape(tokens, key_tokens):
    with pytest.raises(ValueError, match=r"attention_heads\(\).*\(2, 4, 4\)"):
        plot.attention_heads_figure(np.full((2, 4, 4), 0.25), tokens=tokens, key_tokens=key_tokens)


def test_position_similarity_is_the_cosine_matrix_of_the_table(tmp_path):
    rng = np.random.default_rng(0)
    table = rng.normal(size=(6, 4))
    fig = plot.position_similarity_figure(table)
    drawn = np.asarray(fig.axes[0].images[0].get_array())
    unit = table / np.linalg.norm(table, axis=1, keepdims=True)
    np.testing.assert_allclose(drawn, unit @ unit.T, atol=1e-12)
    np.testing.assert_allclose(np.diag(drawn), 1.0)


def test_position_similarity_of_a_layer_and_of_sinusoids(tmp_path):
    layer = layers.TokenAndPositionEmbedding(10, 8, 6)
    layer(np.zeros((1, 8), np.int64))
    fig = plot.position_similarity_figure(layer)
    table = layer.position_embedding.position_embeddings.numpy()
    unit = table / np.linalg.norm(table, axis=1, keepdims=True)
    np.testing.assert_allclose(np.asarray(fig.axes[0].images[0].get_array()), unit @ unit.T, atol=1e-6)
    # Vaswani's sinusoids: p_i . p_j depends on i - j only (a Toeplitz matrix)
    sines = layers.SinePositionEncoding()(np.zeros((1, 12, 16), np.float32)).numpy()[0]
    similarity = np.asarray(plot.position_similarity_figure(sines).axes[0].images[0].get_array())
    for offset in range(1, 4):
        band = np.diag(similarity, offset)
        np.testing.assert_allclose(band, band[0], atol=1e-5)
    path = plot.position_similarity(table, tmp_path / "positions.png")
    assert os.path.getsize(path) > 1000
    with pytest.raises(ValueError, match="needs a \\(positions, dim\\) table"):
        plot.position_similarity_figure(np.zeros(5))
