"""Real price and macro series shipped inside optional packages (never downloaded by brickwork).

- :func:`load_msft`: Microsoft daily OHLCV 1986-03-13 … 2017-11-10 (7,983 days) from ``pmdarima``.
- :func:`load_macro`: US quarterly macro data 1959Q1 … 2009Q3 (203 quarters) from ``statsmodels``.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def load_msft() -> Any:
    """Daily Microsoft prices as a DataFrame (Date, Open, High, Low, Close, Volume), oldest first."""
    try:
        from pmdarima.datasets import load_msft as _load
    except ImportError:
        raise ImportError("The MSFT prices ship with pmdarima: pip install 'brickwork[studies]'.") from None
    frame = _load()
    return frame.drop(columns=[c for c in ("OpenInt",) if c in frame.columns]).reset_index(drop=True)


def load_macro() -> Any:
    """statsmodels' ``macrodata`` (realgdp, realcons, realinv, …) as a DataFrame, oldest first."""
    try:
        from statsmodels.datasets import macrodata
    except ImportError:
        raise ImportError("The macro series ship with statsmodels: pip install 'brickwork[studies]'.") from None
    return macrodata.load_pandas().data


def direction_features(prices: Any) -> tuple[Any, np.ndarray]:
    """Engineered daily features known at the close of day :math:`t`, and the label "close of day t+1
    above close of day t" (the last day, with no next close, is dropped).

    Features: returns over the last 1, 2, 3, 5 days; 5/10/20-day mean return and volatility; distance of
    the close from its 10/50-day moving averages; the day's high-low range and close-open move;
    log volume change and volume relative to its 20-day mean.
    """
    import pandas as pd

    close, volume = prices["Close"].astype(float), prices["Volume"].astype(float).clip(lower=1)
    r = np.log(close).diff()
    f = pd.DataFrame(index=prices.index)
    for k in (1, 2, 3, 5):
        f[f"return_{k}d"] = np.log(close).diff(k)
    for k in (5, 10, 20):
        f[f"mean_return_{k}d"] = r.rolling(k).mean()
        f[f"volatility_{k}d"] = r.rolling(k).std()
    for k in (10, 50):
        f[f"close_vs_ma{k}"] = close / close.rolling(k).mean() - 1
    f["range"] = (prices["High"] - prices["Low"]) / close
    f["close_open"] = (close - prices["Open"]) / close
    f["volume_change"] = np.log(volume).diff()
    f["volume_vs_20d"] = np.log(volume / volume.rolling(20).mean())
    up = (close.shift(-1) > close).astype(float)
    keep = f.notna().all(axis=1) & close.shift(-1).notna()
    return f[keep].reset_index(drop=True), up[keep].to_numpy(np.float32)
