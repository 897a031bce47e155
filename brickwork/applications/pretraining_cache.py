"""Masked-LM pre-training run once per (seed, recipe, text) and cached on disk, with checkpoints.

:func:`cached_masked_lm` pre-trains :func:`~brickwork.applications.masked_lm.masked_lm_model` on padded ids with
Adam and :func:`~brickwork.applications.masked_lm.warmup_cosine_schedule`, scores a fixed held-out share of the
ids each epoch, and saves the weights after the last epoch and after each requested checkpoint epoch under
``cache/mlm_seed<seed>_<key>``, the key from
:func:`~brickwork.applications.masked_lm.pretraining_cache_key` of the ids and every setting. A later call
with the same key reads the record back instead of training — unless it asks for a checkpoint that was not
saved, or a weights file is gone. Checkpoints do not change the training (the schedule runs over all epochs).
"""

from __future__ import annotations

import json
import math
import os
import time
from typing import Any

import numpy as np

from brickwork.applications.arguments import positive_int
from brickwork.applications.masked_lm import (
    masked_lm_model,
    pretrain_masked_lm,
    pretraining_cache_key,
    warmup_cosine_schedule,
)

HELD_OUT_SEED = 12345
"""Seed of the held-out draw: the same passages are held out for every pre-training seed."""


def cached_masked_lm(ids: np.ndarray, seed: int, epochs: int, learning_rate: float, batch_size: int,
                     warmup: float, cache: str, vocabulary_size: int, checkpoints: tuple[int, ...] = (),
                     held_out: int = 400, verbose: int = 1) -> dict[str, Any]:
    """Pre-train (or read back) a masked LM on ``ids`` (see the module docstring).

    Args:
        ids: ``(n, T)`` padded ids ``< vocabulary_size``; the model reads ``vocabulary_size + 1`` ids, the
            last being ``[MASK]``.
        seed: Seeds initialisation, masking and batch order.
        epochs, learning_rate, batch_size: The recipe (``learning_rate`` is the schedule's peak).
        warmup: Share of all optimizer steps spent warming up, in [0, 1).
        cache: Folder of the records and weights (created if needed).
        vocabulary_size: Number of real ids (padding included).
        checkpoints: Epochs after which weights are saved too.
        held_out: Passages held out to score the loss each epoch (at most a tenth of ``ids``).
        verbose: Passed to :func:`~brickwork.applications.masked_lm.pretrain_masked_lm`.

    Returns:
        ``{"weights": {epoch: path}, "loss", "val_loss", "seconds", "settings", "passages", "cached"}``.

    Raises:
        ValueError: ``ids`` not 2-D, a non-positive epoch count, or ``warmup`` outside [0, 1).
    """
    ids = np.asarray(ids)
    if ids.ndim != 2:
        raise ValueError(f"cached_masked_lm: ids must have shape (passages, sequence); got {ids.shape}.")
    epochs = positive_int("cached_masked_lm", "epochs", epochs)
    if not 0.0 <= float(warmup) < 1.0:
        raise ValueError(f"cached_masked_lm: warmup must be in [0, 1); got {warmup!r}.")
    n_held = min(held_out, len(ids) // 10)
    settings = {"seed": seed, "epochs": epochs, "learning_rate": learning_rate, "batch_size": batch_size,
                "warmup": warmup, "held_out": n_held, "model": [vocabulary_size + 1, int(ids.shape[1])]}
    base = os.path.join(cache, f"mlm_seed{seed}_{pretraining_cache_key(ids, **settings)}")
    wanted = set(checkpoints) | {epochs}
    if os.path.exists(base + ".json"):
        with open(base + ".json", encoding="utf-8") as handle:
            record = json.load(handle)
        record["weights"] = {int(k): v for k, v in record["weights"].items()}
        if wanted <= set(record["weights"]) and all(map(os.path.exists, record["weights"].values())):
            if verbose:
                print(f"  seed {seed}: pre-trained encoder read from {base}.json ({record['seconds']:.0f} s when "
                      "made)")
            return {**record, "cached": True}
    os.makedirs(cache, exist_ok=True)
    held = np.random.default_rng(HELD_OUT_SEED).permutation(len(ids))[:n_held]
    rows = np.setdiff1d(np.arange(len(ids)), held)
    total = math.ceil(rows.size / batch_size) * epochs
    schedule = warmup_cosine_schedule(learning_rate, total, warmup_steps=round(warmup * total))
    from brickwork.optimizers import Adam
    from brickwork.utils import set_random_seed

    set_random_seed(seed)
    mlm = masked_lm_model(vocabulary_size + 1, int(ids.shape[1]))
    weights: dict[int, str] = {}

    def save(epoch: int, model: Any) -> None:
        if epoch in wanted:
            weights[epoch] = f"{base}_epoch{epoch}.weights"
            model.save_weights(weights[epoch])

    t0 = time.perf_counter()
    history = pretrain_masked_lm(mlm, ids[rows], mask_id=vocabulary_size, vocabulary_size=vocabulary_size,
                                 epochs=epochs, batch_size=batch_size, optimizer=Adam(schedule),
                                 validation_ids=ids[held] if n_held else None, seed=seed, verbose=verbose,
                                 on_epoch_end=save)
    record = {"weights": weights, "loss": history["loss"], "val_loss": history["val_loss"],
              "seconds": time.perf_counter() - t0, "settings": settings, "passages": int(rows.size)}
    from brickwork.utils.io import atomic_write

    with atomic_write(base + ".json", "w") as handle:   # a crash mid-write leaves no half record to read back
        json.dump(record, handle, indent=1)
    return {**record, "cached": False}


__all__ = ["HELD_OUT_SEED", "cached_masked_lm"]
