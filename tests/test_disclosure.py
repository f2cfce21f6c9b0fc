"""Disclosure control (Statistik der BA rules): primary and secondary suppression, rates, rounding.

Protection is checked from the attacker's side, independently of the package: a reader knows every
shown cell and every additive relation (total = sum of members); with a linear programme we compute
the smallest and largest value each hidden cell can take. A cell is disclosed when that interval is
a single value or lies entirely below 3 persons.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from llq_analysis import disclose
from llq_analysis.errors import DataValidationError
from llq_analysis.outputs.disclosure import MARK, RateSpec, suppression_mask


# ----------------------------------------------------------------------------- attacker's view
def attacker_bounds(shown: pd.DataFrame, col: str, lines: list[tuple[str, list[str]]],
                    upper: float = 1e6) -> dict[str, tuple[float, float]]:
    """Feasible [min, max] of every hidden cell of ``col`` given shown cells and total lines.

    ``shown`` holds the published column (numbers or the mark); ``lines`` are (total, members)
    row labels. Uses scipy's LP (continuous relaxation, integral here because the constraint
    matrix is a network matrix).
    """
    hidden = [r for r in shown.index if shown.at[r, col] == MARK]
    if not hidden:
        return {}
    pos = {r: i for i, r in enumerate(hidden)}
    a_eq, b_eq = [], []
    for tot, members in lines:
        row = np.zeros(len(hidden))
        rhs = 0.0
        for lab, sign in [(tot, -1.0)] + [(m, 1.0) for m in members]:
            if lab in pos:
                row[pos[lab]] += sign
            else:
                rhs -= sign * float(shown.at[lab, col])
        if row.any():
            a_eq.append(row)
            b_eq.append(rhs)
    bounds = [(0, upper)] * len(hidden)
    out = {}
    for r, i in pos.items():
        c = np.zeros(len(hidden))
        c[i] = 1.0
        lo = linprog(c, A_eq=a_eq or None, b_eq=b_eq or None, bounds=bounds).fun
        hi = -linprog(-c, A_eq=a_eq or None, b_eq=b_eq or None, bounds=bounds).fun
        out[r] = (round(lo, 6), round(hi, 6))
    return out


def assert_protected(shown, col, lines, true_values, min_count=3):
    for r, (lo, hi) in attacker_bounds(shown, col, lines).items():
        v = true_values[r]
        assert lo <= v <= hi
        assert hi > lo, f"{r}: hidden value {v} is determined exactly by the totals"
        assert hi >= min_count, f"{r}: reader learns that the hidden value is below {min_count}"


# ----------------------------------------------------------------------------- primary
def test_primary_suppression_of_counts_below_three_including_zero():
    t = pd.DataFrame({"q": list("abcdef"), "n": [0, 1, 2, 3, 4, 250]})
    out = disclose(t, count_columns=["n"])
    assert list(out["n (Personen)"]) == [MARK, MARK, MARK, 3, 4, 250]
    assert out.attrs["disclosure"]["n_primary"] == 3
    assert list(out["q"]) == list("abcdef")


def test_min_count_is_a_parameter_and_nan_stays_empty():
    t = pd.DataFrame({"n": [4, 5, np.nan, 6]})
    out = disclose(t, count_columns=["n"], min_count=5, lang="en")
    assert list(out["n (persons)"]) == [MARK, 5, None, 6]


def test_input_is_not_mutated_and_other_columns_untouched():
    t = pd.DataFrame({"name": ["a", "b"], "n": [1, 7], "eur": [0.5, 1.0]})
    before = t.copy(deep=True)
    out = disclose(t, count_columns=["n"])
    pd.testing.assert_frame_equal(t, before)
    assert list(out["eur"]) == [0.5, 1.0]


# ----------------------------------------------------------------------------- rates
def test_rate_hidden_when_numerator_below_three():
    t = pd.DataFrame({"n": [2, 3, 40], "base": [10, 10, 100], "rate": [20.0, 30.0, 40.0]})
    out = disclose(t, rate_columns={"rate": {"numerator": "n", "base": "base"}})
    assert list(out["rate"]) == [MARK, 30.0, 40.0]
    # numerator and base are counts of persons: hidden and renamed too
    assert list(out["n (Personen)"]) == [MARK, 3, 40]
    assert list(out["base (Personen)"]) == [10, 10, 100]


def test_rate_numerator_derived_from_base_when_not_in_table():
    t = pd.DataFrame({"base": [50, 50, 2, 1000], "rate": [4.0, 6.0, 100.0, 0.1]})
    # numerators: 2, 3, 2, 1 persons
    out = disclose(t, rate_columns={"rate": RateSpec(base="base", scale=100)})
    assert list(out["rate"]) == [MARK, 6.0, MARK, MARK]
    assert list(out["base (Personen)"]) == [50, 50, MARK, 1000]


def test_rate_hidden_when_its_numerator_is_secondarily_suppressed():
    t = pd.DataFrame({"n": [1, 5, 50, 56], "base": [10, 20, 100, 130],
                      "rate": [10.0, 25.0, 50.0, 56 / 130 * 100]},
                     index=["a", "b", "c", "total"])
    out = disclose(t, rate_columns={"rate": {"numerator": "n", "base": "base"}},
                   totals={"total": ["a", "b", "c"]})
    assert out.loc["b", "n (Personen)"] == MARK  # secondary
    assert out.loc["b", "rate"] == MARK  # else rate x base gives the secondary cell back
    assert out.loc["c", "rate"] == 50.0


# ----------------------------------------------------------------------------- secondary
def test_total_would_reveal_cell_without_secondary_suppression():
    t = pd.DataFrame({"n": [1, 10, 20, 31]}, index=["a", "b", "c", "total"])
    lines = [("total", ["a", "b", "c"])]
    naive = disclose(t, count_columns=["n"], label_counts=False)  # totals not declared
    bounds = attacker_bounds(naive, "n", lines)
    assert bounds["a"] == (1.0, 1.0)  # 31 - 10 - 20: the suppressed value is revealed
    safe = disclose(t, count_columns=["n"], totals={"total": ["a", "b", "c"]}, label_counts=False)
    assert list(safe["n"]) == [MARK, MARK, 20, 31]  # next-smallest member hidden
    assert suppression_mask(t, count_columns=["n"], totals={"total": ["a", "b", "c"]})["n"].tolist() \
        == ["primary", "secondary", "", ""]
    assert_protected(safe, "n", lines, t["n"])


def test_secondary_hides_more_when_hidden_cells_sum_below_three():
    # two primary cells 1 + 1 = 2 would tell the reader both are small: hide one more
    t = pd.DataFrame({"n": [1, 1, 9, 40, 51]}, index=["a", "b", "c", "d", "total"])
    out = disclose(t, count_columns=["n"], totals={"total": ["a", "b", "c", "d"]}, label_counts=False)
    assert list(out["n"]) == [MARK, MARK, MARK, 40, 51]
    assert_protected(out, "n", [("total", ["a", "b", "c", "d"])], t["n"])


def test_single_member_total_is_hidden_with_its_member():
    t = pd.DataFrame({"n": [2, 2]}, index=["q", "city"])
    out = disclose(t, count_columns=["n"], totals={"city": ["q"]}, label_counts=False)
    assert list(out["n"]) == [MARK, MARK]


def test_hierarchy_propagates_up_and_down():
    labels = ["hb1", "hb2", "hb3", "bhv1", "Bremen", "Bremerhaven", "Land"]
    t = pd.DataFrame({"n": [400, 120, 90, 2, 610, 2, 612]}, index=labels)
    totals = {"Bremen": ["hb1", "hb2", "hb3"], "Bremerhaven": ["bhv1"],
              "Land": ["Bremen", "Bremerhaven"]}
    out = disclose(t, count_columns=["n"], totals=totals, label_counts=False)
    # bhv1 (2) primary -> Bremerhaven total reveals it -> hidden; then the Land line needs a second
    # hidden cell (Bremen) -> the Bremen line needs a second one (the smallest quartier hb3)
    assert out.loc["bhv1", "n"] == MARK and out.loc["Bremerhaven", "n"] == MARK
    assert out.loc["Bremen", "n"] == MARK and out.loc["hb3", "n"] == MARK
    assert out.loc["Land", "n"] == 612 and out.loc["hb1", "n"] == 400
    assert_protected(out, "n", list(totals.items()), t["n"])


def test_column_totals_within_rows():
    t = pd.DataFrame({"female": [1, 30], "male": [20, 31], "all": [21, 61]}, index=["a", "b"])
    out = disclose(t, count_columns=["female", "male", "all"], column_totals={"all": ["female", "male"]},
                   label_counts=False)
    assert out.loc["a"].tolist() == [MARK, MARK, 21]
    assert out.loc["b"].tolist() == [30, 31, 61]


def test_key_column_gives_row_labels_for_totals():
    t = pd.DataFrame({"Quartier": ["a", "b", "c", "Summe"], "n": [2, 8, 9, 19]})
    out = disclose(t, count_columns=["n"], totals={"Summe": ["a", "b", "c"]}, key="Quartier")
    assert list(out.columns) == ["Quartier", "n (Personen)"]
    assert list(out["n (Personen)"]) == [MARK, MARK, 9, 19]
    assert list(out.index) == [0, 1, 2, 3]


# ----------------------------------------------------------------------------- rounding
def test_rounding_to_5_and_10_half_up_after_suppression():
    t = pd.DataFrame({"n": [2, 3, 4, 7, 12, 13, 15, 25]})
    r5 = disclose(t, count_columns=["n"], round_to=5, label_counts=False)
    assert list(r5["n"]) == [MARK, 5, 5, 5, 10, 15, 15, 25]
    r10 = disclose(t, count_columns=["n"], round_to=10, label_counts=False)
    assert list(r10["n"]) == [MARK, 0, 0, 10, 10, 10, 20, 30]
    assert "rounded to multiples of 10" in r10.attrs["disclosure"]["rule"]


def test_rounding_keeps_rates_and_secondary_suppression():
    t = pd.DataFrame({"n": [1, 12, 27, 40], "rate": [1.0, 12.0, 27.0, 13.3]}, index=list("abcT"))
    out = disclose(t, rate_columns={"rate": "n"}, totals={"T": ["a", "b", "c"]}, round_to=5,
                   label_counts=False)
    assert list(out["n"]) == [MARK, MARK, 25, 40]
    assert list(out["rate"]) == [MARK, MARK, 27.0, 13.3]


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("kwargs, message", [
    ({"count_columns": ["nope"]}, "'nope'"),
    ({"count_columns": ["frac"]}, "whole number of persons"),
    ({"count_columns": ["neg"]}, "whole number of persons"),
    ({"count_columns": ["txt"]}, "a number"),
    ({"count_columns": ["n"], "totals": {"T": ["a", "zz"]}}, "row label"),
    ({"count_columns": ["n"], "round_to": 3}, "round_to"),
    ({"count_columns": ["n"], "min_count": 0}, "min_count"),
    ({"rate_columns": {"n": {"numer": "x"}}}, "unknown keys"),
])
def test_bad_input_gives_clear_error(kwargs, message):
    t = pd.DataFrame({"n": [1, 2], "frac": [1.5, 2.0], "neg": [-1, 4], "txt": ["a", "3"]},
                     index=["a", "T"])
    with pytest.raises((DataValidationError, ValueError, TypeError), match=message):
        disclose(t, **kwargs)


# ----------------------------------------------------------------------------- properties
@st.composite
def two_level_tables(draw):
    n_a = draw(st.integers(1, 5))
    n_b = draw(st.integers(1, 4))
    vals = draw(st.lists(st.integers(0, 40), min_size=n_a + n_b, max_size=n_a + n_b))
    a = [f"a{i}" for i in range(n_a)]
    b = [f"b{i}" for i in range(n_b)]
    idx = a + b
    s = pd.Series(vals, index=idx, dtype="int64")
    s["A"] = s[a].sum()
    s["B"] = s[b].sum()
    s["ALL"] = s["A"] + s["B"]
    return s.to_frame("n"), {"A": a, "B": b, "ALL": ["A", "B"]}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(two_level_tables())
def test_property_no_hidden_cell_can_be_recovered(case):
    t, totals = case
    out = disclose(t, count_columns=["n"], totals=totals, label_counts=False)
    shown = out["n"][out["n"] != MARK]
    assert (shown.astype(int) >= 3).all()
    assert_protected(out, "n", list(totals.items()), t["n"])
