"""dose_response: effect per EUR per resident.

Independent references: the two-way within transformation of a balanced panel written out in
numpy (slope and CR1 cluster SE with all unit and year dummies counted, Stata convention);
simulated panels with a known linear or concave dose effect; the bundled simulated panel, whose
true effect is stated in data/README.md (-0.25 pp per EUR per resident for sgb2_rate).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from llq_analysis.errors import DataValidationError
from llq_analysis.impact import _prep
from llq_analysis.impact.dose import dose_response


def dose_panel(seed=0, n=80, T=13, slope=-0.25, concave=False):
    """Balanced panel; dose (EUR per resident) switches on 2021 for ~40 % of units, varies by year."""
    rng = np.random.default_rng(seed)
    years = np.arange(2012, 2012 + T)
    funded = rng.random(n) < 0.4
    level = rng.uniform(2, 40, n)
    rows = []
    a = rng.normal(0, 3, n)
    lam = rng.normal(0, 1, T)
    for i in range(n):
        for j, y in enumerate(years):
            d = level[i] * rng.uniform(0.7, 1.3) if (funded[i] and y >= 2021) else 0.0
            eff = (-4.0 * (1 - np.exp(-d / 10.0))) if concave else slope * d
            rows.append((f"u{i}", y, d, a[i] + lam[j] + eff + rng.normal(0, 0.5)))
    return pd.DataFrame(rows, columns=["q", "year", "eur_pc", "y"])


def within_cr1(df, y, d, unit="q", time="year"):
    """Slope and CR1 SE (K = all dummies) by the two-way within transformation (balanced panel)."""
    def dm(v):
        s = pd.Series(v, index=df.index)
        return (s - s.groupby(df[unit]).transform("mean") - s.groupby(df[time]).transform("mean") + s.mean()).to_numpy()

    yt, xt = dm(df[y].to_numpy(float)), dm(df[d].to_numpy(float))
    b = xt @ yt / (xt @ xt)
    e = yt - b * xt
    N, G = len(df), df[unit].nunique()
    K = 1 + G + df[time].nunique() - 1
    s = pd.Series(xt * e).groupby(df[unit].to_numpy()).sum().to_numpy()
    V = (s @ s) / (xt @ xt) ** 2 * G / (G - 1) * (N - 1) / (N - K)
    return b, np.sqrt(V)


def test_slope_equals_within_estimator_and_cr1():
    df = dose_panel(seed=1)
    r = dose_response(df, outcome="y", unit="q", time="year", dose="eur_pc")
    b, se = within_cr1(df, "y", "eur_pc")
    assert r.estimate == pytest.approx(b, abs=1e-10)
    assert r.se == pytest.approx(se, rel=1e-8)
    assert r.effect_per_eur == r.estimate
    assert abs(r.estimate + 0.25) < 4 * r.se
    assert "per 1 EUR per resident per year" in r.spec["estimate_unit"]
    assert "je 1 EUR je Einwohner und Jahr" in r.summary("de")
    assert list(r.curve.columns[:4]) == ["dose", "effect", "ci_low", "ci_high"]
    assert r.curve["effect"].iloc[-1] == pytest.approx(r.estimate * r.curve["dose"].iloc[-1])


def test_one_bin_equals_binary_within_estimator():
    df = dose_panel(seed=2)
    r = dose_response(df, outcome="y", unit="q", time="year", dose="eur_pc", bins=1)
    b, se = within_cr1(df.assign(on=(df.eur_pc > 0).astype(float)), "y", "on")
    assert r.curve["effect"].iloc[0] == pytest.approx(b, abs=1e-10)
    assert r.curve["se"].iloc[0] == pytest.approx(se, rel=1e-8)


def test_bins_and_spline_detect_concave_dose_response():
    df = dose_panel(seed=3, n=150, concave=True)
    r = dose_response(df, outcome="y", unit="q", time="year", dose="eur_pc", bins=3)
    c = r.curve
    assert len(c) == 3 and (c["n_obs"] > 0).all()
    truth = -4.0 * (1 - np.exp(-c["dose"] / 10.0))
    assert (np.abs(c["effect"] - truth) < 4 * c["se"]).all()
    assert c["effect_per_eur"].iloc[0] < c["effect_per_eur"].iloc[-1]  # per-EUR effect fades
    s = dose_response(df, outcome="y", unit="q", time="year", dose="eur_pc", spline_df=4)
    sc = s.curve
    assert sc["effect"].iloc[0] == 0.0 and sc["kind"].iloc[0] == "spline"
    mid = sc.iloc[len(sc) // 4: -len(sc) // 4]
    truth = -4.0 * (1 - np.exp(-mid["dose"] / 10.0))
    assert (np.abs(mid["effect"] - truth) < 4 * mid["se"]).all()


def test_spline_with_one_df_is_the_linear_fit():
    df = dose_panel(seed=4)
    lin = dose_response(df, outcome="y", unit="q", time="year", dose="eur_pc")
    s1 = dose_response(df, outcome="y", unit="q", time="year", dose="eur_pc", spline_df=1)
    assert s1.curve["effect"].to_numpy() == pytest.approx(lin.curve["effect"].to_numpy(), abs=1e-9)


def test_bin_edges_as_list_and_bad_input():
    df = dose_panel(seed=5)
    r = dose_response(df, outcome="y", unit="q", time="year", dose="eur_pc", bins=[0, 10, 25, 60])
    assert list(r.curve["bin_high"]) == [10, 25, 60]
    with pytest.raises(DataValidationError, match="within"):
        dose_response(df, outcome="y", unit="q", time="year", dose="eur_pc", bins=[0, 10, 20])
    with pytest.raises(ValueError, match="either"):
        dose_response(df, outcome="y", unit="q", time="year", dose="eur_pc", bins=3, spline_df=3)
    neg = df.copy()
    neg.loc[5, "eur_pc"] = -1.0
    with pytest.raises(DataValidationError, match=">= 0"):
        dose_response(neg, outcome="y", unit="q", time="year", dose="eur_pc")
    with pytest.raises(DataValidationError, match="eur_pcx"):
        dose_response(df, outcome="y", unit="q", time="year", dose="eur_pcx")


def test_missing_dose_rows_reported_not_silent():
    df = dose_panel(seed=6)
    df.loc[[3, 50], "eur_pc"] = np.nan
    before = df.copy()
    with pytest.warns(_prep.DroppedRowsWarning):
        r = dose_response(df, outcome="y", unit="q", time="year", dose="eur_pc", bins=2)
    pd.testing.assert_frame_equal(df, before)
    assert sorted(r.dropped["row"]) == [3, 50]
    assert r.n_obs == len(df) - 2


def test_bundled_panel_recovers_documented_effect():
    import matplotlib

    matplotlib.use("Agg")
    import llq_analysis as llq

    panel = llq.load_demo_panel()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = dose_response(panel, outcome="sgb2_rate", unit="quartier_id", time="year", dose="llq_eur_per_capita",
                          bins=3)
    assert r.provenance == "simulated"
    from llq_analysis.data.simulate import DEFAULT_EFFECTS

    truth = DEFAULT_EFFECTS["sgb2_rate"]  # data/README.md: the demo panel's built-in effect
    assert abs(r.estimate - truth) < 4 * r.se
    assert r.plot().axes
