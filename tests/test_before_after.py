"""compare_before_after: hand-computed means on a tiny frame, known simulated effects, matching,
election years and bad input."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

import llq_analysis as llq
from llq_analysis.impact.before_after import _match

# --------------------------------------------------------------------------- a tiny frame
# Quartiers A, B funded; C, D, E not. Windows pre = 2017-2018, post = 2021-2022.
# The values of 2019 and 2020 (999) lie between the windows and must not enter any figure.
_VALUES = {  # quartier: (2017, 2018, 2019, 2020, 2021, 2022)
    "A": (10, 12, 999, 999, 8, 6),    # before 11, after 7,  change -4, pre slope 2
    "B": (20, 22, 999, 999, 21, 23),  # before 21, after 22, change +1, pre slope 2
    "C": (5, 7, 999, 999, 9, 9),      # before 6,  after 9,  change +3, pre slope 2
    "D": (1, 1, 999, 999, 2, 4),      # before 1,  after 3,  change +2, pre slope 0
    "E": (30, 30, 999, 999, 31, 29),  # before 30, after 30, change  0, pre slope 0
}
_YEARS = (2017, 2018, 2019, 2020, 2021, 2022)


def _tiny() -> pd.DataFrame:
    rows = [{"quartier_id": q, "city": "X", "year": y, "y": float(v), "treat": q in ("A", "B")}
            for q, vals in _VALUES.items() for y, v in zip(_YEARS, vals, strict=True)]
    return pd.DataFrame(rows)


def _row(res, group, period):
    tab = res.table
    return tab[(tab["group"] == group) & (tab["period"] == period)].iloc[0]


def test_hand_computed_means_all_comparison_welch():
    df = _tiny()
    before = df.copy()
    res = llq.compare_before_after(df, indicator="y", funded="treat", pre=(2017, 2018), post=(2021, 2022),
                                   comparison="all", interval="t", cohort=None)
    pd.testing.assert_frame_equal(df, before)  # input not mutated
    # funded: before (11+21)/2 = 16, after (7+22)/2 = 14.5, change -1.5
    # comparison: before (6+1+30)/3 = 37/3, after (9+3+30)/3 = 14, change (3+2+0)/3 = 5/3
    expected = {("funded", "before"): 16.0, ("funded", "after"): 14.5, ("funded", "change"): -1.5,
                ("comparison", "before"): 37 / 3, ("comparison", "after"): 14.0,
                ("comparison", "change"): 5 / 3, ("difference", "before"): 16 - 37 / 3,
                ("difference", "after"): 0.5, ("difference", "change"): -1.5 - 5 / 3}
    for (g, p), v in expected.items():
        assert _row(res, g, p)["value"] == pytest.approx(v, abs=1e-12), (g, p)
    assert res.estimate == pytest.approx(-19 / 6)
    assert _row(res, "funded", "before")["n_quartiers"] == 2
    assert _row(res, "comparison", "change")["n_quartiers"] == 3
    assert _row(res, "difference", "change")["n_quartiers"] == 5
    # Welch by hand: var(changes funded) = 12.5 -> 12.5/2 = 6.25; var(changes comparison) = 7/3 -> 7/9
    se = math.sqrt(6.25 + 7 / 9)
    dof = (6.25 + 7 / 9) ** 2 / (6.25**2 / 1 + (7 / 9) ** 2 / 2)
    assert res.se == pytest.approx(se, rel=1e-12)
    from scipy import stats
    half = stats.t.ppf(0.975, dof) * se
    assert res.ci == pytest.approx((-19 / 6 - half, -19 / 6 + half), rel=1e-10)
    assert res.years == {"before": (2017, 2018), "after": (2021, 2022)}
    assert res.provenance == "user"


def test_hand_computed_matched_pairs():
    res = llq.compare_before_after(_tiny(), indicator="y", funded=["A", "B"], pre=(2017, 2018),
                                   post=(2021, 2022), comparison="matched", interval="t", cohort=None)
    # standardised (level, slope): level sd = sqrt(546.8/4), slope sd = sqrt(1.2);
    # optimal pairs A-C (0.43) + B-E (1.98) = 2.41 beat A-C + B-D (2.93) and A-D + B-C (3.30)
    m = res.matches.set_index("funded_quartier")
    assert m.loc["A", "matched_quartier"] == "C"
    assert m.loc["B", "matched_quartier"] == "E"
    assert m.loc["A", "distance"] == pytest.approx(5 / math.sqrt(546.8 / 4), rel=1e-12)
    assert m.loc["B", "distance"] == pytest.approx(math.hypot(9 / math.sqrt(546.8 / 4), 2 / math.sqrt(1.2)),
                                                   rel=1e-12)
    # comparison = C and E: before (6+30)/2 = 18, after (9+30)/2 = 19.5, change 1.5 ; DiC = -1.5 - 1.5
    assert _row(res, "comparison", "before")["value"] == pytest.approx(18.0)
    assert _row(res, "comparison", "after")["value"] == pytest.approx(19.5)
    assert res.estimate == pytest.approx(-3.0)
    # paired t: per-pair differences -7 and +1 -> se = sqrt(32/2) = 4, t(1)
    assert res.se == pytest.approx(4.0)
    assert res.ci[1] - res.estimate == pytest.approx(12.706204736 * 4.0, rel=1e-8)
    assert set(res.quartiers["quartier_id"]) == {"A", "B", "C", "E"}


def test_bootstrap_interval_is_seeded_and_covers_estimate():
    df = _tiny()
    r1 = llq.compare_before_after(df, indicator="y", funded="treat", pre=(2017, 2018), post=(2021, 2022),
                                  comparison="all", reps=499, seed=3, cohort=None)
    r2 = llq.compare_before_after(df, indicator="y", funded="treat", pre=(2017, 2018), post=(2021, 2022),
                                  comparison="all", reps=499, seed=3, cohort=None)
    assert r1.ci == r2.ci
    assert r1.ci[0] <= r1.estimate <= r1.ci[1]
    # the bootstrap can only produce means of resampled quartier changes: bounds lie in their range
    assert -4 - 3 <= r1.ci[0] and r1.ci[1] <= 1 - 0


def test_optimal_matching_equals_brute_force():
    rng = np.random.default_rng(7)
    feat = pd.DataFrame({"level": rng.normal(size=9), "trend": rng.normal(size=9), "city": "X"},
                        index=[f"q{i}" for i in range(9)])
    funded, pool = list(feat.index[:3]), list(feat.index[3:])
    m = _match(feat, funded, pool, n_matches=1, replace=False, same_city=True, columns=["level", "trend"])
    both = feat.loc[funded + pool, ["level", "trend"]]
    z = (both - both.mean()) / both.std(ddof=1)
    d = {(f, p): float(np.linalg.norm(z.loc[f] - z.loc[p])) for f in funded for p in pool}
    best = min(sum(d[f, p] for f, p in zip(funded, perm, strict=True))
               for perm in itertools.permutations(pool, 3))
    assert m["distance"].sum() == pytest.approx(best, rel=1e-12)
    assert m["matched_quartier"].is_unique


def test_same_city_first_then_cross_city_flagged():
    feat = pd.DataFrame({"level": [10.0, 11.0, 10.5, 0.0, 30.0], "city": ["X", "X", "Y", "X", "Y"]},
                        index=["f1", "f2", "y_near", "x_far", "y_far"])
    m = _match(feat, ["f1", "f2"], ["y_near", "x_far", "y_far"], n_matches=1, replace=False,
               same_city=True, columns=["level"])
    # only one candidate in city X: one funded quartier gets it, the other must cross the city line
    assert m["same_city"].sum() == 1
    assert "x_far" in set(m["matched_quartier"])
    m2 = _match(feat, ["f1", "f2"], ["y_near", "x_far", "y_far"], n_matches=1, replace=False,
                same_city=False, columns=["level"])
    assert "y_near" in set(m2["matched_quartier"])


# --------------------------------------------------------------------------- known effect
def _post_dose(panel, post=(2022, 2024)):
    d = panel[(panel["year"] >= post[0]) & (panel["year"] <= post[1]) & panel["llq_funded"].astype(bool)]
    return float(d.groupby("quartier_id")["llq_eur_per_capita"].mean().mean())


def test_difference_in_changes_moves_exactly_with_the_simulated_effect():
    # same seed, effect 0 vs -0.3 pp per EUR/resident: the funded quartiers' changes move by
    # effect x dose (calibration shifts are constant per quartier and cancel in the changes),
    # so the difference in changes moves by -0.3 x mean post dose of the funded quartiers
    p0 = llq.simulate_panel(seed=11, effect={"sgb2_rate": 0.0})
    p1 = llq.simulate_panel(seed=11, effect={"sgb2_rate": -0.3})
    r0 = llq.compare_before_after(p0, indicator="sgb2_rate", comparison="all", reps=199)
    r1 = llq.compare_before_after(p1, indicator="sgb2_rate", comparison="all", reps=199)
    assert r1.estimate - r0.estimate == pytest.approx(-0.3 * _post_dose(p1), abs=2e-3)  # values rounded to 1e-3


def test_matched_difference_moves_exactly_with_an_injected_effect():
    # inject a known additive effect (outcome += effect x EUR per resident, the simulation's model):
    # pre-period values are unchanged, so the matches are the same and the difference in changes
    # moves by exactly effect x mean post dose of the funded quartiers
    p0 = llq.simulate_panel(seed=12, effect={"sgb2_rate": 0.0})
    p1 = p0.assign(sgb2_rate=p0["sgb2_rate"] - 0.6 * p0["llq_eur_per_capita"])
    r0 = llq.compare_before_after(p0, indicator="sgb2_rate", comparison="matched", n_matches=2, reps=199)
    r1 = llq.compare_before_after(p1, indicator="sgb2_rate", comparison="matched", n_matches=2, reps=199)
    pd.testing.assert_frame_equal(r0.matches, r1.matches)
    assert r1.estimate - r0.estimate == pytest.approx(-0.6 * _post_dose(p1), abs=1e-9)


@pytest.mark.parametrize("comparison", ["all", "matched"])
def test_bundled_panel_interval_covers_true_effect(panel, comparison):
    # data/README.md: the demo panel's built-in sgb2_rate effect (pp per EUR per resident, same year)
    from llq_analysis.data.simulate import DEFAULT_EFFECTS

    truth = DEFAULT_EFFECTS["sgb2_rate"] * _post_dose(panel)
    r = llq.compare_before_after(panel, indicator="sgb2_rate", funded="llq_funded", comparison=comparison)
    assert r.ci[0] < truth < r.ci[1]
    assert r.provenance == "simulated"
    assert abs(r.estimate - truth) < 0.5


def test_recovers_effect_over_seeds():
    # unbiased under the simulation's parallel trends: estimates / dose centre on the true slope
    slopes, covered = [], 0
    for seed in range(101, 109):
        # -0.1 pp per EUR/resident: larger effects push the demo panel's (real) low rates below 0
        p = llq.simulate_panel(seed=seed, effect={"sgb2_rate": -0.1})
        r = llq.compare_before_after(p, indicator="sgb2_rate", comparison="all", interval="t")
        truth = -0.1 * _post_dose(p)
        slopes.append(r.estimate / _post_dose(p))
        covered += r.ci[0] < truth < r.ci[1]
    assert np.mean(slopes) == pytest.approx(-0.1, abs=0.02)  # spread over seeds ~0.014
    assert covered >= 6


# --------------------------------------------------------------------------- election years
def test_election_years_used_as_they_are(panel):
    r = llq.compare_before_after(panel, indicator="turnout_buergerschaft", comparison="all", reps=199)
    assert r.years == {"before": (2019,), "after": (2023,)}
    assert any("2019" in w and "2017, 2018" in w for w in r.warnings)
    f = panel[panel["llq_funded"].astype(bool) & (panel["year"] == 2019)]
    assert _row(r, "funded", "before")["value"] == pytest.approx(f["turnout_buergerschaft"].mean())
    assert _row(r, "funded", "before")["years"] == "2019"
    # trend of both groups contains only election years (nothing interpolated)
    assert set(r.trend["year"]) == {2015, 2019, 2023}
    with pytest.raises(ValueError, match="no value in these years.*2015, 2019, 2023"):
        llq.compare_before_after(panel, indicator="turnout_buergerschaft", pre=(2016, 2018))


def test_matched_turnout_uses_election_trend(panel):
    r = llq.compare_before_after(panel, indicator="turnout_buergerschaft", comparison="matched", reps=199)
    assert r.spec["match_on"] == ["level", "trend"]  # slope from 2015 and 2019
    assert r.matches["same_city"].all()
    assert r.matches["matched_quartier"].is_unique


# --------------------------------------------------------------------------- bundled panel
def test_bundled_matched_structure(panel):
    r = llq.compare_before_after(panel, indicator="sgb2_rate", comparison="matched", n_matches=2, reps=199)
    funded = set(panel.loc[panel["llq_funded"].astype(bool), "quartier_id"])
    assert set(r.matches["funded_quartier"]) == funded
    assert (r.matches.groupby("funded_quartier").size() == 2).all()
    assert r.matches["matched_quartier"].is_unique
    assert not set(r.matches["matched_quartier"]) & funded
    assert r.matches["same_city"].all()
    assert _row(r, "comparison", "change")["n_quartiers"] == 2 * len(funded)
    assert {"feature", "smd_all", "smd_used"} <= set(r.balance.columns)
    # matching brings the comparison group closer in starting level than all unfunded quartiers
    lv = r.balance.set_index("feature").loc["level"]
    assert abs(lv["smd_used"]) < abs(lv["smd_all"])
    frame = r.to_frame()
    assert {"group", "period", "value", "ci_low", "ci_high", "n_quartiers", "provenance"} <= set(frame.columns)
    assert len(frame) == 9
    assert "Simulierte Daten" in r.summary() or "Simulierte" in r.summary()
    assert "simulated" in r.summary("en")
    assert any("2023" in w and "04012212" in w for w in r.warnings)  # late starters named


def test_replace_allows_reuse(panel):
    r = llq.compare_before_after(panel, indicator="sgb2_rate", comparison="matched", replace=True, reps=199)
    used = r.quartiers[r.quartiers["group"] == "comparison"]
    assert used["weight"].sum() == pytest.approx(r.matches["funded_quartier"].nunique())


def test_plot_marks_simulated(panel):
    import matplotlib.pyplot as plt

    r = llq.compare_before_after(panel, indicator="sgb2_rate", comparison="all", reps=199)
    fig = r.plot()
    texts = [t.get_text() for t in fig.texts]
    assert "Simulierte Daten" in texts
    assert len(fig.axes) == 3
    plt.close(fig)
    fig = llq.compare_before_after(_tiny(), indicator="y", funded="treat", pre=(2017, 2018),
                                   post=(2021, 2022), comparison="all", reps=199, cohort=None).plot(lang="en")
    assert "Simulated data" not in [t.get_text() for t in fig.texts]
    plt.close(fig)


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("kwargs, match", [
    ({"indicator": "nope"}, "unknown indicator 'nope'"),
    ({"indicator": "city"}, "must be numeric"),
    ({"indicator": "y", "funded": "nope"}, "no such column"),
    ({"indicator": "y", "funded": ["A", "Z"]}, r"not in the panel.*'Z'"),
    ({"indicator": "y", "funded": []}, "no funded quartiers"),
    ({"indicator": "y", "funded": ["A", "B", "C", "D", "E"]}, "no comparison quartiers"),
    ({"indicator": "y", "pre": (2010, 2012)}, r"pre=\(2010, 2012\).*no value"),
    ({"indicator": "y", "post": (2030, 2031)}, r"post=\(2030, 2031\).*no value"),
    ({"indicator": "y", "pre": (2017, 2021), "post": (2021, 2022)}, "overlap"),
    ({"indicator": "y", "pre": (2021, 2022), "post": (2017, 2018)}, "overlap or are in the wrong order"),
    ({"indicator": "y", "pre": (2018, 2017)}, "must not be after"),
    ({"indicator": "y", "pre": 2017}, "pair of integers"),
    ({"indicator": "y", "comparison": "best"}, "'matched' or 'all'"),
    ({"indicator": "y", "interval": "magic"}, "'bootstrap' or 't'"),
    ({"indicator": "y", "n_matches": 0}, "positive integer"),
    ({"indicator": "y", "n_matches": 2}, "needs 4 comparison quartiers.*only 3"),
    ({"indicator": "y", "lang": "fr"}, "lang"),
])
def test_bad_input(kwargs, match):
    base = {"funded": "treat", "pre": (2017, 2018), "post": (2021, 2022), "cohort": None}
    with pytest.raises(ValueError, match=match):
        llq.compare_before_after(_tiny(), **{**base, **kwargs})


def test_bad_frames():
    df = _tiny()
    with pytest.raises(ValueError, match="missing column"):
        llq.compare_before_after(df.drop(columns="year"), indicator="y", funded="treat")
    dup = pd.concat([df, df.iloc[[0]]])
    with pytest.raises(ValueError, match="duplicate"):
        llq.compare_before_after(dup, indicator="y", funded="treat", pre=(2017, 2018), post=(2021, 2022))
    varying = df.assign(treat=df["year"] > 2019)
    with pytest.raises(ValueError, match="changes within quartier"):
        llq.compare_before_after(varying, indicator="y", funded="treat", pre=(2017, 2018), post=(2021, 2022))
    num = df.assign(treat=df["treat"].map({True: "yes", False: "no"}))
    with pytest.raises(ValueError, match="must be boolean"):
        llq.compare_before_after(num, indicator="y", funded="treat", pre=(2017, 2018), post=(2021, 2022))
    with pytest.raises(TypeError):
        llq.compare_before_after(df.to_dict(), indicator="y", funded="treat")
    quarters = df.assign(year=df["year"].astype(str) + "Q1")
    with pytest.raises(ValueError, match="whole years.*2017Q1"):
        llq.compare_before_after(quarters, indicator="y", funded="treat", pre=(2017, 2018), post=(2021, 2022))


def test_quartier_without_window_value_is_reported_not_silently_dropped():
    df = _tiny()
    df.loc[(df["quartier_id"] == "D") & (df["year"] >= 2021), "y"] = np.nan
    r = llq.compare_before_after(df, indicator="y", funded="treat", pre=(2017, 2018), post=(2021, 2022),
                                 comparison="all", interval="t", cohort=None)
    assert list(r.dropped["quartier_id"]) == ["D"]
    assert "after" in r.dropped["reason"].iloc[0]
    assert any("D" in w for w in r.warnings)
    # comparison now C and E: change (3 + 0) / 2
    assert _row(r, "comparison", "change")["value"] == pytest.approx(1.5)
    assert _row(r, "comparison", "change")["n_quartiers"] == 2


def test_text_outputs_follow_lang():
    kw = {"indicator": "y", "funded": "treat", "pre": (2017, 2018), "post": (2021, 2022), "cohort": None,
          "comparison": "all", "reps": 199}
    en = llq.compare_before_after(_tiny(), lang="en", **kw)
    de = llq.compare_before_after(_tiny(), **kw)
    assert "Difference in changes" in en._repr_html_()
    assert "Differenz der Veränderungen" in de._repr_html_()
    assert "Differenz der Veränderungen" in en.summary("de")
    assert set(en.to_frame(lang="de")["group"]) == {"gefördert", "Vergleich", "Differenz"}
    assert set(en.to_frame()["period"]) == {"before", "after", "change"}
