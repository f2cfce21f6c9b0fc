"""Findings on published data (report Part A): checked against independent pandas computations
and toy panels with a known effect; the notebook 07 executes."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

import llq_analysis as llq
from llq_analysis import paths
from llq_analysis.errors import DataValidationError
from llq_analysis.impact.findings import election_panel, participation_findings, poverty_findings
from llq_analysis.impact.findings_base import check_provenance
from llq_analysis.impact.targeting import fifth_shares, llq_money, need_table, targeting_findings


@pytest.fixture(scope="module")
def panel():
    return llq.load_panel()


@pytest.fixture(scope="module")
def funding():
    return llq.load_funding()


@pytest.fixture(scope="module")
def part(panel, funding):
    return participation_findings(panel, funding=funding, reps=999, n_designs=200)


def _toy(*, effect=3.0, trend=0.0, n=40, n_funded=12, seed=3, years=(2007, 2011, 2015, 2019, 2023),
         city="Bremen", noise=0.5):
    """Balanced toy election panel: unit level + year shock + trend x funded x election number + effect
    in post elections of funded units (provenance 'user: toy')."""
    rng = np.random.default_rng(seed)
    ids = [f"T{i:03d}" for i in range(n)]
    level = rng.normal(60, 8, n)
    shock = dict(zip(years, rng.normal(0, 3, len(years)), strict=True))
    rows = []
    for i, q in enumerate(ids):
        funded = i < n_funded
        for k, y in enumerate(years):
            v = level[i] + shock[y] + (trend * k if funded else 0.0) + (effect if funded and y >= 2021 else 0.0)
            rows.append({"quartier_id": q, "city": city, "year": y, "turnout_buergerschaft": v + rng.normal(0, noise),
                         "turnout_buergerschaft_provenance": "user: toy.csv", "population": 5000,
                         "population_provenance": "user: toy.csv", "llq_first_year": 2021 if funded else 0,
                         "llq_funded": funded, "provenance": "user"})
    return pd.DataFrame(rows)


_TOY_FUNDING = pd.DataFrame({"programme": ["WiN", "WiN"], "strand": ["x", "x"], "city": ["Bremen"] * 2,
                             "quartier_id": ["T000", "T001"], "year": [2020, 2020], "amount_eur": [1.0, 1.0],
                             "provenance": ["user: toy"] * 2, "source": ["toy"] * 2})


# ----------------------------------------------------------------------------- provenance
def test_mixed_demo_and_published_rows_are_refused(panel):
    demo = llq.load_demo_panel()
    assert check_provenance(panel) is False
    assert check_provenance(demo) is True
    mixed = pd.concat([panel.head(50), demo.head(50)], ignore_index=True)
    with pytest.raises(DataValidationError, match="never both"):
        targeting_findings(mixed)
    with pytest.raises(DataValidationError, match="provenance"):
        participation_findings(mixed, neighbours=False, reps=99, n_designs=50)


def test_simulated_value_in_published_rows_is_refused(panel):
    p = panel.copy()
    i = p.index[p["sgb2_rate"].notna()][0]
    p.loc[i, "sgb2_rate_provenance"] = "simulated"
    with pytest.raises(DataValidationError, match="sgb2_rate_provenance"):
        poverty_findings(p)


# ----------------------------------------------------------------------------- targeting
def test_need_index_and_share_to_neediest_fifth_by_hand(panel, funding):
    """Unshrunk index: z-scores of the latest published value before 2020, share of LLQ EUR by hand."""
    f = targeting_findings(panel, funding=funding, shrink=False)
    b = panel[panel["city"] == "Bremen"]
    z = {}
    for c in ("sgb2_rate", "sgb2_rate_u15", "unemployment_rate"):
        y = int(b.loc[b[c].notna() & (b["year"] < 2020), "year"].max())
        z[c] = b[b["year"] == y].set_index("quartier_id")[c].astype(float)
    raw = pd.DataFrame(z).dropna()
    idx = ((raw - raw.mean()) / raw.std(ddof=1)).mean(axis=1)
    need = f.to_frame("need").set_index("quartier_id")
    assert np.allclose(need.loc[idx.index, "need_index"], idx, atol=1e-12)
    top = set(idx.sort_values(ascending=False).index[: math.ceil(len(idx) / 5)])
    assert top == set(need.index[need["neediest_fifth"]])
    llq_b = funding[(funding["programme"] == "LLQ") & (funding["city"] == "Bremen")]
    for year, g in llq_b.groupby("year"):
        hand = 100 * g.loc[g["quartier_id"].isin(top), "amount_eur"].sum() / g["amount_eur"].sum()
        got = f.to_frame("shares").set_index("year").loc[year, "share_of_all_pct"]
        assert got == pytest.approx(hand, abs=1e-9)
    assert f.numbers["years"] == {"sgb2_rate": 2018, "sgb2_rate_u15": 2018, "unemployment_rate": 2017}


def test_shrunk_index_keeps_published_values_and_moves_small_areas_most(panel, funding):
    f = targeting_findings(panel, funding=funding)
    need = f.to_frame("need")
    raw = panel[(panel["year"] == 2018) & (panel["city"] == "Bremen")].set_index("quartier_id")["sgb2_rate"]
    assert np.allclose(need.set_index("quartier_id")["sgb2_rate"], raw.reindex(need["quartier_id"]),
                       equal_nan=True)  # raw values as published, nothing filled
    assert need["need_index"].isna().sum() == len(f.dropped) > 0
    assert need.loc[need["sgb2_rate"].isna(), "need_index"].isna().all()
    ch = (need["sgb2_rate_shrunk"] - need["sgb2_rate"]).abs()
    pop = panel[panel["year"] == 2018].set_index("quartier_id")["population"].reindex(need["quartier_id"]).to_numpy()
    small, large = ch[pop < np.nanpercentile(pop, 25)].mean(), ch[pop > np.nanpercentile(pop, 75)].mean()
    assert small > large
    s = f.summary()
    assert "Quelle: Statistisches Landesamt Bremen" in s and "Nur Stadt Bremen" in s
    assert "Source:" in f.summary("en")


def test_fifth_shares_toy():
    need = pd.DataFrame({"quartier_id": list("ABCDEFGHIJ"), "need_index": np.arange(10.0)[::-1],
                         "neediest_fifth": [True, True] + [False] * 8})
    fund = pd.DataFrame({"programme": "LLQ", "city": "Bremen", "quartier_id": ["A", "C", None, "B"],
                         "year": 2024, "amount_eur": [10.0, 30.0, 50.0, 10.0],
                         "provenance": ["published: x", "published: x", "illustrative: y", "derived: z"]})
    sh = fifth_shares(need, llq_money(fund)).iloc[0]
    assert sh["share_of_all_pct"] == pytest.approx(20.0)        # (10 + 10) / 100
    assert sh["share_of_attributed_pct"] == pytest.approx(40.0)  # (10 + 10) / 50
    assert sh["illustrative_pct"] == pytest.approx(50.0)


def test_targeting_needs_pre_programme_values(panel):
    p = panel[panel["year"] >= 2020]
    with pytest.raises(DataValidationError, match="before 2020"):
        need_table(p)


# ----------------------------------------------------------------------------- participation
def test_did_equals_hand_2x2_on_toy_panel_and_recovers_effect():
    toy = _toy(effect=3.0)
    before = toy.copy()
    f = participation_findings(toy, funding=_TOY_FUNDING, neighbours=False, reps=999, n_designs=100)
    pd.testing.assert_frame_equal(toy, before)  # input not mutated
    g = toy.groupby([toy["year"] >= 2021, "llq_funded"])["turnout_buergerschaft"].mean()
    hand = (g[(True, True)] - g[(True, False)]) - (g[(False, True)] - g[(False, False)])
    assert f.numbers["did"] == pytest.approx(hand, abs=1e-9)
    lo, hi = f.numbers["ci"]
    se = f.results["twfe"].se
    assert abs(f.numbers["did"] - 3.0) < 4 * se and lo > 0  # known effect +3 pp recovered
    assert f.numbers["pretrend_p"] > 0.01 and f.numbers["wild_p"] < 0.05
    el = f.to_frame("by_election").set_index("year")
    for y, gg in toy.groupby("year"):
        m = gg.groupby("llq_funded")["turnout_buergerschaft"].mean()
        assert el.loc[y, "difference"] == pytest.approx(m[True] - m[False], abs=1e-12)
    assert "nachweisbar höher" not in f.summary() or lo > 0


def test_pretrend_is_detected_and_no_effect_is_reported_as_such():
    f = participation_findings(_toy(effect=0.0, trend=-1.5, noise=0.3), funding=_TOY_FUNDING, neighbours=False,
                               reps=499, n_designs=100)
    assert f.numbers["pretrend_p"] < 0.01
    assert "nicht als Wirkung" in f.summary()
    assert f.numbers["did"] < -3  # the naive DiD picks up the pre-trend (true effect 0)
    covered = []
    for seed in range(8):  # HonestDiD at M = 0 (linear extrapolation of the pre-trend) covers the true 0
        g = f if seed == 3 else participation_findings(_toy(effect=0.0, trend=-1.5, noise=0.3, seed=seed),
                                                       funding=_TOY_FUNDING, neighbours=False, reps=99,
                                                       n_designs=50)
        lo, hi = g.numbers["honest_sd_ci0"]
        covered.append(lo < 0 < hi)
        if lo < 0 < hi:
            assert "kein nachweisbarer Unterschied" in g.summary()
            assert "no detectable difference" in g.summary("en")
    assert sum(covered) >= 6, covered


def test_bremerhaven_2x2_by_hand(part, panel):
    b = panel[(panel["city"] == "Bremerhaven") & panel["turnout_buergerschaft"].notna()]
    b = b[~(b["llq_first_year"] > 2023)]
    w = b.pivot(index="quartier_id", columns="year", values="turnout_buergerschaft").dropna()
    funded = b.drop_duplicates("quartier_id").set_index("quartier_id")["llq_first_year"].reindex(w.index) > 0
    ch = w[2023] - w[2019]
    assert part.numbers["bremerhaven"]["did"] == pytest.approx(ch[funded].mean() - ch[~funded].mean(), abs=1e-9)


def test_participation_on_published_panel(part, panel):
    """Means per election equal pandas; the headline numbers are finite and stated with the source."""
    b = panel[(panel["city"] == "Bremen") & panel["turnout_buergerschaft"].notna() & ~(panel["llq_first_year"] > 2023)]
    m = b.groupby(["year", b["llq_first_year"] > 0])["turnout_buergerschaft"].mean().unstack()
    el = part.to_frame("by_election").set_index("year")
    assert np.allclose(el["mean_funded"], m[True]) and np.allclose(el["mean_comparison"], m[False])
    assert part.numbers["pre"] == [2007, 2011, 2015, 2019] and part.numbers["post"] == [2023]
    n = part.numbers
    assert all(math.isfinite(v) for v in (n["did"], n["p"], n["wild_p"], n["pretrend_p"], n["mde"]))
    keys = set(part.to_frame("estimates")["key"])
    assert {"twfe", "wild", "es_post", "spill_direct", "spill_spillover"} <= keys
    assert "Wahlberechtigte" in part.summary()  # persons: residents as the stated approximation
    assert part.summary().endswith("eigene Berechnung.")
    # MDE in persons: population of the funded Ortsteile at the post election, by hand
    d, info = election_panel(panel)
    pop = d[(d["funded"] == 1) & (d["year"] == 2023)]["population"].sum()
    assert n["mde_persons"] == pytest.approx(n["mde"] * pop / 100, rel=1e-9)


def test_no_post_election_is_a_clear_error(panel):
    p = panel[panel["year"] < 2020]
    with pytest.raises(DataValidationError, match="after the first LLQ year"):
        participation_findings(p, neighbours=False)


# ----------------------------------------------------------------------------- poverty and MDE
def test_poverty_trends_by_hand_and_request_statement(panel):
    f = poverty_findings(panel)
    tr = f.to_frame("trends")
    b = panel[(panel["city"] == "Bremen") & panel["sgb2_rate"].notna()]
    m = b.groupby(["year", b["llq_first_year"] > 0])["sgb2_rate"].mean().unstack()
    got = tr[tr["outcome"] == "sgb2_rate"].set_index("year")
    assert np.allclose(got["difference"], m[True] - m[False])
    st = f.to_frame("status").set_index("outcome")
    assert st.loc["sgb2_rate", "last_year"] == 2018 and not st["post_published"].any()
    s = f.summary()
    assert "Bundesagentur für Arbeit" in s and "llq build-panel" in s and "llq report --data" in s


def test_detectable_effects_persons_and_bases(panel, part):
    f = llq.detectable_effects(panel, participation=part, n_designs=100)
    m = f.to_frame().set_index("outcome")
    assert set(m.index) == {"turnout_buergerschaft", "sgb2_rate", "sgb2_rate_u15", "unemployment_rate"}
    assert (m["mde_pp"] > 0).all() and math.isnan(m.loc["unemployment_rate", "persons"])
    b = panel[(panel["city"] == "Bremen") & panel["sgb2_rate"].notna() & (panel["llq_first_year"] > 0)
              & ~(panel["llq_first_year"] > 2024)].copy()
    b["base"] = b["population"].astype(float) * (1 - b["share_65_plus"] / 100)
    last = b.dropna(subset=["base"]).sort_values("year").groupby("quartier_id")["base"].last()
    assert m.loc["sgb2_rate", "persons"] == pytest.approx(m.loc["sgb2_rate", "mde_pp"] * last.sum() / 100, rel=1e-9)
    assert "Kein nachweisbarer Unterschied" in f.summary() or "„Kein nachweisbarer Unterschied“" in f.summary()


def test_findings_draw(part):
    import matplotlib.pyplot as plt

    for fig in (part.plot(), part.plot(kind="event_study"), part.plot("en")):
        assert any("Quelle" in t.get_text() or "Source" in t.get_text() for t in fig.texts)
        plt.close(fig)


# ----------------------------------------------------------------------------- notebook
@pytest.mark.notebook
def test_notebook_07_executes(tmp_path, monkeypatch):
    import nbformat
    import papermill as pm

    path = paths.NOTEBOOK_DIR / "07_befunde_veroeffentlicht.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    params = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(params) == 1 and "data = None" in "".join(params[0]["source"])
    monkeypatch.delenv("MPLBACKEND", raising=False)
    out = tmp_path / path.name
    pm.execute_notebook(str(path), str(out), cwd=str(tmp_path), kernel_name="python3", progress_bar=False,
                        log_output=False, execution_timeout=900, parameters={"lang": "en"})
    ran = nbformat.read(out, as_version=4)
    errors = [o for c in ran.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors, errors[0]
    for c in ran.cells:
        if c.cell_type == "code" and ".plot(" in c.source:
            assert any("image/png" in o.get("data", {}) for o in c.outputs), c.source


# ----------------------------------------------------------------------------- report sections
def test_part_a_sections_source_under_every_table_and_figure(tmp_path):
    import re

    from llq_analysis.outputs.report.content import published_sections as ps
    from llq_analysis.outputs.report.content import start

    ctx = start(out_dir=tmp_path, fast=True)
    html = ps.part_a(ctx).html
    blocks = re.findall(r'<figure class="llq-(?:table|figure)[^"]*".*?</figure>', html, flags=re.S)
    assert len(blocks) == len(ctx.tables) + len(ctx.figures) >= 10
    for b in blocks:
        assert "Quelle: Statistisches Landesamt Bremen" in re.sub(r"<svg.*?</svg>", "", b, flags=re.S)
    assert "sim-badge" not in html  # Part A is never on simulated values
    assert (tmp_path / "tables").is_dir()


def test_part_a_says_what_is_missing_and_fills_nothing(panel, tmp_path):
    from llq_analysis.outputs.report.content import published_sections as ps
    from llq_analysis.outputs.report.content import start

    ctx = start(fast=True)
    ctx.published_panel = panel[(panel["year"] < 2020) & (panel["city"] == "Bremen")].copy()
    html = ps.participation(ctx).html
    assert "mit diesen Daten nicht möglich" in html and "after the first LLQ year" in html
    assert "Zielgenauigkeit" in ps.targeting(ctx).html


def test_key_findings_follow_the_numbers(tmp_path):
    from llq_analysis.outputs.report.content import published_sections as ps
    from llq_analysis.outputs.report.content import start

    ctx = start(fast=True)
    text = ps.key_findings(ctx).html
    n = ps.findings(ctx)["targeting"].numbers
    assert f"{n['n_fifth_funded']} der {n['n_fifth']}" in text
    pa = ps.findings(ctx)["participation"].numbers
    assert ("schon vor dem Programm" in text) == (pa["pretrend_p"] < 0.05)


def test_demo_panel_findings_are_marked_simulated():
    import matplotlib.pyplot as plt

    f = poverty_findings(llq.load_demo_panel())
    assert f.simulated and "Simulierte Daten" in f.summary()
    fig = f.plot()
    assert sum(x.get_text() == "Simulierte Daten" for x in fig.texts) == 1
    plt.close(fig)
