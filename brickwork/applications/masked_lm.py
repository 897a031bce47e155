r"""Masked-language-model pre-training of the BERT-like encoder (Devlin et al. 2019, section 3.1).

**Masking** (:func:`mask_tokens`). In each row of padded ids :math:`x \in \{0, \dots, V-1\}^T` (0 = padding)
with :math:`n` real tokens, :math:`k = \min(\mathrm{max\_predictions}, \max(1, \lfloor rn + \tfrac12 \rfloor))`
of the real positions are drawn uniformly without replacement (:math:`r` = ``rate``, BERT's 15 %). Each drawn
position is then, independently, replaced by the ``[MASK]`` id with probability ``mask_token_rate`` (0.8), by a
uniformly random real id (not padding) with probability ``random_token_rate`` (0.1), and left as it is
otherwise (0.1): BERT's 80/10/10 rule. The ``[MASK]`` id lies outside the vocabulary's ids
(``mask_id >= vocabulary_size``), so the encoder that reads masked ids needs ``vocabulary_size + 1`` rows
when ``mask_id == vocabulary_size``. Padding is never drawn.

**Model** (:func:`masked_lm_model`). The encoder of :func:`~brickwork.applications.text_encoder.encoder_body`
(same layer names as :func:`~brickwork.applications.text_encoder.bert_classifier`) then
:class:`MaskedLMHead`: the outputs :math:`h_{p}` at the drawn positions only are gathered, transformed and
scored against every token,

.. math::

    u = \mathrm{LN}\big(\mathrm{GELU}(W h_p + b)\big), \qquad \mathrm{logits} = u E^\top + c,

with :math:`E` the token embedding (tied, as in BERT) or a separate matrix.

**Loss** (:func:`masked_lm_loss`): the mean cross-entropy over the drawn positions only,
:math:`L = \sum_{i,j} w_{ij}\,\mathrm{CE}_{ij} / \sum_{i,j} w_{ij}` with :math:`w_{ij} = 1` for the
:math:`k_i` drawn slots of row :math:`i` and 0 for the slots that pad the gathered positions to a common width.

:func:`pretrain_masked_lm` draws a fresh masking every epoch (dynamic masking, as RoBERTa does) and
:func:`copy_encoder_weights` hands the pre-trained embedding and blocks to a classifier.
:func:`warmup_cosine_schedule` is the learning-rate schedule for long runs (linear warm-up from 0 to the peak
over :math:`w` steps, then a cosine decay to 0 at step :math:`S`):

.. math::

    \lambda(s) = \lambda_{\max}\,\frac{s}{w} \;(s < w), \qquad
    \lambda(s) = \lambda_{\max}\,\tfrac12\Big(1 + \cos\frac{\pi (s - w)}{S - w}\Big) \;(w \le s \le S),

and :func:`pretraining_cache_key` names a pre-training run by its settings *and* the exact ids it reads, so a
cached encoder is only reused for the same text, seed and recipe.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from brickwork import functions as F
from brickwork import initializers, layers
from brickwork.applications.arguments import positive_int
from brickwork.applications.text_encoder import encoder_arguments, encoder_body
from brickwork.layers.layer import Layer
from brickwork.models import Model
from brickwork.random import draw_generator


class MaskedTokens(NamedTuple):
    """What :func:`mask_tokens` returns: all ``int32`` but ``weights`` (``float32``)."""

    inputs: np.ndarray
    """``(batch, T)``: the ids with the drawn positions replaced (80/10/10)."""
    positions: np.ndarray
    """``(batch, P)``: the drawn positions of each row, ascending, then 0 in the unused slots."""
    targets: np.ndarray
    """``(batch, P)``: the original ids at ``positions`` (0 in the unused slots)."""
    weights: np.ndarray
    """``(batch, P)``: 1 for a drawn slot, 0 for an unused one."""


def _probability(name: str, value: Any, open_interval: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"mask_tokens: {name} must be a number; got {value!r}.")
    value = float(value)
    if not ((0.0 < value < 1.0) if open_interval else (0.0 <= value <= 1.0)):
        interval = "(0, 1)" if open_interval else "[0, 1]"
        raise ValueError(f"mask_tokens: {name} must be in {interval}; got {value!r}.")
    return value


def mask_tokens(ids: Any, mask_id: int, vocabulary_size: int, rate: float = 0.15, mask_token_rate: float = 0.8,
                random_token_rate: float = 0.1, max_predictions: int | None = None, padding_id: int = 0,
                seed: Any = None) -> MaskedTokens:
    """Draw BERT's masked-language-model inputs and targets from padded ids (see the module docstring).

    Args:
        ids: ``(batch, T)`` integer ids in ``[0, vocabulary_size)``; ``padding_id`` marks padding.
        mask_id: The ``[MASK]`` id; must not be a vocabulary id (``mask_id >= vocabulary_size``).
        vocabulary_size: Number of real ids (padding included); random replacements are drawn from them,
            padding excepted.
        rate: Share of each row's real tokens to predict, in (0, 1).
        mask_token_rate: Probability that a drawn position shows ``mask_id``.
        random_token_rate: Probability that it shows a random real id; the rest keep their token.
        max_predictions: Cap on the drawn positions per row (BERT's ``max_predictions_per_seq``); None: no
            cap. The width ``P`` of the outputs is the largest count in the batch.
        padding_id: The id that is never drawn nor used as a replacement.
        seed: None, an int or a ``SeedGenerator``; the same int gives the same draw.

    Returns:
        A :class:`MaskedTokens` ``(inputs, positions, targets, weights)``.

    Raises:
        TypeError: ``ids`` is not an integer array.
        ValueError: a bad shape, id, rate, ``mask_id`` or ``max_predictions`` (the message names it).
    """
    ids = np.asarray(ids)
    if not np.issubdtype(ids.dtype, np.integer):
        raise TypeError(f"mask_tokens: ids must be an integer array; got dtype {ids.dtype}.")
    if ids.ndim != 2:
        raise ValueError(f"mask_tokens: ids must have shape (batch, sequence); got {ids.shape}.")
    vocabulary_size = positive_int("mask_tokens", "vocabulary_size", vocabulary_size)
    if isinstance(mask_id, bool) or not isinstance(mask_id, (int, np.integer)):
        raise ValueError(f"mask_tokens: mask_id must be an integer; got {mask_id!r}.")
    if 0 <= mask_id < vocabulary_size:
        raise ValueError(f"mask_tokens: mask_id {mask_id} is inside the vocabulary range [0, {vocabulary_size}) "
                         "and would conflict with a real token; use an id >= vocabulary_size.")
    if mask_id < 0:
        raise ValueError(f"mask_tokens: mask_id must be non-negative; got {mask_id}.")
    if not 0 <= padding_id < vocabulary_size:
        raise ValueError(f"mask_tokens: padding_id {padding_id} must be in [0, {vocabulary_size}).")
    if vocabulary_size < 2:
        raise ValueError("mask_tokens: vocabulary_size must leave a real id besides padding; got 1.")
    if ids.size and (ids.min() < 0 or ids.max() >= vocabulary_size):
        raise ValueError(f"mask_tokens: ids must lie in [0, {vocabulary_size}); found {ids.min()}..{ids.max()}.")
    rate = _probability("rate", rate, open_interval=True)
    mask_token_rate = _probability("mask_token_rate", mask_token_rate, open_interval=False)
    random_token_rate = _probability("random_token_rate", random_token_rate, open_interval=False)
    if mask_token_rate + random_token_rate > 1.0 + 1e-12:
        raise ValueError(f"mask_tokens: mask_token_rate + random_token_rate must be at most 1; got "
                         f"{mask_token_rate} + {random_token_rate}.")
    cap = ids.shape[1] if max_predictions is None else positive_int("mask_tokens", "max_predictions",
                                                                     max_predictions)
    rng = draw_generator(seed)

    real = ids != padding_id
    n_real = real.sum(axis=1)
    counts = np.where(n_real > 0, np.minimum(cap, np.maximum(1, np.floor(rate * n_real + 0.5))), 0).astype(int)
    width = int(counts.max()) if counts.size else 0
    keys = np.where(real, rng.random(ids.shape), np.inf)  # a uniform random order of the real positions
    chosen = np.argsort(keys, axis=1, kind="stable")[:, :width]
    used = np.arange(width)[None, :] < counts[:, None]
    positions = np.sort(np.where(used, chosen, ids.shape[1]), axis=1)  # unused slots sort last
    positions = np.where(used, positions, 0).astype(np.int32)
    rows = np.arange(ids.shape[0])[:, None]
    targets = np.where(used, ids[rows, positions], 0).astype(np.int32)

    u = rng.random(positions.shape)
    random_ids = rng.integers(1, vocabulary_size, size=positions.shape)  # 1..V-1, then skip padding_id
    random_ids = np.where(random_ids <= padding_id, random_ids - 1, random_ids)
    shown = np.where(u < mask_token_rate, mask_id,
                     np.where(u < mask_token_rate + random_token_rate, random_ids, targets))
    inputs = ids.astype(np.int32, copy=True)
    r, c = np.nonzero(used)
    inputs[r, positions[r, c]] = shown[r, c]
    return MaskedTokens(inputs, positions, targets, used.astype(np.float32))


class MaskedLMHead(Layer):
    """keras_hub's masked-LM head: gather the encoder outputs at ``mask_positions``, a ``Dense`` of the same
    width with ``intermediate_activation``, ``LayerNormalization``, then token logits — through
    ``token_embedding`` (a ``ReversibleEmbedding``, tied weights) or a ``Dense`` of its own — plus a bias.

    Args:
        vocabulary_size: Number of output logits (used when ``token_embedding`` is None).
        token_embedding: A ``ReversibleEmbedding`` whose matrix scores the tokens (tied), or None.
        intermediate_activation: Activation of the transform (``'gelu'`` as in BERT).
        layer_norm_epsilon: Epsilon of the layer normalisation.

    Call arguments: ``inputs`` ``(batch, T, d)``, ``mask_positions`` ``(batch, P)`` integer positions.
    Output shape: ``(batch, P, vocabulary_size)`` logits.
    """

    def __init__(self, vocabulary_size: int, token_embedding: Any = None, intermediate_activation: Any = "gelu",
                 layer_norm_epsilon: float = 1e-5, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.vocabulary_size = positive_int("MaskedLMHead", "vocabulary_size", vocabulary_size)
        if token_embedding is not None and int(token_embedding.input_dim) != self.vocabulary_size:
            raise ValueError(f"MaskedLMHead: vocabulary_size {vocabulary_size} differs from the token embedding's "
                             f"input_dim {token_embedding.input_dim}.")
        self.token_embedding = token_embedding
        self.intermediate_activation = intermediate_activation
        self.layer_norm_epsilon = float(layer_norm_epsilon)

    def build(self, inputs_shape: Any, mask_positions_shape: Any = None) -> None:
        width = int(inputs_shape[-1])
        self.intermediate_dense = layers.Dense(width, activation=self.intermediate_activation,
                                               name="intermediate_dense")
        self.intermediate_dense.build((None, None, width))
        self.intermediate_layer_norm = layers.LayerNormalization(epsilon=self.layer_norm_epsilon,
                                                                 name="intermediate_layer_norm")
        self.intermediate_layer_norm.build((None, None, width))
        if self.token_embedding is None:
            self.output_dense = layers.Dense(self.vocabulary_size, use_bias=False, name="output_dense")
            self.output_dense.build((None, None, width))
        self.output_bias = self.add_weight((self.vocabulary_size,), initializers.get("zeros"), name="output_bias")

    def call(self, inputs: Any, mask_positions: Any) -> Any:
        positions = np.asarray(getattr(mask_positions, "data", mask_positions)).astype(np.int64)
        if positions.ndim != 2 or positions.shape[0] != inputs.shape[0]:
            raise ValueError(f"MaskedLMHead '{self.name}': mask_positions must have shape (batch, P) with the "
                             f"inputs' batch {inputs.shape[0]}; got {positions.shape}.")
        gathered = F.take_along_axis(inputs, positions[:, :, None], axis=1)  # (batch, P, d)
        u = self.intermediate_layer_norm(self.intermediate_dense(gathered))
        logits = (self.token_embedding(u, reverse=True) if self.token_embedding is not None
                  else self.output_dense(u))
        return logits + self.output_bias

    def compute_mask(self, inputs: Any, mask: Any = None) -> None:
        return None

    def compute_output_shape(self, inputs_shape: Any, mask_positions_shape: Any = None) -> tuple[Any, ...]:
        p = None if mask_positions_shape is None else mask_positions_shape[1]
        return (inputs_shape[0], p, self.vocabulary_size)

    def get_config(self) -> dict[str, Any]:
        cfg = super().get_config()
        cfg.update({"vocabulary_size": self.vocabulary_size, "intermediate_activation": self.intermediate_activation,
                    "layer_norm_epsilon": self.layer_norm_epsilon})
        return cfg


def masked_lm_model(vocabulary_size: int, sequence_length: int, num_layers: int = 2, num_heads: int = 4,
                    embedding_dim: int = 64, intermediate_dim: int = 128, dropout: float = 0.1,
                    tie_weights: bool = True, name: str = "masked_lm") -> Model:
    """The BERT-like encoder with a :class:`MaskedLMHead`, as a two-input Functional model.

    Args:
        vocabulary_size: Number of input ids *including* the ``[MASK]`` id (e.g. ``V + 1`` with
            ``mask_id = V``); also the number of logits.
        tie_weights: Score tokens with the token embedding's matrix (BERT) instead of a separate one.
        sequence_length, num_layers, num_heads, embedding_dim, intermediate_dim, dropout, name: as
            :func:`~brickwork.applications.text_encoder.bert_classifier` (whose layer names the encoder keeps).

    Inputs: ``[token_ids (batch, T), mask_positions (batch, P)]``. Output: ``(batch, P, vocabulary_size)``
    logits (train with :func:`masked_lm_loss` and the :func:`mask_tokens` weights as sample weights).
    """
    args = encoder_arguments("masked_lm_model", vocabulary_size, sequence_length, num_layers, num_heads,
                             embedding_dim, intermediate_dim, dropout)
    tokens = layers.Input(shape=(None,), dtype="int32", name="token_ids")
    positions = layers.Input(shape=(None,), dtype="int32", name="mask_positions")
    h, embedding = encoder_body(tokens, **args)
    token_embedding = embedding.token_embedding if tie_weights else None
    logits = MaskedLMHead(args["vocabulary_size"], token_embedding=token_embedding, name="mlm_head")(
        h, mask_positions=positions)
    return Model([tokens, positions], logits, name=name)


def masked_lm_loss() -> Any:
    """Sparse categorical cross-entropy from logits averaged over the weighted (drawn) positions only
    (``reduction='mean_with_sample_weight'``): pass :attr:`MaskedTokens.weights` as the sample weights."""
    from brickwork.losses import SparseCategoricalCrossentropy

    return SparseCategoricalCrossentropy(from_logits=True, reduction="mean_with_sample_weight")


def pretrain_masked_lm(model: Model, ids: np.ndarray, mask_id: int, vocabulary_size: int, epochs: int,
                       batch_size: int = 32, rate: float = 0.15, max_predictions: int | None = None,
                       optimizer: Any = None, validation_ids: np.ndarray | None = None, seed: int = 0,
                       verbose: int = 0, on_epoch_end: Callable[[int, Model], None] | None = None
                       ) -> dict[str, list[float]]:
    """Pre-train a :func:`masked_lm_model` on unlabelled ids, with a new :func:`mask_tokens` draw each epoch.

    Args:
        model: From :func:`masked_lm_model` (compiled here with ``optimizer`` and :func:`masked_lm_loss`).
        ids: ``(n, T)`` padded ids of real tokens (``< vocabulary_size``, without ``mask_id``).
        mask_id, vocabulary_size, rate, max_predictions: passed to :func:`mask_tokens`.
        epochs: Passes over ``ids``.
        batch_size: Rows per step.
        optimizer: Default ``Adam(1e-3)``.
        validation_ids: Optional held-out ids, masked once (seed ``seed + 10**6``) and scored each epoch.
        seed: Seeds the masking draws (epoch ``e`` uses ``seed * 1000 + e``).
        verbose: Passed to ``fit``; 1 also prints one line per epoch.
        on_epoch_end: Called as ``on_epoch_end(epoch, model)`` (epoch counted from 1) after each epoch.

    Returns: ``{"loss": [...], "val_loss": [...]}`` per epoch (``val_loss`` empty without validation ids).
    """
    from brickwork.optimizers import Adam

    epochs = positive_int("pretrain_masked_lm", "epochs", epochs)
    model.compile(optimizer=Adam(1e-3) if optimizer is None else optimizer, loss=masked_lm_loss())
    options = {"rate": rate, "max_predictions": max_predictions}
    held_out = None if validation_ids is None else mask_tokens(validation_ids, mask_id, vocabulary_size,
                                                               seed=seed + 10 ** 6, **options)
    history: dict[str, list[float]] = {"loss": [], "val_loss": []}
    for epoch in range(epochs):
        draw = mask_tokens(ids, mask_id, vocabulary_size, seed=seed * 1000 + epoch, **options)
        fit = model.fit([draw.inputs, draw.positions], draw.targets, sample_weight=draw.weights,
                        batch_size=batch_size, epochs=1, shuffle=True, verbose=0 if verbose < 2 else verbose)
        history["loss"].append(float(fit.history["loss"][-1]))
        if held_out is not None:
            history["val_loss"].append(float(model.evaluate(
                [held_out.inputs, held_out.positions], held_out.targets, sample_weight=held_out.weights,
                batch_size=128, verbose=0)))
        if verbose:
            val = f", val_loss {history['val_loss'][-1]:.4f}" if held_out is not None else ""
            print(f"masked LM epoch {epoch + 1}/{epochs}: loss {history['loss'][-1]:.4f}{val}")
        if on_epoch_end is not None:
            on_epoch_end(epoch + 1, model)
    return history


def warmup_cosine_schedule(peak_learning_rate: float, total_steps: int, warmup_steps: int = 0) -> Any:
    """Linear warm-up from 0 to ``peak_learning_rate`` over ``warmup_steps`` optimizer steps, then a cosine
    decay to 0 at ``total_steps`` (the module docstring's formula): a ``CosineDecay`` for an optimizer's
    ``learning_rate``.

    Raises:
        ValueError: a non-positive peak or ``total_steps``, or ``warmup_steps`` outside ``[0, total_steps)``.
    """
    from brickwork.optimizers.schedules import CosineDecay

    if isinstance(peak_learning_rate, bool) or not isinstance(peak_learning_rate, (int, float, np.floating)) \
            or not peak_learning_rate > 0:
        raise ValueError(f"warmup_cosine_schedule: peak_learning_rate must be a positive number; "
                         f"got {peak_learning_rate!r}.")
    total_steps = positive_int("warmup_cosine_schedule", "total_steps", total_steps)
    if isinstance(warmup_steps, bool) or not isinstance(warmup_steps, (int, np.integer)) \
            or not 0 <= warmup_steps < total_steps:
        raise ValueError(f"warmup_cosine_schedule: warmup_steps must be an integer in [0, total_steps = "
                         f"{total_steps}); got {warmup_steps!r}.")
    return CosineDecay(0.0, decay_steps=total_steps - int(warmup_steps), warmup_target=float(peak_learning_rate),
                       warmup_steps=int(warmup_steps))


def pretraining_cache_key(ids: np.ndarray, **settings: Any) -> str:
    """A 16-hex-digit name for a pre-training run: SHA-256 of the ids' dtype, shape and bytes and of the
    JSON of ``settings`` (keys sorted), so any change of text, seed or recipe gives another key.

    Raises:
        TypeError: a setting that JSON cannot write (the message names it).
    """
    ids = np.ascontiguousarray(ids)
    digest = hashlib.sha256(f"{ids.dtype.str}{ids.shape}".encode())
    digest.update(ids.tobytes())
    for name, value in sorted(settings.items()):
        try:
            digest.update(json.dumps([name, value]).encode())
        except TypeError as error:
            raise TypeError(f"pretraining_cache_key: setting {name!r} = {value!r} is not JSON-serialisable.") \
                from error
    return digest.hexdigest()[:16]


def copy_encoder_weights(source: Model, target: Model) -> list[str]:
    """Copy the weights of the layers named ``embedding`` and ``encoder_<i>`` from ``source`` to ``target``
    (e.g. from a pre-trained :func:`masked_lm_model` to a fresh ``bert_classifier`` of the same sizes and
    vocabulary); returns the names copied.

    Raises:
        ValueError: ``target`` has no such layer, ``source`` lacks one of them, or their shapes differ.
    """
    names = [layer.name for layer in target.layers
             if layer.name == "embedding" or (layer.name.startswith("encoder_") and layer.name[8:].isdigit())]
    if not names:
        raise ValueError(f"copy_encoder_weights: target '{target.name}' has no 'embedding' or 'encoder_<i>' layer.")
    available = {layer.name: layer for layer in source.layers}
    for name in names:
        if name not in available:
            raise ValueError(f"copy_encoder_weights: source '{source.name}' has no layer '{name}'.")
        theirs, mine = available[name].get_weights(), target.get_layer(name).get_weights()
        if [w.shape for w in theirs] != [w.shape for w in mine]:
            raise ValueError(f"copy_encoder_weights: layer '{name}' has weights {[w.shape for w in theirs]} in "
                             f"the source and {[w.shape for w in mine]} in the target.")
        target.get_layer(name).set_weights(theirs)
    return names


__all__ = ["MaskedLMHead", "MaskedTokens", "copy_encoder_weights", "mask_tokens", "masked_lm_loss",
           "masked_lm_model", "pretrain_masked_lm", "pretraining_cache_key", "warmup_cosine_schedule"]
