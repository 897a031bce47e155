"""Study reports an analyst can sign off: paired bootstrap intervals, the Diebold–Mariano test, report.html
(escaped, self-contained, rendered in headless Chromium when installed), constant-predictor flags,
selection on validation, figures and --quick."""

from __future__ import annotations

import base64
import html
import json
import os
import shutil
import subprocess
import time
from html.parser import HTMLParser

import numpy as np
import pytest

from brickwork.studies import bootstrap as bs
from brickwork.studies.diebold_mariano import diebold_mariano
from brickwork.studies.report import Report, wrap_title

sklearn_metrics = pytest.importorskip("sklearn.metrics")


# ---------------------------------------------------------------- bootstrap


def _labels_scores(rng, n=300):
    y = (rng.random(n) < 0.3).astype(float)
    s = np.round(rng.random(n) + 0.4 * y, 1)                     # rounded: many ties
    return y, s


def test_weighted_auc_equals_sklearn_on_resampled_rows(rng):
    y, s = _labels_scores(rng)
    idx = bs.resample_indices(len(y), 5, seed=3)
    weights = np.stack([np.bincount(i, minlength=len(y)) for i in idx])
    expected = [sklearn_metrics.roc_auc_score(y[i], s[i]) for i in idx]
    np.testing.assert_allclose(bs.weighted_auc(y, s, weights), expected, rtol=0, atol=1e-12)
    assert np.isnan(bs.weighted_auc(np.zeros(4), np.arange(4.0), np.ones((1, 4))))[0]   # one class only


@pytest.mark.parametrize("metric", ["auc", "accuracy", "mse"])
@pytest.mark.parametrize("block", [1, 7])
def test_paired_difference_is_the_percentile_interval_of_a_resampling_loop(rng, metric, block):
    y, s = _labels_scores(rng)
    other = np.clip(s + rng.normal(0, 0.3, len(s)), 0, 1)
    if metric == "accuracy":
        s, other = (s >= 0.5).astype(float), (other >= 0.5).astype(float)
    score = {"auc": sklearn_metrics.roc_auc_score, "mse": sklearn_metrics.mean_squared_error,
             "accuracy": sklearn_metrics.accuracy_score}[metric]
    got = bs.paired_difference(metric, y, s, other, n_boot=150, seed=5, level=0.9, block=block)
    loop = [score(y[i], s[i]) - score(y[i], other[i]) for i in bs.resample_indices(len(y), 150, 5, block)]
    lo, hi = np.quantile(loop, [0.05, 0.95])
    assert got.low == pytest.approx(lo, abs=1e-12) and got.high == pytest.approx(hi, abs=1e-12)
    assert got.estimate == pytest.approx(score(y, s) - score(y, other), abs=1e-12)
    assert (got.n_boot, got.n, got.block, got.level) == (150, len(y), block, 0.9)
    again = bs.paired_difference(metric, y, s, other, n_boot=150, seed=5, level=0.9, block=block)
    assert again == got                                           # a fixed seed: the same interval


def test_accuracy_interval_has_the_binomial_width(rng):
    y = (rng.random(2000) < 0.5).astype(float)
    predicted = np.where(rng.random(2000) < 0.7, y, 1 - y)       # about 70% right
    ci = bs.bootstrap_ci("accuracy", y, predicted, n_boot=2000, seed=0)
    p = ci.estimate
    assert ci.high - ci.low == pytest.approx(2 * 1.96 * np.sqrt(p * (1 - p) / 2000), rel=0.1)
    assert ci.low < p < ci.high and ci.excludes_zero()
    assert "paired percentile bootstrap" in ci.method() and "2,000 replicates" in ci.method()


def test_moving_blocks_are_consecutive_rows():
    idx = bs.resample_indices(20, 4, seed=1, block=5)
    assert idx.shape == (4, 20)
    blocks = idx.reshape(4, 4, 5)
    assert np.all(np.diff(blocks, axis=-1) == 1) and idx.min() >= 0 and idx.max() < 20
    assert bs.resample_indices(10, 3, 2, block=10).tolist() == [list(range(10))] * 3


def test_bootstrap_errors_name_the_argument():
    with pytest.raises(ValueError, match="block"):
        bs.resample_indices(10, 5, block=11)
    with pytest.raises(ValueError, match="n_boot"):
        bs.resample_indices(10, 0)
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        bs.bootstrap_ci("f1", np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match="predictions have 2 rows but y has 3"):
        bs.paired_difference("mse", np.ones(3), np.ones(3), np.ones(2))
    with pytest.raises(ValueError, match="level"):
        bs.bootstrap_ci("mse", np.ones(3), np.zeros(3), n_boot=10, level=95)


# ---------------------------------------------------------------- Diebold–Mariano


def test_diebold_mariano_matches_statsmodels_with_the_hln_correction(rng):
    tsa = pytest.importorskip("statsmodels.tsa.api")
    if not hasattr(tsa, "diebold_mariano_test"):
        pytest.skip("statsmodels too old for diebold_mariano_test")
    y = rng.normal(size=80)
    a, b = y + rng.normal(0, 1.0, 80), y + rng.normal(0, 1.25, 80)
    for loss, criterion in (("squared", "mse"), ("absolute", "mad")):
        ours = diebold_mariano(y, a, b, loss=loss)
        theirs = tsa.diebold_mariano_test(y, a, b, lags=0, criterion=criterion, harvey_adj=True)
        assert ours.statistic == pytest.approx(float(theirs.statistic), rel=1e-10)
        assert ours.p_value == pytest.approx(float(theirs.pvalue), rel=1e-10)


def test_diebold_mariano_by_hand_with_horizon_two():
    from scipy import stats

    actual = np.array([1.0, 2.0, 0.5, -1.0, 0.0, 1.5])
    f1 = np.array([0.5, 2.5, 0.0, -0.5, 0.5, 1.0])               # errors ±0.5: squared loss 0.25 each
    f2 = np.array([0.0, 1.0, 1.5, 0.0, 1.0, 0.0])                # errors 1, 1, -1, -1, -1, 1.5
    d = np.array([0.25 - 1, 0.25 - 1, 0.25 - 1, 0.25 - 1, 0.25 - 1, 0.25 - 2.25])
    n, h = 6, 2
    dbar = d.mean()
    g0 = np.sum((d - dbar) ** 2) / n
    g1 = np.sum((d[1:] - dbar) * (d[:-1] - dbar)) / n
    dm = dbar / np.sqrt((g0 + 2 * g1) / n)
    hln = dm * np.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
    result = diebold_mariano(actual, f1, f2, horizon=h)
    assert result.statistic == pytest.approx(hln, rel=1e-12) and result.statistic < 0    # forecast 1 better
    assert result.p_value == pytest.approx(2 * stats.t.sf(abs(hln), n - 1), rel=1e-12)
    assert diebold_mariano(actual, f1, f2, horizon=h, alternative="less").p_value == pytest.approx(
        stats.t.cdf(hln, n - 1), rel=1e-12)
    same = diebold_mariano(actual, f1, f1)
    assert (same.statistic, same.p_value) == (0.0, 1.0)


def test_diebold_mariano_errors_name_the_argument():
    a = np.arange(5.0)
    with pytest.raises(ValueError, match="same length; got 5, 4 and 5"):
        diebold_mariano(a, a[:4], a)
    with pytest.raises(ValueError, match="horizon"):
        diebold_mariano(a, a, a + 1, horizon=5)
    with pytest.raises(ValueError, match="loss must be"):
        diebold_mariano(a, a, a + 1, loss="huber")
    with pytest.raises(ValueError, match="alternative"):
        diebold_mariano(a, a, a + 1, alternative="bigger")
    with pytest.raises(ValueError, match="NaN"):
        diebold_mariano(a, np.r_[a[:4], np.nan], a)


def test_forecasting_verdict_says_no_real_edge_when_p_is_large():
    forecasting = pytest.importorskip("brickwork.studies.forecasting")
    rng = np.random.default_rng(0)
    y = rng.normal(size=200)
    close = y * 0 + rng.normal(0, 0.01, 200)                      # nearly the naive forecast 0
    comparison = {"dm": diebold_mariano(y, close, np.zeros(200)), "p_bonferroni": 1.0}
    assert comparison["dm"].p_value > 0.05
    text = forecasting.edge_sentence("LSTM", 0.99, 1.0, comparison)
    assert "No real edge" in text and "p = " in text
    assert "No model improves" in forecasting.edge_sentence("LSTM", 1.2, 1.0, comparison)
    good = {"dm": diebold_mariano(y, y + rng.normal(0, 0.1, 200), np.zeros(200)), "p_bonferroni": 0.001}
    assert "A real edge" in forecasting.edge_sentence("VAR(1)", 0.01, 1.0, good)


# ---------------------------------------------------------------- market helpers


def test_constant_predictors_are_flagged_and_cost_is_the_definition():
    market = pytest.importorskip("brickwork.studies.market")
    assert market.constant_note(0.0) == "constant: predicts 'up' 0.0% of the time"
    assert "100.0%" in market.constant_note(1.0) and market.constant_note(0.5) == ""
    y = np.array([1, 0, 1, 1, 0, 0, 1, 0])
    up = np.array([1, 1, 0, 1, 0, 1, 0, 0], bool)                 # FP = 2 (days 1, 5), FN = 2 (days 2, 6)
    assert market.cost(y, up, 5.0) == pytest.approx((5 * 2 + 2) / 8)
    assert market.weighted_cost(5.0)(y, up.astype(float), np.ones((1, 8)))[0] == pytest.approx((5 * 2 + 2) / 8)
    assert market.cost(y, np.zeros(8, bool), 5.0) == pytest.approx(y.mean())   # always down: the share of up days


@pytest.mark.parametrize("module", ["market", "default_risk", "forecasting"])
def test_quick_plans_less_work_in_every_study(module):
    pytest.importorskip("pandas")
    study = pytest.importorskip(f"brickwork.studies.{module}")
    quick, full = study.plan(True), study.plan(False)
    assert quick.keys() == full.keys()
    for key in quick:
        assert 0 < quick[key] < full[key] or (quick[key] > 0 and full[key] == 0), key   # market: 0 = every day


# ---------------------------------------------------------------- report.html


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.images: list[dict[str, str]] = []
        self.text: list[str] = []
        self.cells: list[int] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "img":
            self.images.append(dict(attrs))
        if tag == "tr":
            self.cells.append(0)
        if tag in ("td", "th"):
            self.cells[-1] += 1

    def handle_data(self, data):
        self.text.append(data)


def _sample_report(tmp_path) -> Report:
    pytest.importorskip("matplotlib")
    report = Report("A <b>study</b> & its \"report\"", str(tmp_path))
    report.verdict("**Verdict.** The model <script>alert(1)</script> does not beat `always up`.")
    report.text("Data: 100 days; 'quoted' & <tagged> text.\n\n### Details\n\n- first point\n- second *point*")
    report.table(["model", "accuracy <%>"], [["a & b", "0.5"], ["<img src=x onerror=alert(1)>", "0.6"]])
    report.definitions({"accuracy": "share of days right; n = 100."})
    report.panels("curves.png", "Loss per epoch, one panel per model: " + "a long caption " * 8,
                  {"model A": {"training": [3, 2, 1], "validation (dashed)": [3, 2.5, 2]},
                   "model B": {"training": [300, 200, 100]}}, "epoch", "loss")
    report.write()
    return report


def test_report_html_is_escaped_self_contained_and_says_what_the_markdown_says(tmp_path):
    report = _sample_report(tmp_path)
    page_text = (tmp_path / "report.html").read_text(encoding="utf-8")
    page = _Page()
    page.feed(page_text)
    assert "script" not in page.tags and page.tags.count("img") == 1        # injected markup stays text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page_text
    assert "&lt;img src=x onerror=alert(1)&gt;" in page_text
    (img,) = page.images
    assert img["src"].startswith("data:image/png;base64,")                 # embedded: no file needed
    assert base64.b64decode(img["src"].split(",", 1)[1]) == (tmp_path / "curves.png").read_bytes()
    assert page.cells == [2, 2, 2]
    text = html.unescape("".join(page.text))
    assert text.index("Verdict") < text.index("Data: 100 days")           # the verdict first
    markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert markdown.index("## Verdict") < markdown.index("Data: 100 days")
    for sentence in ("The model <script>alert(1)</script> does not beat", "'quoted' & <tagged> text.",
                     "share of days right; n = 100.", "accuracy <%>", "Details", "second point"):
        assert sentence in text
        assert sentence.replace("second point", "second *point*") in markdown
    assert report.parts[0] == "# A <b>study</b> & its \"report\"\n"


def test_figures_keep_their_title_inside_the_image(tmp_path):
    plt = pytest.importorskip("matplotlib.pyplot")
    _sample_report(tmp_path)
    image = plt.imread(tmp_path / "curves.png")[..., :3]
    border = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])
    assert np.all(border > 0.99)                                  # a white margin all round: nothing cut off
    dark_rows = np.flatnonzero((image < 0.5).any(axis=(1, 2)))
    assert dark_rows[0] > 2 and dark_rows[0] < 0.15 * image.shape[0]  # the title is drawn at the top
    assert image.shape[1] > image.shape[0]                         # two panels side by side
    assert max(len(line) for line in wrap_title("word " * 40, 30).splitlines()) <= 30
    assert wrap_title("two\nlines", 30) == "two\nlines"


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def render_in_chromium(report_html: str, screenshot: str, width: int = 1100, height: int = 1400) -> dict:
    """Screenshot ``report_html`` in headless Chromium and count the images that loaded (by a copy of the
    page with a script that writes the count into the DOM)."""
    browser = chromium()
    flags = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             "--allow-file-access-from-files"]
    subprocess.run([*flags, f"--screenshot={screenshot}", f"--window-size={width},{height}",
                    "file://" + os.path.abspath(report_html)], check=True, capture_output=True, timeout=120)
    probe = report_html + ".probe.html"
    with open(report_html, encoding="utf-8") as handle:
        page = handle.read()
    script = ("<script>window.addEventListener('load', () => { const im = [...document.images]; "
              "document.body.setAttribute('data-loaded', im.filter(i => i.complete && i.naturalWidth > 0).length "
              "+ '/' + im.length); });</script>")
    with open(probe, "w", encoding="utf-8") as handle:
        handle.write(page.replace("</body>", script + "</body>"))
    dom = subprocess.run([*flags, "--virtual-time-budget=5000", "--dump-dom", "file://" + os.path.abspath(probe)],
                         check=True, capture_output=True, timeout=120, text=True).stdout
    os.remove(probe)
    loaded = dom.split('data-loaded="', 1)[1].split('"', 1)[0] if 'data-loaded="' in dom else "?"
    return {"loaded": loaded}


def assert_screenshot_not_blank(path: str) -> None:
    plt = pytest.importorskip("matplotlib.pyplot")
    shot = plt.imread(path)[..., :3]
    assert shot.std() > 0.05 and (shot < 0.5).mean() > 0.005      # text and figures, not an empty page


@pytest.mark.slow
@pytest.mark.skipif(chromium() is None, reason="no headless Chromium (apt-get install chromium)")
def test_report_renders_in_headless_chromium(tmp_path):
    _sample_report(tmp_path)
    result = render_in_chromium(str(tmp_path / "report.html"), str(tmp_path / "shot.png"))
    assert result["loaded"] == "1/1"
    assert_screenshot_not_blank(str(tmp_path / "shot.png"))


# ---------------------------------------------------------------- the studies, quick runs


def _check_html(folder) -> None:
    page = _Page()
    page.feed((folder / "report.html").read_text(encoding="utf-8"))
    figures = sorted(f for f in os.listdir(folder) if f.endswith(".png") and f != "screenshot.png")
    assert figures and len(page.images) == len(figures)
    assert all(i["src"].startswith("data:image/png;base64,") for i in page.images)
    text = "".join(page.text)
    assert "Verdict" in text and "Definitions" in text and text.index("Verdict") < text.index("Definitions")
    if chromium() is not None:
        result = render_in_chromium(str(folder / "report.html"), str(folder / "screenshot.png"))
        assert result["loaded"] == f"{len(figures)}/{len(figures)}"
        assert_screenshot_not_blank(str(folder / "screenshot.png"))


@pytest.mark.slow
def test_market_report_flags_the_constant_predictors(tmp_path):
    pytest.importorskip("pmdarima")
    from brickwork.studies import run_study

    with pytest.importorskip("threadpoolctl").threadpool_limits(1):
        run_study("market", str(tmp_path), quick=True, verbose=0)
    metrics = json.loads((tmp_path / "metrics.json").read_text())["models"]
    text = (tmp_path / "report.md").read_text(encoding="utf-8")
    constant = [k for k, v in metrics.items() if v["predicted_up"] in (0.0, 1.0)]
    assert "dense, cost-sensitive α=5 (example 3)" in constant    # the finding, still true
    for name in constant:
        share = metrics[name]["predicted_up"]
        assert metrics[name]["constant"] and f"predicts 'up' {share:.1%} of the time" in text
    for term in ("cost α", "95% CI (Wilson)", "Δ accuracy", "paired bootstrap", "n = "):
        assert term in text
    assert "Constant predictors" in text.split("## Definitions")[0]  # said in the verdict, not only in a table
    _check_html(tmp_path)


@pytest.mark.slow
def test_forecasting_writes_figures_models_and_tests_the_edge(tmp_path):
    pytest.importorskip("statsmodels")
    pytest.importorskip("pmdarima")
    from brickwork.saving import load_model
    from brickwork.studies import run_study
    from brickwork.studies.forecasting import plan

    with pytest.importorskip("threadpoolctl").threadpool_limits(1):   # imports and warm-up outside the timing
        start = time.perf_counter()
        run_study("forecasting", str(tmp_path), quick=True, verbose=0)
        quick_seconds = time.perf_counter() - start
        start = time.perf_counter()
        run_study("forecasting", str(tmp_path / "full"), quick=False, verbose=0)
        full_seconds = time.perf_counter() - start
    assert quick_seconds < full_seconds                           # measured here: about 5 s against 10 s
    for slug in ("msft_returns", "us_gdp_growth"):
        assert (tmp_path / f"forecast_{slug}.png").exists()
        model = load_model(str(tmp_path / f"model_{slug}.bw"))
        w = model.metadata["window"]
        assert model.predict(np.zeros((2, w, 1), np.float32), verbose=0).shape == (2, 1)
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    text = (tmp_path / "report.md").read_text(encoding="utf-8")
    msft = metrics["MSFT daily log return"]
    best = min(msft["mse"], key=lambda k: msft["mse"][k][1])
    if best != "naive (training mean)" and msft["versus_naive"][best]["dm"]["p_value"] > 0.05:
        assert "No real edge" in text
    assert "Diebold–Mariano" in text and "Harvey–Leybourne–Newbold" in text
    assert metrics["plan"] == plan(True)
    _check_html(tmp_path)


@pytest.mark.slow
def test_default_risk_saves_the_validation_choice_and_its_legend_matches_the_table(tmp_path, monkeypatch):
    pytest.importorskip("pandas")
    from brickwork.saving import load_model
    from brickwork.studies import default_risk

    small = default_risk.build_model
    monkeypatch.setattr(default_risk, "build_model",
                        lambda schema, inputs: small(schema, inputs, hidden=(16,), rnn_units=8))
    threadpoolctl = pytest.importorskip("threadpoolctl")
    with threadpoolctl.threadpool_limits(1):                    # OpenMP trees on a busy 2-core machine
        report = default_risk.run(str(tmp_path), quick=True, seeds=2, n_applicants=1000, epochs=2, verbose=0)
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    chosen = int(np.argmax(metrics["gru_val_auc"]))               # the first of equals, as the study
    assert metrics["selected_seed"] == chosen
    assert load_model(str(tmp_path / "model.bw")).metadata["selected_seed"] == chosen
    (table,) = [b for b in report.blocks if b[0] == "table" and b[1][0] == "model"]
    rows = {row[0]: row[1].split(" [")[0] for row in table[2]}
    legend = dict(label.rsplit(": AUC ", 1) for label in metrics["roc_legend"])
    assert legend == rows and len(rows) == 4                      # every model of the table, the same AUC
    saved = f"GRU hybrid, saved run (seed {chosen})"
    assert float(rows[saved]) == pytest.approx(metrics["gru_auc"][chosen], abs=5e-5)
    text = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert f"**Saved model: seed {chosen}**" in text and "highest validation ROC AUC" in text
    assert "± 0.0000" not in text and "95% paired bootstrap" in text and "Calibration" in text
    assert "Reason codes" in text
    _check_html(tmp_path)
