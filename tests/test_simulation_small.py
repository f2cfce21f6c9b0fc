"""Simulation checks on LLQ-like panels with a known effect (studies/simulation_study.py).

Default run: 60 panels per scenario, loose tolerances that still fail when something is wrong
(a biased estimator, SEs off by a third, intervals that do not cover). The full study (500 panels,
targets of issue 3) runs with ``pytest -m study``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow  # ~30-60 s (numba compile of pyfixest + 120 simulated panels)

STUDY = Path(__file__).resolve().parents[1] / "studies" / "simulation_study.py"


def _study():
    spec = importlib.util.spec_from_file_location("llq_simulation_study", STUDY)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def small():
    st = _study()
    raw = st.run_study(60, seed=424242, scenarios=("homogeneous", "heterogeneous"), reps_wcb=199, reps_mboot=0,
                       imputation=False, progress=False)
    return raw, st.summarise(raw).set_index(["scenario", "method"])


def test_dgp_known_effect_and_structure():
    import llq_analysis as llq

    d = llq.simulate_staggered_panel(3)
    assert d["quartier_id"].nunique() == len(llq.load_quartiers()) and d["year"].nunique() == 13
    units = d.groupby("quartier_id").first()
    assert (units.loc[units.city == "Bremerhaven", "first_year"] > 0).sum() == 4
    assert set(units.loc[units.first_year > 0, "first_year"]) == {2021, 2022, 2023, 2024}
    assert d.attrs["true_att"] == -1.0 and (d.loc[d.treated == 1, "true_effect"] == -1.0).all()
    h = llq.simulate_staggered_panel(3, heterogeneous=True)
    on = h[h.treated == 1]
    assert h.attrs["true_att"] == pytest.approx(on["true_effect"].mean())
    e = on["year"] - on["first_year"]
    assert on.loc[(on.first_year == 2021) & (e == 3), "true_effect"].iloc[0] == pytest.approx(-1.0 * 4 * 2.0)
    d2 = llq.simulate_staggered_panel(3)
    assert d2["y"].equals(d["y"])  # seeded


@pytest.mark.parametrize("method", ["TWFE, CR1 cluster SE", "CS simple ATT, analytic SE",
                                    "TWFE, wild cluster bootstrap (WCR, rademacher)"])
def test_homogeneous_unbiased_and_covers(small, method):
    _, s = small
    r = s.loc[("homogeneous", method)]
    assert r.panels == 60
    assert abs(r.bias_pct) < 4 * r.bias_mcse_pct + 2  # within MC noise of 0
    assert 0.85 <= r.coverage <= 1.0
    assert 0.7 < r.se_over_sd < 1.4  # SEs neither a third too small nor too large


def test_heterogeneous_twfe_biased_cs_not(small):
    raw, s = small
    het = raw[raw.scenario == "heterogeneous"].pivot(index="panel_seed", columns="method", values="estimate")
    truth = raw[raw.scenario == "heterogeneous"].groupby("panel_seed")["truth"].first()
    tw = het["TWFE, CR1 cluster SE"] - truth
    cs = het["CS simple ATT, analytic SE"] - truth
    # CS: mean error within MC noise of zero
    assert abs(cs.mean()) < 4 * cs.std() / np.sqrt(len(cs))
    # TWFE: biased towards zero (effects are negative and grow; early cohorts underweighted)
    diff = tw - cs
    assert diff.mean() / (diff.std() / np.sqrt(len(diff))) > 4
    assert s.loc[("heterogeneous", "TWFE, CR1 cluster SE"), "bias_pct"] > 4


@pytest.mark.study
def test_full_study_meets_targets():
    st = _study()
    raw = st.run_study(500, seed=20240601, progress=False)
    s = st.summarise(raw).set_index(["scenario", "method"])
    for m in ("TWFE, CR1 cluster SE", "TWFE, wild cluster bootstrap (WCR, rademacher)",
              "CS simple ATT, analytic SE", "CS simple ATT, multiplier bootstrap"):
        r = s.loc[("homogeneous", m)]
        assert abs(r.bias_pct) < 5, m
        assert 0.93 <= r.coverage <= 0.97, (m, r.coverage)
    assert abs(s.loc[("heterogeneous", "CS simple ATT, analytic SE"), "bias_pct"]) < 5
    assert s.loc[("heterogeneous", "TWFE, CR1 cluster SE"), "bias_pct"] > 5
