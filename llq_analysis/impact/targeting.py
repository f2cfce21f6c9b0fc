"""Targeting on published data: were the LLQ-funded Ortsteile the neediest before the programme?

:func:`targeting_findings` builds a need index from the **published pre-programme values**
(per indicator the latest year before ``before`` with published values; nothing carried
forward or filled), optionally with the rates of small Ortsteile shrunk toward the city mean
(:func:`llq_analysis.shrink_rates`, beta-binomial empirical Bayes; Clayton & Kaldor 1987), and
compares funded with unfunded Ortsteile and the LLQ money (``funding.csv``) reaching the neediest
fifth. Need index = mean of the z-scores (SD with ddof=1, over the Ortsteile of the city that
have every indicator) of the indicators; higher = more need. Ortsteile without a published value
of some indicator get no index (listed in ``dropped``).

The SGB II and unemployment values of the Ortsteilatlas exist for the city of Bremen only, so
the index and the money share are Bremen only (stated in the result).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import DataValidationError, Problem
from .findings_base import Finding, check_provenance, source_line

#: need indicators of the index (all "higher = more need")
NEED_INDICATORS = ("sgb2_rate", "sgb2_rate_u15", "unemployment_rate")
#: stated approximations of the persons behind each rate (the true bases are not published)
BASE_RULES = {
    "sgb2_rate": ("population x (1 - share_65_plus/100): residents under 65 (the published base)",
                  "Einwohner × (1 − Anteil ab 65) = Einwohner unter 65 (die veröffentlichte Bezugsgröße)"),
    "sgb2_rate_u15": ("population x share_under_18/100 x 15/18: children under 15, approximated",
                      "Einwohner × Anteil unter 18 × 15/18 ≈ Kinder unter 15 (Näherung)"),
    "unemployment_rate": ("residents under 65 as an upper bound of the labour force (not published)",
                          "Einwohner unter 65 als obere Schranke der Erwerbspersonen (nicht veröffentlicht)"),
}


def _latest_year(panel: pd.DataFrame, col: str, before: int, city: str) -> int:
    rows = panel[(panel["city"].astype(str) == city) & panel[col].notna() & (panel["year"] < before)]
    if rows.empty:
        raise DataValidationError([Problem(column=col, expected=f"published values for {city} before {before}")],
                                  what="targeting_findings")
    return int(rows["year"].max())


def _value_at(panel: pd.DataFrame, col: str, year: int) -> pd.Series:
    r = panel[panel["year"] == year]
    return pd.Series(pd.to_numeric(r[col], errors="coerce").astype(float).to_numpy(),
                     index=r["quartier_id"].astype(str).to_numpy())


def _bases(panel: pd.DataFrame, year: int) -> dict[str, pd.Series]:
    pop = _value_at(panel, "population", year) if "population" in panel.columns else None
    if pop is None or pop.notna().sum() == 0:
        return {}
    out = {}
    if "share_65_plus" in panel.columns:
        u65 = pop * (1 - _value_at(panel, "share_65_plus", year).reindex(pop.index) / 100)
        out["sgb2_rate"] = out["unemployment_rate"] = u65
    if "share_under_18" in panel.columns:
        out["sgb2_rate_u15"] = pop * _value_at(panel, "share_under_18", year).reindex(pop.index) / 100 * 15 / 18
    return out


def need_table(panel: pd.DataFrame, *, indicators: Sequence[str] = NEED_INDICATORS, before: int = 2020,
               city: str = "Bremen", shrink: bool = True) -> tuple[pd.DataFrame, dict, list[str]]:
    """Need index per Ortsteil of ``city`` from the latest published values before ``before``.

    Returns (table, years used per indicator, notes). ``table``: quartier_id, the raw rates, the
    shrunk rates (``<rate>_shrunk``, if ``shrink``), their z-scores, ``need_index``, ``need_rank``
    (1 = neediest) and ``neediest_fifth``.
    """
    missing = [c for c in ("quartier_id", "year", "city", *indicators) if c not in panel.columns]
    if missing:
        raise DataValidationError([Problem(column=c, expected="a column of the panel") for c in missing],
                                  what="targeting_findings")
    ids = pd.Index(sorted(panel.loc[panel["city"].astype(str) == city, "quartier_id"].astype(str).unique()))
    years = {c: _latest_year(panel, c, before, city) for c in indicators}
    tab = pd.DataFrame(index=ids)
    notes: list[str] = []
    for c in indicators:
        tab[c] = _value_at(panel, c, years[c]).reindex(ids)
    if shrink:
        from .shrinkage import shrink_rates

        for c in indicators:
            byear = max((y for y in panel.loc[panel["population"].notna(), "year"].unique() if y <= years[c]),
                        default=None) if "population" in panel.columns else None
            bases = _bases(panel, int(byear)) if byear is not None else {}
            base = bases.get(c)
            if base is None:
                notes.append(f"shrink_no_base:{c}")
                tab[f"{c}_shrunk"] = tab[c]
                continue
            frame = pd.DataFrame({"rate": tab[c], "base": base.reindex(ids)})
            ok = frame.notna().all(axis=1) & (frame["base"] > 0)
            res = shrink_rates(frame[ok].reset_index(drop=True), rate="rate", base="base")
            tab[f"{c}_shrunk"] = np.nan
            tab.loc[ok[ok].index, f"{c}_shrunk"] = res.frame["rate_shrunk"].to_numpy()
            notes.append(f"shrunk:{c}:{byear}")
    use = [f"{c}_shrunk" if shrink else c for c in indicators]
    complete = tab[use].notna().all(axis=1)
    for c, u in zip(indicators, use, strict=True):
        x = tab.loc[complete, u]
        tab[f"z_{c}"] = (tab[u] - x.mean()) / x.std(ddof=1)
    tab["need_index"] = tab[[f"z_{c}" for c in indicators]].mean(axis=1, skipna=False)
    tab.loc[~complete, "need_index"] = np.nan
    tab["need_rank"] = tab["need_index"].rank(ascending=False, method="first")
    n_fifth = math.ceil(complete.sum() / 5)
    tab["neediest_fifth"] = tab["need_rank"] <= n_fifth
    return tab.rename_axis("quartier_id").reset_index(), years, notes


def llq_money(funding: pd.DataFrame, *, city: str = "Bremen", programme: str = "LLQ") -> pd.DataFrame:
    """LLQ EUR per quartier and year of ``city`` (rows without a quartier: quartier_id ``None``),
    with the EUR that are illustrative (amount not published)."""
    f = funding[(funding["programme"].astype(str) == programme) & (funding["city"].astype(str) == city)].copy()
    f["illustrative_eur"] = np.where(f["provenance"].astype(str).str.startswith("illustrative"),
                                     f["amount_eur"].astype(float), 0.0)
    f["quartier_id"] = f["quartier_id"].astype("string")
    return (f.groupby([f["quartier_id"].fillna("(nicht zugeordnet)"), "year"])[["amount_eur", "illustrative_eur"]]
            .sum().reset_index())


def fifth_shares(need: pd.DataFrame, money: pd.DataFrame) -> pd.DataFrame:
    """Per funding year: EUR in total, EUR attributed to an Ortsteil with a need index, EUR to the
    neediest fifth, and the share of the neediest fifth in all EUR and in the attributed EUR (%)."""
    top = set(need.loc[need["neediest_fifth"], "quartier_id"])
    indexed = set(need.loc[need["need_index"].notna(), "quartier_id"])
    rows = []
    for year, g in money.groupby("year"):
        total = float(g["amount_eur"].sum())
        att = float(g.loc[g["quartier_id"].isin(indexed), "amount_eur"].sum())
        tp = float(g.loc[g["quartier_id"].isin(top), "amount_eur"].sum())
        rows.append({"year": int(year), "eur_total": total, "eur_with_index": att, "eur_neediest_fifth": tp,
                     "share_of_all_pct": 100 * tp / total if total else np.nan,
                     "share_of_attributed_pct": 100 * tp / att if att else np.nan,
                     "illustrative_pct": 100 * float(g["illustrative_eur"].sum()) / total if total else np.nan})
    return pd.DataFrame(rows)


def targeting_findings(panel: pd.DataFrame, *, funding: pd.DataFrame | None = None, before: int = 2020,
                       city: str = "Bremen", shrink: bool = True,
                       indicators: Sequence[str] = NEED_INDICATORS) -> Finding:
    """Need before the programme, funded vs not funded, and LLQ money to the neediest fifth.

    panel: published panel (``llq.load_panel()``); funding: ``llq.load_funding()`` (default);
    before: first programme year (values of earlier years only); shrink: shrink the rates of
    small Ortsteile (bases derived from published population and age shares, stated).
    """
    simulated = check_provenance(panel, [*indicators, "population"])
    if funding is None:
        from ..data.loaders import load_funding

        funding = load_funding()
    need, years, notes = need_table(panel, indicators=indicators, before=before, city=city, shrink=shrink)
    q = panel.drop_duplicates("quartier_id").assign(quartier_id=lambda d: d["quartier_id"].astype(str))
    funded = q.set_index("quartier_id")["llq_funded"].astype("boolean")
    need["llq_funded"] = funded.reindex(need["quartier_id"]).to_numpy()
    money = llq_money(funding, city=city)
    per_q = money.groupby("quartier_id")["amount_eur"].sum()
    need["llq_eur_2021_2024"] = per_q.reindex(need["quartier_id"]).fillna(0.0).to_numpy()
    shares = fifth_shares(need, money)
    ok = need["need_index"].notna()
    groups = need[ok].groupby(need.loc[ok, "llq_funded"].astype(str))["need_index"].agg(["mean", "size"])
    top = need[need["neediest_fifth"]]
    numbers = {
        "years": years, "n_indexed": int(ok.sum()), "n_city": len(need),
        "n_fifth": int(need["neediest_fifth"].sum()),
        "n_fifth_funded": int(top["llq_funded"].fillna(False).sum()),
        "n_funded": int(need["llq_funded"].fillna(False).sum()),
        "n_funded_indexed": int(need.loc[ok, "llq_funded"].fillna(False).sum()),
        "mean_funded": float(groups["mean"].get("True", np.nan)),
        "mean_unfunded": float(groups["mean"].get("False", np.nan)),
        "share_2024": float(shares.loc[shares["year"] == shares["year"].max(), "share_of_all_pct"].iloc[0])
        if len(shares) else np.nan,
        "share_mean": float(shares["eur_neediest_fifth"].sum() / shares["eur_total"].sum() * 100)
        if len(shares) else np.nan,
        "illustrative_pct": float(shares["illustrative_pct"].mean()) if len(shares) else np.nan,
        "shrink": shrink, "city": city, "notes": notes, "before": before,
    }
    dropped = need.loc[~ok, ["quartier_id"]].assign(reason="no published value of every indicator")
    return Finding(kind="targeting", tables={"need": need, "shares": shares}, numbers=numbers,
                   source=source_line(panel, indicators, extra="Förderdaten: data/funding.csv"),
                   simulated=simulated, dropped=dropped)
