r"""Reason codes for a credit decision: the features that pushed an applicant's default score most toward
default, relative to a reference applicant, as readable sentences.

Adverse-action notices (the US Equal Credit Opportunity Act's Regulation B, for one) must state the
principal reasons a credit application was refused, and the EU AI Act classes credit scoring as high-risk,
so a score without its reasons is not usable. The reasons here come from integrated gradients
(:func:`brickwork.explain.integrated_gradients`): for the score :math:`f` (the default probability), the
applicant :math:`x` and the reference :math:`r`,

.. math:: \mathrm{IG}_j = (x_j - r_j)\int_0^1 \partial_j f\bigl(r + \alpha (x - r)\bigr)\,d\alpha,
          \qquad \sum_j \mathrm{IG}_j = f(x) - f(r),

so each attribution is the part of the score difference owed to feature :math:`j`, in probability units.
A sequence input (monthly balances) gets one attribution per feature, summed over the months. Features
that cannot move along a straight path — categories, and numbers missing on one side — are credited with
the one-at-a-time effect :math:`f(x) - f(x \text{ with } x_j := r_j)`; on the path they stay at the
applicant's values, as do the months on file (a month with no history stays empty). The reasons are the
``n`` features with the largest positive attributions, worded by :data:`REASONS` (any other column falls
back on its name).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

# feature -> (sentence when the applicant's value is below the reference's, sentence when above)
REASONS: dict[str, tuple[str, str]] = {
    "EXT_SOURCE_1": ("External credit score 1 low", "External credit score 1 high"),
    "EXT_SOURCE_2": ("External credit score 2 low", "External credit score 2 high"),
    "EXT_SOURCE_3": ("External credit score 3 low", "External credit score 3 high"),
    "AMT_CREDIT": ("Amount of credit requested low", "Amount of credit requested high"),
    "AMT_ANNUITY": ("Loan annuity low", "Loan annuity high"),
    "AMT_INCOME_TOTAL": ("Income too low", "Income high"),
    "AMT_GOODS_PRICE": ("Price of the goods financed low", "Price of the goods financed high"),
    "CNT_CHILDREN": ("Few children", "Number of children high"),
    "CNT_FAM_MEMBERS": ("Small household", "Large household"),
    "DAYS_BIRTH": ("Applicant older", "Applicant young"),          # days before the application: higher = younger
    "DAYS_EMPLOYED": ("Long time in current employment", "Short time in current employment"),
    "DAYS_REGISTRATION": ("Registration long ago", "Registration changed recently"),
    "DAYS_ID_PUBLISH": ("Identity document issued long ago", "Identity document changed recently"),
    "DAYS_LAST_PHONE_CHANGE": ("Phone unchanged for long", "Phone number changed recently"),
    "OWN_CAR_AGE": ("Car new", "Car old"),
    "REGION_POPULATION_RELATIVE": ("Lives in a sparsely populated region", "Lives in a densely populated region"),
    "REGION_RATING_CLIENT": ("Region rating low", "Region rating high"),
    "REGION_RATING_CLIENT_W_CITY": ("Region and city rating low", "Region and city rating high"),
    "DEF_30_CNT_SOCIAL_CIRCLE": ("Few defaults in social circle (30 days)", "Defaults in social circle (30 days)"),
    "DEF_60_CNT_SOCIAL_CIRCLE": ("Few defaults in social circle (60 days)", "Defaults in social circle (60 days)"),
    "AMT_REQ_CREDIT_BUREAU_YEAR": ("Few credit enquiries last year", "Many credit enquiries last year"),
    "AMT_REQ_CREDIT_BUREAU_QRT": ("Few credit enquiries last quarter", "Many credit enquiries last quarter"),
    "AMT_REQ_CREDIT_BUREAU_MON": ("Few credit enquiries last month", "Many credit enquiries last month"),
    "AMT_REQ_CREDIT_BUREAU_WEEK": ("Few credit enquiries last week", "Many credit enquiries last week"),
    "AMT_REQ_CREDIT_BUREAU_DAY": ("Few credit enquiries last day", "Many credit enquiries last day"),
    "AMT_REQ_CREDIT_BUREAU_HOUR": ("Few credit enquiries in the hour before applying",
                                   "Credit enquiries in the hour before applying"),
    # monthly card-balance features (summed over the months on file)
    "AMT_BALANCE": ("Card balance low", "Card balance high"),
    "AMT_CREDIT_LIMIT_ACTUAL": ("Card credit limit low", "Card credit limit high"),
    "AMT_DRAWINGS_CURRENT": ("Card drawings low", "Card drawings high"),
    "AMT_DRAWINGS_ATM_CURRENT": ("Cash withdrawals low", "Cash withdrawals high"),
    "AMT_DRAWINGS_POS_CURRENT": ("Card purchases low", "Card purchases high"),
    "AMT_INST_MIN_REGULARITY": ("Minimum card instalment low", "Minimum card instalment high"),
    "AMT_PAYMENT_CURRENT": ("Card repayments low", "Card repayments high"),
    "AMT_PAYMENT_TOTAL_CURRENT": ("Card repayments low", "Card repayments high"),
    "AMT_RECEIVABLE_PRINCIPAL": ("Card principal owed low", "Card principal owed high"),
    "AMT_RECIVABLE": ("Card amount owed low", "Card amount owed high"),
    "AMT_TOTAL_RECEIVABLE": ("Card amount owed low", "Card amount owed high"),
    "SK_DPD": ("Card payments on time", "Card payments past due"),
    "SK_DPD_DEF": ("Card payments on time", "Card payments seriously past due"),
    "CARDS": ("Few cards", "Many cards"),
    "ACTIVE": ("Few active cards", "Many active cards"),
}


@dataclass(frozen=True)
class Reason:
    """One reason: the feature, its attribution (its share of ``f(x) - f(reference)``) and the sentence."""

    feature: str
    attribution: float
    text: str


def reason_text(feature: str, direction: str, reasons: dict[str, tuple[str, str]] | None = None) -> str:
    """The sentence for ``feature``: ``direction`` is ``'low'`` / ``'high'`` (against the reference),
    ``'missing'`` / ``'provided'`` (a number the reference lacks), or ``'= VALUE'`` for a category.
    Unknown features fall back on the column name."""
    table = REASONS if reasons is None else reasons
    name = feature.replace("_", " ").strip().capitalize()
    if direction == "missing":
        return f"{name} not provided"
    if direction == "provided":
        return f"{name} provided"
    if direction.startswith("= "):
        return f"{name}: {direction[2:]}"
    if feature in table:
        return table[feature][1 if direction == "high" else 0]
    return f"{name} {direction}"


def top_reasons(attributions: np.ndarray, names: list[str], directions: list[list[str]], n_reasons: int,
                reasons: dict[str, tuple[str, str]] | None = None) -> list[list[Reason]]:
    """Per row, the ``n_reasons`` features with the largest positive attributions (fewer when fewer push
    toward default), as :class:`Reason` objects."""
    out = []
    for i, row in enumerate(np.asarray(attributions, np.float64)):
        order = [j for j in np.argsort(-row, kind="stable") if row[j] > 0][:n_reasons]
        out.append([Reason(names[j], float(row[j]), reason_text(names[j], directions[i][j], reasons))
                    for j in order])
    return out


def _check_n(n_reasons: Any) -> int:
    if isinstance(n_reasons, bool) or not isinstance(n_reasons, (int, np.integer)) or n_reasons < 1:
        raise ValueError(f"reason codes: n_reasons must be a positive integer; got {n_reasons!r}.")
    return int(n_reasons)


def reason_codes(model: Any, x: Any, reference: Any, feature_names: list[str], n_reasons: int = 4,
                 target: int | None = None, n_steps: int = 50,
                 reasons: dict[str, tuple[str, str]] | None = None) -> list[list[Reason]]:
    """Reason codes of a one-input model: tabular ``x`` of shape ``(n, features)`` or sequences
    ``(n, steps, features)`` (attributions summed over the steps). ``reference``: one row (or one per
    row) of the same shape; ``target``: the output explained (default: the only one / the predicted)."""
    from brickwork.explain import integrated_gradients

    n_reasons = _check_n(n_reasons)
    arr = np.asarray(x, dtype=np.float32)
    if arr.ndim not in (2, 3) or len(feature_names) != arr.shape[-1]:
        raise ValueError(f"reason_codes: x must be (n, features) or (n, steps, features) with one name per "
                         f"feature; got x of shape {arr.shape} and {len(feature_names)} feature names.")
    ref = np.broadcast_to(np.asarray(reference, dtype=np.float32), arr.shape)
    attributions = integrated_gradients(model, arr, target=target, baselines=ref, n_steps=n_steps)
    diff = arr - ref
    if arr.ndim == 3:
        attributions, diff = attributions.sum(axis=1), diff.sum(axis=1)
    directions = [["high" if d > 0 else "low" for d in row] for row in diff]
    return top_reasons(attributions, list(feature_names), directions, n_reasons, reasons)


# ------------------------------------------------------------------ models built from a TabularSchema
def reference_profile(inputs: dict[str, np.ndarray], schema: Any, y: Any = None, label: int = 0) -> dict[str, Any]:
    """The reference applicant (JSON-able) from the model inputs ``inputs`` of ``schema``: the rows with
    ``y == label`` (the non-defaulters; all rows when ``y`` is None); numbers: the median (missing when
    most of those rows miss it); categories: the most frequent value; the monthly sequence: the mean of
    each month over the rows with that month on file."""
    n = len(next(iter(inputs.values())))
    rows = np.ones(n, bool) if y is None else np.asarray(y).reshape(-1) == label
    if not rows.any():
        raise ValueError(f"reference_profile: no row has label {label}; cannot build the reference applicant.")
    profile: dict[str, Any] = {"numeric": {}, "categorical": {}, "sequence": None}
    if schema.numeric:
        values = np.asarray(inputs["numeric"], np.float64)[rows]
        for j, column in enumerate(schema.numeric):
            col = values[:, j]
            profile["numeric"][column] = None if np.isnan(col).mean() > 0.5 else float(np.nanmedian(col))
    for column in schema.categorical:
        values = [v for v in np.asarray(inputs[column], object)[rows].reshape(-1)]
        keys = ["" if v is None else str(v) for v in values]
        uniq, counts = np.unique(keys, return_counts=True)
        mode = str(uniq[np.argmax(counts)])
        profile["categorical"][column] = None if mode == "" else mode
    if schema.sequence is not None:
        seq = np.asarray(inputs["sequence"], np.float64)[rows]
        on_file = np.any(seq != 0, axis=-1)                          # (rows, months)
        counts = on_file.sum(axis=0)[:, None]
        overall = seq[on_file].mean(axis=0) if on_file.any() else np.zeros(seq.shape[-1])
        month_mean = np.where(counts > 0, seq.sum(axis=0) / np.maximum(counts, 1), overall)
        profile["sequence"] = month_mean.tolist()
    return profile


class _Layout:
    """The differentiable view of a schema's inputs: one float row per applicant, ``[numeric | sequence
    (flattened) | category codes]``; the codes index per-column vocabularies and never move on the path."""

    def __init__(self, schema: Any, inputs: dict[str, np.ndarray], profile: dict[str, Any]) -> None:
        self.schema = schema
        self.p = len(schema.numeric)
        self.seq_shape = None if schema.sequence is None else tuple(np.asarray(inputs["sequence"]).shape[1:])
        self.q = 0 if self.seq_shape is None else int(np.prod(self.seq_shape))
        self.vocab: dict[str, list[Any]] = {}
        for column in schema.categorical:
            seen = [profile["categorical"][column]] + list(np.asarray(inputs[column], object).reshape(-1))
            self.vocab[column] = list(dict.fromkeys(seen))

    def encode(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        n = len(next(iter(inputs.values())))
        parts = []
        if self.p:
            parts.append(np.asarray(inputs["numeric"], np.float64).reshape(n, self.p))
        if self.q:
            parts.append(np.asarray(inputs["sequence"], np.float64).reshape(n, self.q))
        for column in self.schema.categorical:
            index = {v: k for k, v in enumerate(self.vocab[column])}
            parts.append(np.array([[index[v]] for v in np.asarray(inputs[column], object).reshape(-1)], np.float64))
        return np.concatenate(parts, axis=1).astype(np.float32)

    def decode(self, xt: Any) -> dict[str, Any]:
        """The model's input dict from a batch of rows (a Tensor: the numbers keep their gradient)."""
        data = np.asarray(xt.data if hasattr(xt, "data") else xt)
        n, out, at = data.shape[0], {}, 0
        if self.p:
            out["numeric"] = xt[:, :self.p]
            at = self.p
        if self.q:
            out["sequence"] = xt[:, at:at + self.q].reshape((n,) + self.seq_shape)
            at += self.q
        for column in self.schema.categorical:
            codes = np.rint(data[:, at]).astype(np.int64)
            out[column] = np.array([self.vocab[column][c] for c in codes], dtype=object).reshape(n, 1)
            at += 1
        return out


def _reference_row(layout: _Layout, profile: dict[str, Any]) -> dict[str, np.ndarray]:
    ref: dict[str, np.ndarray] = {}
    schema = layout.schema
    if layout.p:
        ref["numeric"] = np.array([[np.nan if profile["numeric"][c] is None else profile["numeric"][c]
                                    for c in schema.numeric]], np.float64)
    if layout.q:
        ref["sequence"] = np.asarray(profile["sequence"], np.float64).reshape((1,) + layout.seq_shape)
    for column in schema.categorical:
        ref[column] = np.array([[profile["categorical"][column]]], dtype=object)
    return ref


def schema_reason_codes(model: Any, schema: Any, inputs: dict[str, np.ndarray], profile: dict[str, Any],
                        n_reasons: int = 4, n_steps: int = 32, chunk: int = 64,
                        reasons: dict[str, tuple[str, str]] | None = None) -> list[list[Reason]]:
    """Reason codes for the rows of ``inputs`` (the input dict of ``schema``, as ``schema.inputs`` makes)
    scored by the one-output ``model``, against the reference applicant ``profile``
    (:func:`reference_profile`); see the module docstring for how each kind of feature is credited."""
    from brickwork.explain import integrated_gradients

    n_reasons = _check_n(n_reasons)
    layout = _Layout(schema, inputs, profile)
    x = layout.encode(inputs)
    ref = layout.encode(_reference_row(layout, profile))[0]

    single = len(getattr(model, "inputs", None) or []) == 1      # a one-input model takes the array itself

    def score(xt: Any) -> Any:
        decoded = layout.decode(xt)
        return model(next(iter(decoded.values())) if single else decoded, training=False)

    names = list(schema.numeric) + (list(schema.sequence["features"]) if layout.q else []) + list(schema.categorical)
    results: list[list[Reason]] = []
    for start in range(0, len(x), chunk):
        rows = x[start:start + chunk]
        base = np.broadcast_to(ref, rows.shape).copy()
        nums = slice(0, layout.p)
        missing = np.isnan(rows[:, nums]) | np.isnan(base[:, nums])
        base[:, nums] = np.where(missing, rows[:, nums], base[:, nums])   # one side missing: not on the path
        if layout.q:
            seq = slice(layout.p, layout.p + layout.q)
            months = rows[:, seq].reshape((len(rows),) + layout.seq_shape)
            on_file = np.any(months != 0, axis=-1, keepdims=True)
            ref_months = base[:, seq].reshape(months.shape)
            base[:, seq] = np.where(on_file, ref_months, 0.0).reshape(len(rows), -1)
        base[:, layout.p + layout.q:] = rows[:, layout.p + layout.q:]          # category codes stay
        ig = np.nan_to_num(integrated_gradients(score, rows, target=0, baselines=base, n_steps=n_steps))
        diff = np.nan_to_num(rows - base)
        per_feature = [ig[:, nums]]
        directions = [np.where(diff[:, nums] > 0, "high", "low").astype(object)]
        if layout.q:
            f = layout.seq_shape[-1]
            per_feature.append(ig[:, seq].reshape(len(rows), -1, f).sum(axis=1))
            total = diff[:, seq].reshape(len(rows), -1, f).sum(axis=1)
            directions.append(np.where(total > 0, "high", "low").astype(object))
        attr = np.concatenate(per_feature + [np.zeros((len(rows), len(schema.categorical)))], axis=1)
        direction = np.concatenate(directions + [np.full((len(rows), len(schema.categorical)), "", object)], axis=1)
        _discrete_effects(score, layout, rows, ref, attr, direction)
        results.extend(top_reasons(attr, names, direction.tolist(), n_reasons, reasons))
    return results


def _discrete_effects(score: Any, layout: _Layout, rows: np.ndarray, ref: np.ndarray, attr: np.ndarray,
                      direction: np.ndarray) -> None:
    """Fill in ``f(x) - f(x with x_j := r_j)`` for categories that differ from the reference and numbers
    missing on exactly one side."""
    p, offset = layout.p, layout.p + layout.q
    changes = []                                  # (row, column of attr, column of x)
    for i, row in enumerate(rows):
        for j in range(p):
            if np.isnan(row[j]) != np.isnan(ref[j]):
                changes.append((i, j, j))
        for c in range(len(layout.schema.categorical)):
            if row[offset + c] != ref[offset + c]:
                changes.append((i, p + (layout.seq_shape[-1] if layout.q else 0) + c, offset + c))
    if not changes:
        return
    from brickwork.engine.config import no_grad

    with no_grad():
        base = np.asarray(score(rows).data).reshape(len(rows), -1)[:, 0]
        edited = rows[[i for i, _, _ in changes]].copy()
        for k, (_, _, col) in enumerate(changes):
            edited[k, col] = ref[col]
        moved = np.asarray(score(edited).data).reshape(len(changes), -1)[:, 0]
    for k, (i, j, col) in enumerate(changes):
        attr[i, j] = base[i] - moved[k]
        if col < p:
            direction[i, j] = "missing" if np.isnan(rows[i, col]) else "provided"
        else:
            value = layout.vocab[layout.schema.categorical[col - offset]][int(rows[i, col])]
            direction[i, j] = f"= {'missing' if value is None else value}"
