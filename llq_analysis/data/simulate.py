"""Seeded synthetic panels on the real geography, with a **known** LLQ effect.

No per-quartier indicator series of Bremen or Bremerhaven is public (see data/README.md), so the
bundled panel is simulated and calibrated to every published anchor in the domain data:

* populations: Stadt Bremen 567,559 (2019); Stadtteil Mitte 18,246 (2016) and 17,557 (2021);
  Bremerhaven 114,148 in 2013 (Bezirk Nord 65,294 + Süd 48,854), 114,025 (2015), 113,026 (2017);
  Geestemünde 33,681 / 32,854 / 32,806 (2017/18/19). Altstadt 3,403 and Lehe 36,425 (years not
  stated) shape the starting sizes only.
* SGB II share Dec 2022: Stadtteil Oberneuland 4.2 %, Gröpelingen 32.9 % (min and max of Bremen's
  Stadtteile), 78,870 persons in SGB II households in the city.
* child SGB II rate: city 31.3 % in 2018 (published for under-18s; used as anchor of the under-15
  rate), Goethestraße 48 % in 2019 (definition not given), Bremerhaven/Bremen ratio 402/298
  (children under 15 per 1,000, 2006) for the level of Bremerhaven.
* unemployment: Bremerhaven 14.1 % (2023), Goethestraße "rund 29 %" (2019; kept as published).
* turnout, Bürgerschaft (Land): 50.2 % (2015), 64.1 % (2019), 56.9 % (2023: 262,099 of 460,778);
  Bundestag 2021: "knapp 460,000" eligible. Bundestag turnout has no published anchor.

The model is additive in percentage points: outcome = quartier level + common year shock +
quartier trend + AR(1) noise + **effect x LLQ EUR per resident in the same year**. So parallel
trends hold by construction and the true effect is exactly ``DEFAULT_EFFECTS`` (pp per EUR per
resident per year) unless ``effect=`` says otherwise.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

import numpy as np
import pandas as pd

from .geography import AREA_TO_ORTSTEILE, quartier_id
from .schema import BUERGERSCHAFT_YEARS, BUNDESTAG_YEARS, PANEL_YEARS, provenance_column

DEFAULT_SEED = 20200901  # the day the Senate approved LLQ
#: true LLQ effect built into the bundled panel: percentage points per EUR per resident per year
DEFAULT_EFFECTS: dict[str, float] = {
    # An assumption chosen to be plausible, not an estimate: -0.02 pp SGB II per EUR per resident
    # means about 6,250 EUR of LLQ money per person who leaves SGB II (base ~80 % of residents);
    # the first version's -0.25 pp meant ~500 EUR per person, which no neighbourhood programme
    # of this kind achieves. Turnout: +0.05 pp per EUR per resident, i.e. +0.3 pp at the
    # ~6 EUR per resident a funded Ortsteil gets. See data/README.md.
    "sgb2_rate": -0.02,
    "sgb2_rate_u15": -0.03,
    "unemployment_rate": -0.01,
    "turnout_buergerschaft": 0.05,
    "turnout_bundestag": 0.05,
}
SIMULATED = "simulated"

# stylised need classes (from the published programme-area lists: WiN/LLQ areas = high need);
# built on first use (names -> official keys needs the official key table)
_LOW_NEED_STADTTEILE = {"Oberneuland", "Borgfeld", "Schwachhausen", "Horn-Lehe"}


@functools.lru_cache(maxsize=1)
def _need_classes() -> tuple[frozenset[str], frozenset[str]]:
    high = {qid for area, (c, ots, _) in AREA_TO_ORTSTEILE.items() if area != "Überseestadt"
            for qid in (quartier_id(c, o) for o in ots)} | {
        quartier_id("Bremen", o) for o in ("Neue Vahr Südost", "Ohlenhof", "Lindenhof", "Gröpelingen",
                                          "In den Wischen", "Sebaldsbrück", "Hohweg")} | {
        quartier_id("Bremerhaven", o) for o in ("Goethestraße", "Klushof", "Mitte-Nord", "Mitte-Süd",
                                               "Geestendorf", "Grünhöfe", "Leherheide-West",
                                               "Twischkamp", "Geestemünde-Nord")}
    low = {quartier_id("Bremerhaven", o) for o in ("Speckenbüttel", "Fehrmoor", "Surheide",
                                                   "Schiffdorferdamm", "Weddewarden", "Königsheide")}
    return frozenset(high), frozenset(low)


_TINY_STADTTEILE = {"Häfen", "Blockland", "Seehausen", "Strom"}
_SMALL_ORTSTEILE = {"Warf", "Varenmoor", "Katrepel", "Timmersloh", "Werderland", "In den Wischen",
                    "Luneplate", "Fischereihafen", "Weddewarden", "Neuenland", "Radio Bremen",
                    "Rekum", "Hohentorshafen"}

# common year shocks (pp of the SGB II rate; stylised, simulated)
_YEAR_SHOCK_SGB2 = {2012: 1.2, 2013: 1.2, 2014: 1.3, 2015: 1.4, 2016: 1.6, 2017: 1.4, 2018: 0.8,
                    2019: 0.0, 2020: 0.4, 2021: 0.2, 2022: 0.9, 2023: 1.5, 2024: 1.6}


def _largest_remainder(values: np.ndarray, total: int) -> np.ndarray:
    """Integers proportional to ``values`` that sum exactly to ``total``."""
    raw = values / values.sum() * total
    base = np.floor(raw).astype(np.int64)
    short = int(total - base.sum())
    order = np.argsort(-(raw - base), kind="stable")
    base[order[:short]] += 1
    return base


def _population(geo: pd.DataFrame, years, rng) -> pd.DataFrame:
    """Simulated Ortsteil populations hitting every published total exactly."""
    n = len(geo)
    size = np.exp(rng.normal(np.log(7500), 0.45, n))
    small = geo["ortsteil"].isin(_SMALL_ORTSTEILE) | geo["stadtteil"].isin(_TINY_STADTTEILE)
    size[small.to_numpy()] = np.exp(rng.normal(np.log(600), 0.7, int(small.sum())))
    size[(geo["stadtteil"] == "Häfen").to_numpy()] = np.exp(rng.normal(np.log(80), 0.6, int((geo["stadtteil"] == "Häfen").sum())))
    size[(geo["ortsteil"] == "Altstadt").to_numpy()] = 3403.0  # published (year not stated)
    lehe = ((geo["city"] == "Bremerhaven") & (geo["stadtteil"] == "Lehe")).to_numpy()
    size[lehe] *= 36425.0 / size[lehe].sum()  # published Stadtteil total (year not stated)
    drift = rng.normal(0.0, 0.006, n)

    city_targets = {"Bremen": {y: round(567_559 * 1.004 ** (y - 2019)) for y in years}}
    bhv = {2011: 113_269, 2013: 65_294 + 48_854, 2015: 114_025, 2017: 113_026}
    ys = sorted(bhv)
    city_targets["Bremerhaven"] = {
        y: int(round(np.interp(y, ys, [bhv[k] for k in ys]) * (1.002 ** max(0, y - 2017)))) for y in years}
    # group anchors: (city, column, value, year, target)
    anchors = [("Bremen", "stadtteil", "Mitte", 2016, 18_246), ("Bremen", "stadtteil", "Mitte", 2021, 17_557),
               ("Bremerhaven", "stadtbezirk", "Nord", 2013, 65_294),
               ("Bremerhaven", "stadtbezirk", "Süd", 2013, 48_854),
               ("Bremerhaven", "stadtteil", "Geestemünde", 2017, 33_681),
               ("Bremerhaven", "stadtteil", "Geestemünde", 2018, 32_854),
               ("Bremerhaven", "stadtteil", "Geestemünde", 2019, 32_806)]
    out = []
    for y in years:
        w = size * np.exp(drift * (y - 2018))
        pop = np.zeros(n, dtype=np.int64)
        for city in ("Bremen", "Bremerhaven"):
            in_city = (geo["city"] == city).to_numpy()
            free = in_city.copy()
            total = city_targets[city][y]
            for c, col, val, ay, target in anchors:
                if c == city and ay == y:
                    m = in_city & (geo[col] == val).to_numpy()
                    pop[m] = _largest_remainder(w[m], target)
                    free &= ~m
                    total -= target
            pop[free] = _largest_remainder(w[free], total)
        out.append(pd.DataFrame({"quartier_id": geo["quartier_id"].to_numpy(), "year": y, "population": pop}))
    return pd.concat(out, ignore_index=True)


def _ar1(rng, n_units: int, n_years: int, sd: float, rho: float = 0.5) -> np.ndarray:
    e = np.empty((n_units, n_years))
    e[:, 0] = rng.normal(0, sd, n_units)
    for t in range(1, n_years):
        e[:, t] = rho * e[:, t - 1] + rng.normal(0, sd * np.sqrt(1 - rho**2), n_units)
    return e


def _dose(funding: pd.DataFrame, programme: str, panel: pd.DataFrame) -> pd.Series:
    f = funding[(funding["programme"] == programme) & funding["quartier_id"].notna()]
    amt = f.groupby(["quartier_id", "year"])["amount_eur"].sum()
    key = pd.MultiIndex.from_frame(panel[["quartier_id", "year"]])
    return pd.Series(amt.reindex(key).fillna(0.0).to_numpy(), index=panel.index) / panel["population"]


def _published_sgb2(published: pd.DataFrame | None | bool, qids):
    """Level (pp in 2018, from a linear fit) and trend (pp per year) of each Ortsteil's published
    SGB II rate 2012-2018, aligned to ``qids`` (NaN where nothing is published), and the city's
    year pattern (population-weighted mean minus 2018, plus the stylised 2018 shock) by year;
    None when not calibrating."""
    if published is False:
        return None
    if isinstance(published, pd.DataFrame):
        published = published.copy(deep=False)
        published.attrs = {}
    if published is None:
        from .. import paths

        if not paths.PANEL_CSV.exists():
            return None
        from .loaders import read_panel

        published = read_panel(paths.PANEL_CSV)
    d = published[(published["year"] >= 2012) & (published["year"] <= 2018)
                  & published["sgb2_rate"].notna()
                  & published["sgb2_rate_provenance"].astype(str).str.startswith("published")]
    if d.empty:
        return None
    out_m, out_t = np.full(len(qids), np.nan), np.full(len(qids), np.nan)
    pos = {q: i for i, q in enumerate(qids)}
    for q, g in d.groupby("quartier_id"):
        if q not in pos or len(g) < 4:
            continue
        y, x = g["sgb2_rate"].to_numpy(float), g["year"].to_numpy(float) - 2018.0
        slope, icept = np.polyfit(x, y, 1)
        if 0.5 <= icept <= 95:
            out_m[pos[q]], out_t[pos[q]] = icept, float(np.clip(slope, -1.5, 1.5))
    w = d.merge(published[["quartier_id", "year", "population"]].dropna(), on=["quartier_id", "year"],
                how="left", suffixes=("", "_w"))
    pop = w.groupby("quartier_id")["population_w"].transform(lambda v: v.ffill().bfill()).fillna(1.0)
    city = (w["sgb2_rate"] * pop).groupby(w["year"]).sum() / pop.groupby(w["year"]).sum()
    pattern = {int(y): float(v - city.get(2018, v)) + _YEAR_SHOCK_SGB2.get(2018, 0.0) for y, v in city.items()}
    return out_m, out_t, pattern


def simulate_panel(seed: int = DEFAULT_SEED, effect: float | Mapping[str, float] | None = None, *,
                   quartiers: pd.DataFrame | None = None, funding: pd.DataFrame | None = None,
                   years=PANEL_YEARS, calibrate_to: pd.DataFrame | bool | None = None) -> pd.DataFrame:
    """Simulate the quartier x year panel on the real geography, with a known LLQ effect.

    Parameters
    ----------
    seed : random seed; the same seed gives the same panel, bit for bit.
    effect : true effect of LLQ in percentage points per EUR per resident per year, same year.
        A number sets the SGB II rate effect (the others keep their defaults); a mapping sets
        effects by outcome (keys of ``DEFAULT_EFFECTS``). ``None`` = ``DEFAULT_EFFECTS``.
    quartiers : geography (quartier_id, city, stadtbezirk, stadtteil, ortsteil); default: the real one.
    funding : funding table (programme, quartier_id, year, amount_eur); default: data/funding.csv facts.
    calibrate_to : the published panel whose Bremen SGB II rates 2012-2018 set each Ortsteil's
        level (2018) and linear trend (the rest of the need structure follows from the level);
        default the bundled data/panel.csv, ``False`` = the stylised need classes only. The
        simulated years after 2018 continue these trends plus common year shocks and noise.

    Returns a panel in the schema of ``schema.PANEL``: every simulated value says so in its
    ``<column>_provenance`` column; ``df.attrs["true_effects"]`` holds the effects used.
    """
    from .funding import build_funding
    from .geography import ortsteile

    effects = dict(DEFAULT_EFFECTS)
    if isinstance(effect, Mapping):
        unknown = set(effect) - set(effects)
        if unknown:
            raise ValueError(f"effect: unknown outcome(s) {sorted(unknown)}; expected keys of {sorted(effects)}")
        effects.update({k: float(v) for k, v in effect.items()})
    elif effect is not None:
        effects["sgb2_rate"] = float(effect)
    geo = (quartiers if quartiers is not None else ortsteile()).reset_index(drop=True)
    funding = funding if funding is not None else build_funding()
    years = list(years)
    rng = np.random.default_rng(seed)
    n, T = len(geo), len(years)
    qids = geo["quartier_id"].to_numpy()
    is_bhv = (geo["city"] == "Bremerhaven").to_numpy()

    pop = _population(geo, years, rng)
    panel = pop.merge(geo[["quartier_id", "city"]], on="quartier_id", how="left")
    panel = panel.sort_values(["quartier_id", "year"], kind="stable").reset_index(drop=True)
    order = {q: i for i, q in enumerate(qids)}
    ui = panel["quartier_id"].map(order).to_numpy()
    ti = panel["year"].map({y: j for j, y in enumerate(years)}).to_numpy()
    P = panel["population"].to_numpy().astype(float)

    # need score: stylised classes + noise
    need = rng.normal(0, 0.45, n)
    high_need, low_need = _need_classes()
    need[np.isin(qids, list(high_need))] += 1.3
    need[geo["stadtteil"].isin(_LOW_NEED_STADTTEILE).to_numpy() | np.isin(qids, list(low_need))] -= 1.1
    share_u65 = np.clip(rng.normal(0.80, 0.025, n) + 0.015 * need, 0.70, 0.90)
    share_u15 = np.clip(rng.normal(0.135, 0.015, n) + 0.012 * need, 0.08, 0.22)
    panel["population_below_retirement_age"] = np.round(P * share_u65[ui]).astype(np.int64)
    panel["population_u15"] = np.round(P * share_u15[ui]).astype(np.int64)
    base_u65 = panel["population_below_retirement_age"].to_numpy().astype(float)
    base_u15 = panel["population_u15"].to_numpy().astype(float)

    llq_pc = _dose(funding, "LLQ", panel).to_numpy()
    win_pc = _dose(funding, "WiN", panel).to_numpy()
    shock = np.array([_YEAR_SHOCK_SGB2.get(y, 0.0) for y in years])
    ty = np.array(years) - 2018.0

    # --- SGB II rate (pp) -----------------------------------------------------------------
    trend = rng.normal(0, 0.06, n)
    real = _published_sgb2(calibrate_to, qids)
    if real is not None:
        # Bremen: each Ortsteil's published level (2018) and the city's published year pattern
        # 2012-2018; Ortsteil-specific trends stay small and random, so parallel trends hold
        # and the built-in effect can be recovered (the real Ortsteile's diverging trends are a
        # finding of the published panel, not part of the demonstration)
        have = ~np.isnan(real[0])
        need[have] = (np.log(real[0][have] / (100 - real[0][have])) - np.log(0.16 / 0.84)) / 0.62
        shock = shock + np.array([real[2].get(y, _YEAR_SHOCK_SGB2.get(y, 0.0)) - _YEAR_SHOCK_SGB2.get(y, 0.0)
                                  for y in years])
    level = 100 / (1 + np.exp(-(np.log(0.16 / 0.84) + 0.62 * need + 0.25 * is_bhv)))
    noise = _ar1(rng, n, T, 0.45)
    sgb2 = level[ui] + shock[ti] + trend[ui] * ty[ti] + noise[ui, ti] + effects["sgb2_rate"] * llq_pc
    st = geo["stadtteil"].to_numpy()[ui]
    city = panel["city"].to_numpy()
    y2022 = panel["year"].to_numpy() == 2022
    # calibrate Dec 2022 (additive shifts keep the effect exact)
    ober = st == "Oberneuland"
    groep = (st == "Gröpelingen") & (city == "Bremen")
    sgb2[ober] += 4.2 - np.average(sgb2[ober & y2022], weights=base_u65[ober & y2022])
    sgb2[groep] += 32.9 - np.average(sgb2[groep & y2022], weights=base_u65[groep & y2022])
    # the other Stadtteile lie between the published minimum and maximum; the city total is 78,870
    clamped = ober | groep
    for _ in range(10):
        rest = (city == "Bremen") & ~clamped
        hb22 = (city == "Bremen") & y2022
        sgb2[rest] += (78_870 - float((sgb2[hb22] / 100 * base_u65[hb22]).sum())) \
            / base_u65[rest & y2022].sum() * 100
        moved = False
        for name in np.unique(st[rest]):
            m = rest & (st == name)
            mean = np.average(sgb2[m & y2022], weights=base_u65[m & y2022])
            bound = min(max(mean, 4.4), 32.7)
            if bound != mean:
                sgb2[m] += bound - mean
                clamped |= m
                moved = True
        if not moved:
            break
    panel["sgb2_rate"] = sgb2

    # --- child SGB II rate (pp) ------------------------------------------------------------
    c_level = 1.75 * level + rng.normal(0, 2.0, n)
    child = c_level[ui] + 1.6 * shock[ti] + 1.5 * trend[ui] * ty[ti] + _ar1(rng, n, T, 0.9)[ui, ti] \
        + effects["sgb2_rate_u15"] * llq_pc
    y = panel["year"].to_numpy()
    goethe = panel["quartier_id"].to_numpy() == quartier_id("Bremerhaven", "Goethestraße")
    hb = city == "Bremen"
    child[hb] += 31.3 - np.average(child[hb & (y == 2018)], weights=base_u15[hb & (y == 2018)])
    child[goethe] += 48.0 - child[goethe & (y == 2019)].mean()
    bo = (city == "Bremerhaven") & ~goethe
    hb2012 = np.average(child[hb & (y == 2012)], weights=base_u15[hb & (y == 2012)])
    target_bhv = hb2012 * 402 / 298
    cur = np.average(child[(city == "Bremerhaven") & (y == 2012)], weights=base_u15[(city == "Bremerhaven") & (y == 2012)])
    w_bo = base_u15[bo & (y == 2012)].sum() / base_u15[(city == "Bremerhaven") & (y == 2012)].sum()
    child[bo] += (target_bhv - cur) / w_bo
    panel["sgb2_rate_u15"] = child

    # --- unemployment rate (pp) ------------------------------------------------------------
    u_level = 0.55 * level + rng.normal(0, 0.8, n)
    unemp = u_level[ui] + 0.5 * shock[ti] + 0.5 * trend[ui] * ty[ti] + _ar1(rng, n, T, 0.35)[ui, ti] \
        + effects["unemployment_rate"] * llq_pc
    unemp[goethe] += 29.0 - unemp[goethe & (y == 2019)].mean()
    bo = (city == "Bremerhaven") & ~goethe
    m23 = (city == "Bremerhaven") & (y == 2023)
    unemp[bo] += (14.1 - np.average(unemp[m23], weights=base_u65[m23])) \
        * base_u65[m23].sum() / base_u65[bo & (y == 2023)].sum()
    panel["unemployment_rate"] = unemp

    # --- turnout (pp, election years only) ---------------------------------------------------
    elig_share = np.clip(rng.normal(0.80, 0.03, n) - 0.035 * need, 0.6, 0.9)
    v_level = rng.normal(0, 2.5, n) - 7.0 * need
    for col, e_years, anchors, elect_anchor in (
        ("turnout_buergerschaft", BUERGERSCHAFT_YEARS, {2015: 50.2, 2019: 64.1, 2023: 262_099 / 460_778 * 100},
         {2023: 460_778}),
        ("turnout_bundestag", BUNDESTAG_YEARS, {}, {2021: 460_000}),
    ):
        vals = np.full(len(panel), np.nan)
        electorate = np.full(len(panel), np.nan)
        for ey in e_years:
            m = y == ey
            if not m.any():
                continue
            el = P[m] * elig_share[ui[m]]
            el = _largest_remainder(el, elect_anchor[ey]) if ey in elect_anchor else np.round(el)
            electorate[m] = el
            v = 62.0 + (8.0 if col == "turnout_bundestag" else 0.0) + v_level[ui[m]] \
                + rng.normal(0, 1.2, int(m.sum())) + effects[col] * llq_pc[m]
            if ey in anchors:
                v += anchors[ey] - np.average(v, weights=el)
            vals[m] = v
        panel[col] = vals
        panel[col.replace("turnout", "electorate")] = electorate

    panel["llq_eur_per_capita"] = llq_pc
    win = win_pc.copy()
    win[y < 2020] = np.nan  # WiN amounts per area before 2020 are not published
    panel["win_eur_per_capita"] = win
    first = panel.loc[panel["llq_eur_per_capita"] > 0].groupby("quartier_id")["year"].min()
    panel["llq_first_year"] = panel["quartier_id"].map(first).fillna(0).astype(np.int64)
    panel["llq_funded"] = panel["llq_first_year"] > 0

    # --- rounding and provenance -------------------------------------------------------------
    for c in ("sgb2_rate", "sgb2_rate_u15", "unemployment_rate", "turnout_buergerschaft", "turnout_bundestag"):
        panel[c] = panel[c].round(3)
    panel["llq_eur_per_capita"] = panel["llq_eur_per_capita"].round(4)
    panel["win_eur_per_capita"] = panel["win_eur_per_capita"].round(4)
    rates = ["sgb2_rate", "sgb2_rate_u15", "unemployment_rate", "turnout_buergerschaft", "turnout_bundestag"]
    # small, unfunded Ortsteile can drift below 0 % (or a child rate above 100 %): bound them to
    # [0.1, 99.9] % (no dose there, so the built-in effect stays exact); a funded row outside
    # [0, 100] is an error below
    untreated = panel["llq_eur_per_capita"].to_numpy() == 0
    floored = {}
    for c in rates:
        v = panel[c].to_numpy()
        low, high = untreated & (v < 0.1), untreated & (v > 99.9)
        if low.any() or high.any():
            panel.loc[low, c] = 0.1
            panel.loc[high, c] = 99.9
            floored[c] = int(low.sum() + high.sum())
    lo, hi = panel[rates].min().min(), panel[rates].max().max()
    if lo < 0 or hi > 100:
        raise ValueError(
            f"simulate_panel: effects {effects} push a rate outside [0, 100] % ({lo:.2f} .. {hi:.2f}); "
            f"the largest dose is {np.nanmax(llq_pc):.1f} EUR per resident - choose smaller effects")

    for c in ("population", "population_below_retirement_age", "population_u15", *rates):
        prov = np.where(panel[c].isna(), "missing", SIMULATED)
        panel[provenance_column(c)] = prov
    for c, prog in (("llq_eur_per_capita", "LLQ"), ("win_eur_per_capita", "WiN")):
        panel[provenance_column(c)] = np.where(
            panel[c].isna(), "missing",
            f"simulated: {prog} amounts of data/funding.csv (published/derived/illustrative) / simulated population")
    for c in ("electorate_buergerschaft", "electorate_bundestag"):
        panel[provenance_column(c)] = np.where(panel[c].isna(), "missing", SIMULATED)
    panel["provenance"] = SIMULATED
    from .schema import PANEL, all_columns

    for c in PANEL:  # indicators the demo panel does not simulate stay empty, marked missing
        if c.name not in panel.columns:
            panel[c.name] = np.nan
            panel[provenance_column(c.name)] = "missing: not simulated"
    cols = all_columns("panel")
    panel = panel[cols].copy()
    panel.attrs["true_effects"] = effects
    panel.attrs["floored_cells"] = floored  # rates bounded to [0.1, 99.9] % (unfunded rows only)
    panel.attrs["seed"] = seed
    panel.attrs["provenance"] = SIMULATED
    return panel


def simulate_staggered_panel(seed: int, *, att: float = -1.0, dynamic: float | None = None,
                             heterogeneous: bool = False, n_treated_bremen: int = 20,
                             n_treated_bremerhaven: int = 4, cohorts=(2021, 2022, 2023, 2024),
                             years=PANEL_YEARS, rho: float = 0.5, sd: float = 0.6,
                             quartiers: pd.DataFrame | None = None) -> pd.DataFrame:
    """A staggered-adoption panel on the real quartier structure with a **known** effect (studies, tests).

    Units: the real Ortsteile (93 Bremen + 24 Bremerhaven, :func:`geography.ortsteile`) or
    ``quartiers``; years 2012-2024. Treated: ``n_treated_bremen`` and ``n_treated_bremerhaven``
    quartiers (few in Bremerhaven), chosen with probability rising in their need level (selection
    on levels, absorbed by unit effects), first funded in ``cohorts`` (2021-2024, spread evenly
    within each city). Outcome (percentage points, SGB II-like):

        y_it = a_i + l_t + b_i * (t - 2018) + u_it + tau_it,   u_it AR(1) (rho, stationary sd ``sd``)

    Effect ``tau_it`` for funded years (event time ``e = t - first_year >= 0``):
    * default: ``att`` (homogeneous, constant);
    * ``dynamic=d``: ``att + d * e`` (same for every cohort);
    * ``heterogeneous=True``: ``att * (1 + e) * w_g`` with ``w_g`` = 2, 1, 0.5, 0.25 for the
      first to fourth cohort (earlier cohorts gain more, effects grow): TWFE is biased here
      (it underweights the long-exposed early cohorts and uses them as controls), Callaway &
      Sant'Anna is not.

    Returns columns ``quartier_id, city, year, y, first_year`` (0 = never), ``treated`` (0/1),
    ``true_effect`` (tau_it), ``provenance`` ("simulated"). ``attrs["true_att"]`` = mean of tau
    over treated unit-years (the estimand of the CS simple ATT), ``attrs["seed"]``, ``attrs["spec"]``.
    """
    from .geography import ortsteile

    geo = (quartiers if quartiers is not None else ortsteile()).reset_index(drop=True)
    years = list(years)
    cohorts = list(cohorts)
    rng = np.random.default_rng(seed)
    n, T = len(geo), len(years)
    city = geo["city"].to_numpy()
    is_bhv = city == "Bremerhaven"
    need = rng.normal(0, 1, n)
    alpha_i = np.where(is_bhv, 20.0, 14.0) + 5.0 * need
    first = np.zeros(n, dtype=np.int64)
    for c, k in (("Bremen", n_treated_bremen), ("Bremerhaven", n_treated_bremerhaven)):
        idx = np.flatnonzero(city == c)
        if k > len(idx):
            raise ValueError(f"n_treated for {c} is {k}, but there are only {len(idx)} quartiers")
        if k == 0:
            continue
        p = np.exp(0.8 * need[idx])
        chosen = rng.choice(idx, size=k, replace=False, p=p / p.sum())
        first[chosen] = rng.permutation(np.resize(np.array(cohorts), k))
    lam = np.cumsum(rng.normal(0, 0.5, T))
    trend = rng.normal(0, 0.05, n)
    u = _ar1(rng, n, T, sd, rho)
    ty = np.array(years, dtype=float) - 2018.0
    weight = {g: w for g, w in zip(cohorts, (2.0, 1.0, 0.5, 0.25, 0.125, 0.0625), strict=False)}
    Y = alpha_i[:, None] + lam[None, :] + trend[:, None] * ty[None, :] + u
    yr = np.array(years)[None, :]
    e = yr - first[:, None]
    on = (first[:, None] > 0) & (e >= 0)
    if heterogeneous:
        wg = np.array([weight.get(g, 1.0) for g in first])[:, None]
        tau = att * (1 + e) * wg
    elif dynamic is not None:
        tau = att + dynamic * e
    else:
        tau = np.full((n, T), float(att))
    tau = np.where(on, tau, 0.0)
    Y = Y + tau
    out = pd.DataFrame({
        "quartier_id": np.repeat(geo["quartier_id"].to_numpy(), T),
        "city": np.repeat(city, T),
        "year": np.tile(years, n),
        "y": Y.ravel(),
        "first_year": np.repeat(first, T),
        "treated": on.ravel().astype(np.int64),
        "true_effect": tau.ravel(),
        "provenance": SIMULATED,
    })
    out.attrs["true_att"] = float(tau[on].mean()) if on.any() else float("nan")
    out.attrs["seed"] = seed
    out.attrs["provenance"] = SIMULATED
    out.attrs["spec"] = {"att": att, "dynamic": dynamic, "heterogeneous": heterogeneous,
                         "n_treated_bremen": n_treated_bremen, "n_treated_bremerhaven": n_treated_bremerhaven,
                         "cohorts": cohorts, "rho": rho, "sd": sd}
    return out
