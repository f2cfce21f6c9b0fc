"""Callaway & Sant'Anna on mpdta against R ``did`` (tests/reference/mpdta/expected.json).

Every CS number of expected.json is checked within its tolerance: ATT(g,t) and analytic SEs with
never-treated (``nev_``) and not-yet-treated (``nyt_``) controls, the covariate version
(``nev_reg_lpop_``: xformla = ~lpop, est_method = "reg"), the aggregations simple / dynamic /
group / calendar with SEs, and the Wald pre-test. The TWFE numbers (``twfe_*``) are tested in
tests/test_did.py. ``python tests/test_reference_mpdta.py`` (or pytest -s) prints the delta table.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import pandas as pd
import pytest

REF = Path(__file__).parent / "reference" / "mpdta"
EXPECTED: dict = json.loads((REF / "expected.json").read_text())["numbers"]
CS_KEYS = sorted(k for k in EXPECTED if not k.startswith("twfe_"))
SPECS = {"nev": {}, "nyt": {"control": "not_yet_treated"},
         "nev_reg_lpop": {"covariates": ["lpop"], "est_method": "reg"}}


@cache
def _fit(prefix: str):
    from llq_analysis.impact.staggered import staggered_did

    df = pd.read_csv(REF / "mpdta.csv")
    return staggered_did(df, outcome="lemp", unit="countyreal", time="year", cohort="first.treat",
                         **SPECS[prefix])


def ours(key: str) -> float:
    """Our number for an expected.json key."""
    if key.startswith("nev_pretest_wald"):
        pt = _fit("nev").pretest()
        return pt["stat"] if key.endswith("stat") else pt["pvalue"]
    m = re.fullmatch(r"(nev_reg_lpop|nev|nyt)_(attgt|simple|dynamic|group|calendar)_(.+?)(_se_analytic)?", key)
    assert m, key
    prefix, kind, elem, is_se = m.groups()
    r = _fit(prefix)
    col = "se" if is_se else None
    if kind == "attgt":
        g, t = map(int, elem.split("_"))
        row = r.att_gt[(r.att_gt["group"] == g) & (r.att_gt["time"] == t)]
        assert len(row) == 1, key
        return float(row["se" if col else "att"].iloc[0])
    tab = r.aggregate(kind).table
    row = tab[tab["term"] == elem]
    assert len(row) == 1, (key, list(tab["term"]))
    return float(row["se" if col else "estimate"].iloc[0])


def delta_table() -> pd.DataFrame:
    """One row per CS number of expected.json: expected, ours, |delta|, tolerance."""
    rows = []
    for k in CS_KEYS:
        exp = EXPECTED[k]["value"]
        got = ours(k)
        rows.append({"key": k, "expected": exp, "ours": got, "abs_delta": abs(got - exp), "tol": EXPECTED[k]["tol"]})
    out = pd.DataFrame(rows)
    out["block"] = out["key"].map(_block)
    return out


def _block(k: str) -> str:
    pre = "nev_reg_lpop" if k.startswith("nev_reg_lpop") else k.split("_")[0]
    kind = "pretest" if "pretest" in k else k[len(pre) + 1:].split("_")[0]
    return f"{pre}:{kind}{':se' if k.endswith('_se_analytic') else ''}"


@pytest.mark.parametrize("key", CS_KEYS)
def test_cs_number_matches_r_did(key):
    exp = EXPECTED[key]
    assert abs(ours(key) - exp["value"]) <= exp["tol"], (key, ours(key), exp["value"])


def test_every_cs_number_is_covered():
    blocks = {_block(k) for k in CS_KEYS}
    # 3 specifications x (12 ATT(g,t) + simple 1 + group 4 + dynamic 8 + calendar 5) x (estimate, se)
    # + the pre-test (statistic, p-value)
    assert len(CS_KEYS) == 3 * 30 * 2 + 2
    assert {"nev:pretest", "nyt:attgt", "nyt:calendar:se", "nev_reg_lpop:dynamic:se"} <= blocks


def test_delta_table_printed(capsys):
    tab = delta_table()
    summary = tab.groupby("block").agg(n=("key", "size"), max_abs_delta=("abs_delta", "max"),
                                       tol=("tol", "min"))
    with capsys.disabled():
        print("\nmpdta: Callaway & Sant'Anna vs R did, max |delta| per block")
        print(summary.to_string(float_format=lambda v: f"{v:.3g}"))
        print(f"overall max |delta| (excluding the pre-test p-value, rounded to 5 digits in R): "
              f"{tab.loc[tab['key'] != 'nev_pretest_wald_pvalue', 'abs_delta'].max():.3g}")
    assert (tab["abs_delta"] <= tab["tol"]).all()


def test_no_covariate_methods_agree():
    """Without covariates reg = dr = ipw (expected.json 'what' says so)."""
    from llq_analysis.impact.staggered import staggered_did

    df = pd.read_csv(REF / "mpdta.csv")
    base = _fit("nev")
    for m in ("dr", "ipw"):
        r = staggered_did(df, outcome="lemp", unit="countyreal", time="year", cohort="first.treat", est_method=m)
        assert abs(r.estimate - base.estimate) < 1e-10
        assert abs(r.se - base.se) < 1e-10


if __name__ == "__main__":  # pragma: no cover
    t = delta_table()
    pd.set_option("display.width", 160)
    print(t.to_string(float_format=lambda v: f"{v:.6g}"))
    print(t.groupby("block")["abs_delta"].max().to_string())
    print("max |delta|:", t.loc[t["key"] != "nev_pretest_wald_pvalue", "abs_delta"].max())
