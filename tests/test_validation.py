"""validate_panel: one DataValidationError listing every problem, with row, column and expectation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import llq_analysis as llq
from llq_analysis.errors import DataValidationError


@pytest.fixture()
def small(panel):
    return panel[panel["quartier_id"].isin(["04011373", "04012135"])].reset_index(drop=True).copy()


def _errors(df, **kw):
    with pytest.raises(DataValidationError) as exc:
        llq.validate_panel(df, **kw)
    return exc.value


def test_valid_small_panel_passes(small, quartiers):
    assert llq.validate_panel(small, quartiers=quartiers) is small


def test_turnout_above_100_is_named(small):
    i = small.index[small["year"] == 2019][0]
    small.loc[i, "turnout_buergerschaft"] = 122.8  # the real Werderland export error
    err = _errors(small)
    assert "turnout_buergerschaft" in str(err) and "122.8" in str(err) and "<= 100" in str(err)
    assert err.problems[0].row == i


def test_every_problem_is_reported_at_once(small, quartiers):
    small.loc[0, "population"] = -5
    small.loc[1, "sgb2_rate"] = 101.0
    small.loc[2, "turnout_buergerschaft"] = 55.0  # 2014 is no election year
    small.loc[2, "turnout_buergerschaft_provenance"] = "simulated"
    small.loc[3, "quartier_id"] = "HB-atlantis"
    small = pd.concat([small, small.iloc[[5]]], ignore_index=True)  # duplicate quartier-year
    err = _errors(small, quartiers=quartiers)
    text = str(err)
    for needle in ["population", "-5", "sgb2_rate", "101.0", "election years", "HB-atlantis",
                   "unique (quartier_id, year)"]:
        assert needle in text, needle
    assert len(err.problems) >= 6
    frame = err.to_frame()
    assert {"file", "line", "row", "column", "value", "expected"} <= set(frame.columns)


def test_missing_columns_and_bad_types(small):
    bad = small.drop(columns=["sgb2_rate", "city"])
    bad["unemployment_rate"] = bad["unemployment_rate"].astype(object)
    bad.loc[0, "unemployment_rate"] = "zwölf"
    text = str(_errors(bad))
    assert "'sgb2_rate'" in text and "'city'" in text and "zwölf" in text and "a number" in text


def test_provenance_required_and_consistent(small):
    small.loc[0, "sgb2_rate_provenance"] = "made up"
    small.loc[1, "sgb2_rate"] = np.nan  # empty value must be marked missing
    text = str(_errors(small))
    assert "made up" in text and "'missing' exactly where the value is empty" in text


def test_line_numbers_when_read_from_file(tmp_path, small):
    small.loc[3, "population"] = -1
    p = tmp_path / "panel.csv"
    small.to_csv(p, index=False)
    with pytest.raises(DataValidationError) as exc:
        llq.load_panel(p)
    assert "line 5" in str(exc.value) and str(p) in str(exc.value)


def test_city_must_match_quartier(small, quartiers):
    small.loc[0, "city"] = "Bremerhaven" if small.loc[0, "city"] == "Bremen" else "Bremen"
    assert "the city of" in str(_errors(small, quartiers=quartiers))


def test_cohort_changing_within_a_quartier_is_reported(panel):
    # issue 14: a first-funding year that changes within a unit used to pass `validate`
    bad = panel.copy()
    q = bad.loc[bad["llq_first_year"] > 0, "quartier_id"].iloc[0]
    row = bad.index[(bad["quartier_id"] == q)][3]
    bad.loc[row, "llq_first_year"] = 2030
    with pytest.raises(llq.DataValidationError) as e:
        llq.validate_panel(bad)
    msg = str(e.value)
    assert "llq_first_year" in msg and q in msg and "2030" in msg and "one value per quartier" in msg
