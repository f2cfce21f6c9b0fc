"""The programme columns of an imported panel (``llq_first_year``, ``llq_funded``,
``llq_eur_per_capita``), derived from a funding table - never published values themselves."""

from __future__ import annotations

import pandas as pd

from ..errors import DataValidationError
from . import schema


def _funding_for(funding, quartiers_given: bool, warn: list[str]) -> pd.DataFrame | None:
    if funding is False:
        return None
    if funding is None:
        if quartiers_given:
            warn.append("llq_* columns not derived: pass funding= when using your own quartiers table")
            return None
        from .loaders import load_funding

        try:
            return load_funding()
        except (FileNotFoundError, DataValidationError) as exc:
            warn.append(f"llq_* columns not derived: bundled funding table unavailable ({exc})")
            return None
    return funding


def _derive_llq(panel: pd.DataFrame, funding: pd.DataFrame, supplied: set[str]) -> None:
    """llq_first_year / llq_funded from the LLQ rows of ``funding``; llq_eur_per_capita where the
    population is supplied and the files did not give it (in place, on the new panel only)."""
    f = funding[(funding["programme"] == "LLQ") & funding["quartier_id"].notna()
                & (pd.to_numeric(funding["amount_eur"]) > 0)]
    first = f.groupby("quartier_id")["year"].min()
    panel["llq_first_year"] = panel["quartier_id"].map(first).fillna(0).astype("Int64")
    panel["llq_funded"] = (panel["llq_first_year"] > 0).astype("boolean")
    if "llq_eur_per_capita" in supplied:
        return
    amt = f.groupby(["quartier_id", "year"])["amount_eur"].sum()
    illus = f.assign(il=f["provenance"].astype(str).str.startswith("illustrative")).groupby(
        ["quartier_id", "year"])["il"].any()
    key = pd.MultiIndex.from_arrays([panel["quartier_id"], panel["year"].astype("int64")])
    a = pd.Series(amt.reindex(key).fillna(0.0).to_numpy(), index=panel.index)
    il = pd.Series(illus.reindex(key).fillna(False).to_numpy(dtype=bool), index=panel.index)
    pop = pd.to_numeric(panel["population"])
    ok = pop.notna() & (pop > 0)
    per = (a / pop).where(ok)
    pc = schema.provenance_column("llq_eur_per_capita")
    panel["llq_eur_per_capita"] = per.round(4)
    popsrc = panel[schema.provenance_column("population")].astype(str).str.removeprefix("user: ")
    panel[pc] = ("derived: LLQ amounts of data/funding.csv / population (" + popsrc + ")").where(ok, "missing")
    panel.loc[ok & il, pc] = ("illustrative: LLQ amount in data/funding.csv is illustrative / population ("
                              + popsrc[ok & il] + ")")
