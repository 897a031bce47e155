"""Home Credit default risk (seed 000): load the real CSVs, or generate a synthetic set with their schema.

The real data (Kaggle's "Home Credit Default Risk") are downloaded by the user; brickwork never
downloads them. :func:`load_home_credit` reads ``application_train.csv`` (one row per applicant,
``SK_ID_CURR``, ``TARGET`` and 120 features) and ``credit_card_balance.csv`` (monthly rows keyed by
``SK_ID_PREV``, ``SK_ID_CURR``, ``MONTHS_BALANCE``) and returns, per applicant, the application
features and the balance history as a right-aligned ``(applicants, months, features)`` array (most
recent month last, zeros before the history starts and for applicants with no card).

:func:`make_home_credit` generates both tables with the same columns and roughly the real marginals
(8% defaults; log-normal amounts; EXT_SOURCE scores with the real missing rates; the 365243
"pensioner" code in DAYS_EMPLOYED; mostly-missing building columns; about a third of applicants with
card histories of 1-96 months). The default probability is

.. math:: \\operatorname{logit} p = -3.2 - 1.1\\,z_\\text{ext} + 0.25\\,z_\\text{credit/income}
          + 0.3\\,[\\text{age} < 30] + 0.3\\,[\\text{employed} < 1\\text{ y}]
          + 1.3\\,z_\\text{rise} + 0.9\\,[\\text{DPD in the last 3 months}] - 0.5\\,z_\\text{repaid}

where :math:`z_\\text{ext}` is the standardised mean of the available EXT_SOURCE scores and, for
applicants with a card history, :math:`z_\\text{rise}` the standardised rise of credit utilisation over
the last 6 months compared with the 6 before, and :math:`z_\\text{repaid}` the standardised share of the
balance repaid over the last 3 months — a signal in the *trajectory* of the balances, which the
recurrent model can read and a model of the application alone cannot.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

_BUILDING = ["APARTMENTS", "BASEMENTAREA", "YEARS_BEGINEXPLUATATION", "YEARS_BUILD", "COMMONAREA", "ELEVATORS",
             "ENTRANCES", "FLOORSMAX", "FLOORSMIN", "LANDAREA", "LIVINGAPARTMENTS", "LIVINGAREA",
             "NONLIVINGAPARTMENTS", "NONLIVINGAREA"]
APPLICATION_COLUMNS = (
    ["SK_ID_CURR", "TARGET", "NAME_CONTRACT_TYPE", "CODE_GENDER", "FLAG_OWN_CAR", "FLAG_OWN_REALTY", "CNT_CHILDREN",
     "AMT_INCOME_TOTAL", "AMT_CREDIT", "AMT_ANNUITY", "AMT_GOODS_PRICE", "NAME_TYPE_SUITE", "NAME_INCOME_TYPE",
     "NAME_EDUCATION_TYPE", "NAME_FAMILY_STATUS", "NAME_HOUSING_TYPE", "REGION_POPULATION_RELATIVE", "DAYS_BIRTH",
     "DAYS_EMPLOYED", "DAYS_REGISTRATION", "DAYS_ID_PUBLISH", "OWN_CAR_AGE", "FLAG_MOBIL", "FLAG_EMP_PHONE",
     "FLAG_WORK_PHONE", "FLAG_CONT_MOBILE", "FLAG_PHONE", "FLAG_EMAIL", "OCCUPATION_TYPE", "CNT_FAM_MEMBERS",
     "REGION_RATING_CLIENT", "REGION_RATING_CLIENT_W_CITY", "WEEKDAY_APPR_PROCESS_START", "HOUR_APPR_PROCESS_START",
     "REG_REGION_NOT_LIVE_REGION", "REG_REGION_NOT_WORK_REGION", "LIVE_REGION_NOT_WORK_REGION",
     "REG_CITY_NOT_LIVE_CITY", "REG_CITY_NOT_WORK_CITY", "LIVE_CITY_NOT_WORK_CITY", "ORGANIZATION_TYPE",
     "EXT_SOURCE_1", "EXT_SOURCE_2", "EXT_SOURCE_3"]
    + [f"{b}_{s}" for s in ("AVG", "MODE", "MEDI") for b in _BUILDING]
    + ["FONDKAPREMONT_MODE", "HOUSETYPE_MODE", "TOTALAREA_MODE", "WALLSMATERIAL_MODE", "EMERGENCYSTATE_MODE",
       "OBS_30_CNT_SOCIAL_CIRCLE", "DEF_30_CNT_SOCIAL_CIRCLE", "OBS_60_CNT_SOCIAL_CIRCLE", "DEF_60_CNT_SOCIAL_CIRCLE",
       "DAYS_LAST_PHONE_CHANGE"]
    + [f"FLAG_DOCUMENT_{k}" for k in range(2, 22)]
    + [f"AMT_REQ_CREDIT_BUREAU_{p}" for p in ("HOUR", "DAY", "WEEK", "MON", "QRT", "YEAR")]
)
BALANCE_COLUMNS = ["SK_ID_PREV", "SK_ID_CURR", "MONTHS_BALANCE", "AMT_BALANCE", "AMT_CREDIT_LIMIT_ACTUAL",
                   "AMT_DRAWINGS_ATM_CURRENT", "AMT_DRAWINGS_CURRENT", "AMT_DRAWINGS_OTHER_CURRENT",
                   "AMT_DRAWINGS_POS_CURRENT", "AMT_INST_MIN_REGULARITY", "AMT_PAYMENT_CURRENT",
                   "AMT_PAYMENT_TOTAL_CURRENT", "AMT_RECEIVABLE_PRINCIPAL", "AMT_RECIVABLE", "AMT_TOTAL_RECEIVABLE",
                   "CNT_DRAWINGS_ATM_CURRENT", "CNT_DRAWINGS_CURRENT", "CNT_DRAWINGS_OTHER_CURRENT",
                   "CNT_DRAWINGS_POS_CURRENT", "CNT_INSTALMENT_MATURE_CUM", "NAME_CONTRACT_STATUS", "SK_DPD",
                   "SK_DPD_DEF"]
CATEGORICAL = {
    "NAME_CONTRACT_TYPE": (["Cash loans", "Revolving loans"], [0.9, 0.1]),
    "CODE_GENDER": (["F", "M", "XNA"], [0.658, 0.3419, 0.0001]),
    "FLAG_OWN_CAR": (["N", "Y"], [0.66, 0.34]),
    "FLAG_OWN_REALTY": (["Y", "N"], [0.69, 0.31]),
    "NAME_TYPE_SUITE": (["Unaccompanied", "Family", "Spouse, partner", "Children", "Other_B", None],
                        [0.81, 0.13, 0.037, 0.011, 0.008, 0.004]),
    "NAME_INCOME_TYPE": (["Working", "Commercial associate", "Pensioner", "State servant", "Unemployed"],
                         [0.516, 0.233, 0.18, 0.0705, 0.0005]),
    "NAME_EDUCATION_TYPE": (["Secondary / secondary special", "Higher education", "Incomplete higher",
                             "Lower secondary", "Academic degree"], [0.71, 0.243, 0.033, 0.0135, 0.0005]),
    "NAME_FAMILY_STATUS": (["Married", "Single / not married", "Civil marriage", "Separated", "Widow"],
                           [0.639, 0.148, 0.097, 0.064, 0.052]),
    "NAME_HOUSING_TYPE": (["House / apartment", "With parents", "Municipal apartment", "Rented apartment",
                           "Office apartment", "Co-op apartment"], [0.888, 0.048, 0.036, 0.016, 0.0085, 0.0035]),
    "OCCUPATION_TYPE": (["Laborers", "Sales staff", "Core staff", "Managers", "Drivers", "High skill tech staff",
                         "Accountants", "Medicine staff", None], [0.18, 0.104, 0.09, 0.07, 0.06, 0.037, 0.032, 0.027,
                                                                  0.4]),
    "WEEKDAY_APPR_PROCESS_START": (["TUESDAY", "WEDNESDAY", "MONDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"],
                                   [0.175, 0.169, 0.165, 0.164, 0.164, 0.11, 0.053]),
    "ORGANIZATION_TYPE": (["Business Entity Type 3", "XNA", "Self-employed", "Other", "Medicine", "Government",
                           "School", "Trade: type 7", "Kindergarten", "Construction"],
                          [0.23, 0.18, 0.125, 0.054, 0.036, 0.034, 0.029, 0.025, 0.022, 0.285]),
    "FONDKAPREMONT_MODE": (["reg oper account", "reg oper spec account", "not specified", "org spec account", None],
                           [0.24, 0.04, 0.018, 0.018, 0.684]),
    "HOUSETYPE_MODE": (["block of flats", "specific housing", "terraced house", None], [0.49, 0.005, 0.004, 0.501]),
    "WALLSMATERIAL_MODE": (["Panel", "Stone, brick", "Block", "Wooden", "Mixed", None],
                           [0.214, 0.211, 0.03, 0.017, 0.008, 0.52]),
    "EMERGENCYSTATE_MODE": (["No", "Yes", None], [0.518, 0.008, 0.474]),
}
SEQUENCE_FEATURES = [c for c in BALANCE_COLUMNS if c not in ("SK_ID_PREV", "SK_ID_CURR", "MONTHS_BALANCE",
                                                                   "NAME_CONTRACT_STATUS")] + ["CARDS", "ACTIVE"]
REAL_SIZES = {"applicants": 307_511, "balance_rows": 3_840_312}


def _signed_log(x: np.ndarray) -> np.ndarray:
    return np.sign(x) * np.log1p(np.abs(x))


@dataclass
class HomeCreditData:
    """Per applicant: ``application`` (a DataFrame without ``TARGET``), ``balances`` (``(n, months,
    features)`` float32, signed-log amounts, zeros where there is no history), ``target`` and ``ids``."""

    application: Any
    balances: np.ndarray
    target: np.ndarray | None
    ids: np.ndarray
    balance_features: list[str]


# ----------------------------------------------------------------------------------------- generator
def make_home_credit(n_applicants: int = 20_000, seed: int = 0, history_fraction: float = 0.337,
                     max_months: int = 96, return_probability: bool = False) -> tuple[Any, ...]:
    """``(application_train, credit_card_balance)`` DataFrames with the real columns (see the module).

    With ``return_probability`` the generator's own default probability per applicant comes third:
    its ROC AUC is the ceiling any model can reach on these data (the Bayes classifier's).
    """
    import pandas as pd

    rng = np.random.default_rng(seed)
    n = int(n_applicants)
    cols: dict[str, Any] = {"SK_ID_CURR": np.arange(100_002, 100_002 + n)}
    for name, (values, probs) in CATEGORICAL.items():
        p = np.asarray(probs, float)
        cols[name] = np.array(values, dtype=object)[rng.choice(len(values), n, p=p / p.sum())]
    income = np.exp(rng.normal(np.log(147_000), 0.5, n)).round(-2)
    credit = np.exp(rng.normal(np.log(513_000), 0.65, n)).round(-2)
    cols.update({
        "CNT_CHILDREN": rng.choice([0, 1, 2, 3], n, p=[0.7, 0.2, 0.087, 0.013]),
        "AMT_INCOME_TOTAL": income, "AMT_CREDIT": credit,
        "AMT_ANNUITY": np.where(rng.random(n) < 4e-5, np.nan, (credit / rng.uniform(12, 40, n)).round(1)),
        "AMT_GOODS_PRICE": np.where(rng.random(n) < 9e-4, np.nan, (credit * rng.uniform(0.8, 1.0, n)).round(-3)),
        "REGION_POPULATION_RELATIVE": rng.beta(2, 80, n).round(6),
        "DAYS_BIRTH": -rng.integers(7_489, 25_229, n),
        "DAYS_REGISTRATION": -rng.integers(0, 24_672, n).astype(float),
        "DAYS_ID_PUBLISH": -rng.integers(0, 7_197, n),
        "OWN_CAR_AGE": np.where(cols["FLAG_OWN_CAR"] == "Y", rng.integers(0, 30, n), np.nan),
        "FLAG_MOBIL": np.ones(n, int), "FLAG_CONT_MOBILE": (rng.random(n) < 0.998).astype(int),
        "FLAG_WORK_PHONE": (rng.random(n) < 0.2).astype(int), "FLAG_PHONE": (rng.random(n) < 0.28).astype(int),
        "FLAG_EMAIL": (rng.random(n) < 0.057).astype(int),
        "REGION_RATING_CLIENT": rng.choice([1, 2, 3], n, p=[0.105, 0.738, 0.157]),
        "HOUR_APPR_PROCESS_START": np.clip(rng.normal(12, 3.3, n).round(), 0, 23).astype(int),
        "DAYS_LAST_PHONE_CHANGE": -rng.integers(0, 4_292, n).astype(float),
    })
    pensioner = cols["NAME_INCOME_TYPE"] == "Pensioner"
    cols["DAYS_EMPLOYED"] = np.where(pensioner, 365_243, -rng.exponential(2_400, n).astype(int) - 1)
    cols["FLAG_EMP_PHONE"] = (~pensioner).astype(int)
    cols["CNT_FAM_MEMBERS"] = (cols["CNT_CHILDREN"] + 1 + (cols["NAME_FAMILY_STATUS"] == "Married")).astype(float)
    cols["REGION_RATING_CLIENT_W_CITY"] = cols["REGION_RATING_CLIENT"]
    for name in ("REG_REGION_NOT_LIVE_REGION", "REG_REGION_NOT_WORK_REGION", "LIVE_REGION_NOT_WORK_REGION",
                 "REG_CITY_NOT_LIVE_CITY", "REG_CITY_NOT_WORK_CITY", "LIVE_CITY_NOT_WORK_CITY"):
        cols[name] = (rng.random(n) < rng.uniform(0.015, 0.23)).astype(int)
    latent = rng.normal(size=n)                                    # the applicant's unobserved credit quality
    for k, missing in ((1, 0.564), (2, 0.002), (3, 0.198)):
        score = 1 / (1 + np.exp(-(0.2 + 0.9 * latent + 0.8 * rng.normal(size=n))))
        cols[f"EXT_SOURCE_{k}"] = np.where(rng.random(n) < missing, np.nan, score.round(6))
    present = rng.random(n) < 0.5                                  # building information: about half missing
    for s in ("AVG", "MODE", "MEDI"):
        for b in _BUILDING:
            cols[f"{b}_{s}"] = np.where(present & (rng.random(n) < 0.9), rng.beta(1.5, 8, n).round(4), np.nan)
    cols["TOTALAREA_MODE"] = np.where(present, rng.beta(1.5, 12, n).round(4), np.nan)
    for d in (30, 60):
        obs = np.where(rng.random(n) < 0.003, np.nan, rng.poisson(1.4, n))
        cols[f"OBS_{d}_CNT_SOCIAL_CIRCLE"] = obs
        defaults = rng.binomial(np.nan_to_num(obs).astype(int), 0.1)
        cols[f"DEF_{d}_CNT_SOCIAL_CIRCLE"] = np.where(np.isnan(obs), np.nan, defaults)
    for k in range(2, 22):
        cols[f"FLAG_DOCUMENT_{k}"] = (rng.random(n) < (0.71 if k == 3 else 0.01)).astype(int)
    bureau_missing = rng.random(n) < 0.135
    for p, lam in (("HOUR", 0.006), ("DAY", 0.007), ("WEEK", 0.034), ("MON", 0.27), ("QRT", 0.27), ("YEAR", 1.9)):
        cols[f"AMT_REQ_CREDIT_BUREAU_{p}"] = np.where(bureau_missing, np.nan, rng.poisson(lam, n))

    balances, trajectory = _make_balances(rng, cols["SK_ID_CURR"], latent, history_fraction, max_months)
    scores = np.stack([cols[f"EXT_SOURCE_{k}"] for k in (1, 2, 3)])
    seen = ~np.isnan(scores)
    ext = np.where(seen.any(axis=0), np.nansum(scores, axis=0) / np.maximum(seen.sum(axis=0), 1), 0.5)
    ratio = np.log(credit / income)
    logit = (-3.2 - 1.1 * (ext - ext.mean()) / ext.std() + 0.25 * (ratio - ratio.mean()) / ratio.std()
             + 0.3 * (cols["DAYS_BIRTH"] > -30 * 365) + 0.3 * ((cols["DAYS_EMPLOYED"] < 0)
                                                            & (cols["DAYS_EMPLOYED"] > -365)) + trajectory)
    probability = 1 / (1 + np.exp(-logit))
    cols["TARGET"] = (rng.random(n) < probability).astype(int)
    application = pd.DataFrame({c: cols[c] for c in APPLICATION_COLUMNS})
    return (application, balances, probability) if return_probability else (application, balances)


def _make_balances(rng: np.random.Generator, ids: np.ndarray, latent: np.ndarray, fraction: float,
                   max_months: int) -> tuple[Any, np.ndarray]:
    """Monthly card rows for a ``fraction`` of the applicants, and each applicant's trajectory logit term."""
    import pandas as pd

    n = len(ids)
    owners = np.flatnonzero(rng.random(n) < fraction)
    lengths = np.minimum(rng.integers(1, 2 * 37, len(owners)), max_months)   # ~37 months on average
    rows = int(lengths.sum())
    owner_of_row = np.repeat(np.arange(len(owners)), lengths)
    t = np.arange(rows) - np.repeat(np.cumsum(lengths) - lengths, lengths)   # 0 .. length-1 (oldest first)
    months_before_end = np.repeat(lengths, lengths) - 1 - t
    limit = rng.choice([45_000, 90_000, 135_000, 180_000, 225_000, 270_000, 450_000], len(owners)).astype(float)
    base = np.clip(0.35 - 0.12 * latent[owners] + 0.15 * rng.normal(size=len(owners)), 0.0, 1.0)
    rise = np.where(rng.random(len(owners)) < 0.3, rng.uniform(0.1, 0.6, len(owners)), 0.0) * \
        (1 + (latent[owners] < -0.5))                              # some utilisations climb late in the history
    late = np.clip(6 - months_before_end, 0, 6) / 6.0
    util = np.clip(base[owner_of_row] + rise[owner_of_row] * late + 0.05 * rng.normal(size=rows), 0, 1.3)
    balance = (util * limit[owner_of_row]).round(2)
    stress = util > 0.95
    dpd = np.where(stress & (rng.random(rows) < 0.4), rng.integers(1, 60, rows), 0)
    repay_share = np.clip(rng.beta(2, 5, rows) * (1.3 - util), 0, 1)
    payment = (balance * repay_share).round(2)
    drawings = np.maximum(0, balance * rng.uniform(0, 0.3, rows)).round(2)
    atm_share = rng.uniform(0, 1, rows)
    no_detail = rng.random(rows) < 0.195
    frame = pd.DataFrame({
        "SK_ID_PREV": 1_000_000 + owners[owner_of_row],
        "SK_ID_CURR": ids[owners][owner_of_row],
        "MONTHS_BALANCE": -months_before_end - 1,
        "AMT_BALANCE": balance,
        "AMT_CREDIT_LIMIT_ACTUAL": limit[owner_of_row],
        "AMT_DRAWINGS_ATM_CURRENT": np.where(no_detail, np.nan, (drawings * atm_share).round(2)),
        "AMT_DRAWINGS_CURRENT": drawings,
        "AMT_DRAWINGS_OTHER_CURRENT": np.where(no_detail, np.nan, 0.0),
        "AMT_DRAWINGS_POS_CURRENT": np.where(no_detail, np.nan, (drawings * (1 - atm_share)).round(2)),
        "AMT_INST_MIN_REGULARITY": (0.05 * balance).round(2),
        "AMT_PAYMENT_CURRENT": np.where(no_detail, np.nan, payment),
        "AMT_PAYMENT_TOTAL_CURRENT": payment,
        "AMT_RECEIVABLE_PRINCIPAL": (0.95 * balance).round(2),
        "AMT_RECIVABLE": balance, "AMT_TOTAL_RECEIVABLE": balance,
        "CNT_DRAWINGS_ATM_CURRENT": np.where(no_detail, np.nan, rng.poisson(0.5, rows)),
        "CNT_DRAWINGS_CURRENT": rng.poisson(0.7, rows),
        "CNT_DRAWINGS_OTHER_CURRENT": np.where(no_detail, np.nan, 0.0),
        "CNT_DRAWINGS_POS_CURRENT": np.where(no_detail, np.nan, rng.poisson(0.5, rows)),
        "CNT_INSTALMENT_MATURE_CUM": np.where(no_detail, np.nan, t.astype(float)),
        "NAME_CONTRACT_STATUS": np.where(months_before_end == 0, np.where(rng.random(rows) < 0.1, "Completed",
                                                                          "Active"), "Active").astype(object),
        "SK_DPD": dpd, "SK_DPD_DEF": np.where(dpd > 30, dpd, 0),
    })
    # trajectory term: utilisation rise (last 6 months vs the 6 before), recent DPD, recent repayment
    last = months_before_end < 6
    prev = (months_before_end >= 6) & (months_before_end < 12)
    mean_last = _group_mean(util, owner_of_row, last, len(owners))
    mean_prev = _group_mean(util, owner_of_row, prev, len(owners))
    rise_obs = np.where(np.isnan(mean_prev), 0.0, mean_last - np.nan_to_num(mean_prev))
    recent = months_before_end < 3
    late_dpd = np.bincount(owner_of_row, (dpd > 0) & recent, len(owners)) > 0
    repaid = np.nan_to_num(_group_mean(repay_share, owner_of_row, recent, len(owners)))
    term = np.zeros(n)
    term[owners] = (1.3 * (rise_obs - rise_obs.mean()) / (rise_obs.std() + 1e-9) + 0.9 * late_dpd
                    - 0.5 * (repaid - repaid.mean()) / (repaid.std() + 1e-9))
    return frame, term


def _group_mean(values: np.ndarray, group: np.ndarray, where: np.ndarray, n: int) -> np.ndarray:
    count = np.bincount(group, where, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.bincount(group, values * where, n) / count


def write_home_credit(directory: str, n_applicants: int = 20_000, seed: int = 0) -> tuple[str, str]:
    """Generate and write ``application_train.csv`` and ``credit_card_balance.csv`` into ``directory``."""
    application, balances = make_home_credit(n_applicants, seed)
    os.makedirs(directory, exist_ok=True)
    paths = (os.path.join(directory, "application_train.csv"), os.path.join(directory, "credit_card_balance.csv"))
    application.to_csv(paths[0], index=False)
    balances.to_csv(paths[1], index=False)
    return paths


# ----------------------------------------------------------------------------------------- loader
def check_columns(frame: Any, required: list[str], table: str) -> None:
    """Raise a ValueError naming the missing columns of ``table``."""
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ValueError(f"{table} lacks the required column(s) {missing}.")


def balance_sequences(balances: Any, ids: np.ndarray, max_months: int = 24) -> np.ndarray:
    """Right-aligned ``(len(ids), max_months, len(SEQUENCE_FEATURES))`` float32 histories.

    Rows of several cards in the same month are summed (``CARDS`` counts them, ``ACTIVE`` counts the
    active ones); amounts are signed-log transformed, NaN become 0; the latest month is the last step.
    """
    check_columns(balances, ["SK_ID_CURR", "MONTHS_BALANCE"], "credit_card_balance")
    numeric = [c for c in SEQUENCE_FEATURES if c not in ("CARDS", "ACTIVE")]
    check_columns(balances, numeric, "credit_card_balance")
    frame = balances[["SK_ID_CURR", "MONTHS_BALANCE"] + numeric].copy()
    frame["CARDS"] = 1.0
    frame["ACTIVE"] = (balances["NAME_CONTRACT_STATUS"] == "Active").astype(float) \
        if "NAME_CONTRACT_STATUS" in balances.columns else 1.0
    grouped = frame.groupby(["SK_ID_CURR", "MONTHS_BALANCE"], sort=True).sum(min_count=1)
    keys = grouped.index.get_level_values(0).to_numpy()
    values = _signed_log(np.nan_to_num(grouped.to_numpy(np.float64))).astype(np.float32)
    # position from the end of each applicant's history (0 = latest month)
    last_of_group = np.r_[keys[1:] != keys[:-1], True]
    group_end = np.flatnonzero(last_of_group)
    group_id = np.repeat(np.arange(len(group_end)), np.diff(np.r_[-1, group_end]))
    from_end = group_end[group_id] - np.arange(len(keys))
    keep = from_end < max_months
    row_of = {k: i for i, k in enumerate(ids.tolist())}
    target_row = np.array([row_of.get(k, -1) for k in keys[last_of_group].tolist()])[group_id]
    keep &= target_row >= 0
    out = np.zeros((len(ids), max_months, len(SEQUENCE_FEATURES)), np.float32)
    out[target_row[keep], max_months - 1 - from_end[keep]] = values[keep]
    return out


def load_home_credit(data_dir: str, max_months: int = 24, nrows: int | None = None,
                     application_file: str = "application_train.csv",
                     balance_file: str = "credit_card_balance.csv") -> HomeCreditData:
    """Read the Home Credit CSVs (real or from :func:`write_home_credit`) into per-applicant arrays."""
    import pandas as pd

    app_path, bal_path = os.path.join(data_dir, application_file), os.path.join(data_dir, balance_file)
    for path in (app_path, bal_path):
        if not os.path.exists(path):
            raise FileNotFoundError(f"{path} not found. Download the Home Credit data from Kaggle into "
                                    f"{data_dir}, or generate a synthetic set with brickwork.datasets.home_credit.")
    application = pd.read_csv(app_path, nrows=nrows)
    check_columns(application, ["SK_ID_CURR"], application_file)
    dtypes = {c: np.float32 for c in BALANCE_COLUMNS if c.startswith(("AMT_", "CNT_", "SK_DPD"))}
    balances = pd.read_csv(bal_path, dtype=dtypes)
    ids = application["SK_ID_CURR"].to_numpy()
    target = application.pop("TARGET").to_numpy().astype(np.float32) if "TARGET" in application else None
    return HomeCreditData(application, balance_sequences(balances, ids, max_months), target, ids,
                          list(SEQUENCE_FEATURES))


def balance_aggregates(sequences: np.ndarray) -> np.ndarray:
    """Hand-made features of each history for the baselines: months present, mean / last / max of each
    feature, and the last-3-months mean minus the mean before (a crude trend)."""
    present = np.any(sequences != 0, axis=-1)                       # (n, T)
    count = present.sum(axis=1, keepdims=True)
    safe = np.maximum(count, 1)
    mean = sequences.sum(axis=1) / safe
    last = sequences[:, -1]
    recent = sequences[:, -3:].sum(axis=1) / np.maximum(present[:, -3:].sum(axis=1, keepdims=True), 1)
    earlier = sequences[:, :-3].sum(axis=1) / np.maximum(present[:, :-3].sum(axis=1, keepdims=True), 1)
    return np.concatenate([count, mean, last, sequences.max(axis=1), recent - earlier], axis=1).astype(np.float32)
