"""The need index shrinks small-area rates by default and says so (issue 11, item 4)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import llq_analysis as llq


def _panel(seed=0, n=40):
    rng = np.random.default_rng(seed)
    pop = np.r_[np.full(n - 1, 20_000), 150]  # the last area has 150 residents
    true = rng.uniform(8, 14, n)
    obs = rng.binomial(pop, true / 100) / pop * 100
    obs[-1] = 40.0  # a chance extreme of the tiny area
    return pd.DataFrame({"quartier_id": [f"q{i:02d}" for i in range(n)], "city": "Bremen", "year": 2018,
                         "population": pop, "sgb2_rate": obs, "population_below_retirement_age": pop * 0.8})


def test_tiny_area_no_longer_tops_the_ranking_and_large_areas_barely_move():
    p = _panel()
    raw = llq.need_index(p, indicators={"sgb2_rate": 1}, shrink=None)
    shr = llq.need_index(p, indicators={"sgb2_rate": 1})
    assert raw.idxmax() == "q39"
    assert shr.attrs["shrinkage"]["method"] == "beta_binomial"
    assert shr.attrs["shrinkage"]["indicators"]["sgb2_rate"]["base"] == "population_below_retirement_age"
    # the tiny area's rate is pulled toward the city mean: its z-score drops a lot ...
    assert shr["q39"] < raw["q39"] - 1.0
    # ... while large areas keep their order (rank correlation ~1)
    big = raw.index[:-1]
    assert np.corrcoef(raw[big].rank(), shr[big].rank())[0, 1] > 0.99


def test_base_falls_back_to_residents_and_says_so():
    p = _panel().drop(columns="population_below_retirement_age")
    shr = llq.need_index(p, indicators={"sgb2_rate": 1})
    info = shr.attrs["shrinkage"]["indicators"]["sgb2_rate"]
    assert info["base"] == "population" and info["approximate_base"] is True


def test_unknown_shrink_method_is_an_error():
    with pytest.raises(ValueError, match="shrink"):
        llq.need_index(_panel(), indicators={"sgb2_rate": 1}, shrink="magic")
