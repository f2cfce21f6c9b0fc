"""Report sections on the programme and the data: front matter, programme and budget, data
coverage and provenance, the quartier annex (disclosure control) and reproducibility."""

from __future__ import annotations

import pandas as pd

from .... import paths
from ....i18n import t
from .core import ReportContext
from .markup import _KIND_LABEL, Html, _tr, bullets, callout, esc, fmt, kind_of, label, para


def front_matter(ctx: ReportContext) -> Html:
    """Data basis, scenarios and the simulated-data banner under the title."""
    lang = ctx.lang
    p = ctx.panel
    years = f"{int(p['year'].min())}–{int(p['year'].max())}"
    scen = ", ".join(esc(s.stem) for s in ctx.scenario_paths)
    pub = "data/panel.csv"
    rows = [
        (_tr("Teil A: Daten", "Part A: data", lang),
         f"<code>{pub}</code>: "
         + _tr("veröffentlichte Werte des Statistischen Landesamts Bremen (Ortsteilatlas, 12411-03-03, "
               "Wahlatlas 2023), 114 Ortsteile, 2005–2024, leer wo nichts veröffentlicht ist",
               "values published by the Statistisches Landesamt Bremen (Ortsteilatlas, 12411-03-03, "
               "election atlas 2023), 114 Ortsteile, 2005–2024, empty where nothing is published", lang)),
        (_tr("Teil B: Daten", "Part B: data", lang),
         f"<code>{esc(ctx.data_label)}</code>: {p['quartier_id'].nunique()} "
         + _tr("Quartiere (Ortsteile), Jahre ", "quartiers (Ortsteile), years ", lang) + years
         + (_tr(" (simuliert)", " (simulated)", lang) if ctx.simulated else "")),
        (_tr("Szenarien", "Scenarios", lang), scen),
        (_tr("Zufallsstartwert", "Random seed", lang), str(ctx.seed)),
    ]
    dl = "".join(f"<dt>{a}</dt><dd>{b}</dd>" for a, b in rows)
    parts = [f'<dl class="front-matter">{dl}</dl>']
    parts.append(callout(
        _tr("<strong>Zwei Teile, nie vermischt.</strong> <strong>Teil A</strong> zeigt, was die "
            "veröffentlichten Ortsteilwerte heute belegen, mit Quelle unter jeder Tabelle und Grafik. "
            "Ortsteilwerte zu SGB II nach 2018 und zur Arbeitslosigkeit nach 2017 sind nicht veröffentlicht; "
            "Teil A sagt, was deshalb noch nicht beantwortet werden kann. <strong>Teil B</strong> zeigt die "
            "vollständige Auswertung an simulierten Daten mit bekannter Wirkung: wie der Bericht mit den "
            "fehlenden Daten aussehen wird (<code>llq build-panel</code>, <code>llq report --data</code>).",
            "<strong>Two parts, never mixed.</strong> <strong>Part A</strong> shows what the published "
            "Ortsteil values support today, with the source under every table and figure. Ortsteil values "
            "of SGB II after 2018 and of unemployment after 2017 are not published; Part A says what "
            "therefore cannot be answered yet. <strong>Part B</strong> shows the complete evaluation on "
            "simulated data with a known effect: what the report will look like with the missing data "
            "(<code>llq build-panel</code>, <code>llq report --data</code>).", lang),
        "warning" if ctx.simulated else "info"))
    return Html(parts)


# ----------------------------------------------------------------------------- programme
def _llq_funding(ctx: ReportContext) -> pd.DataFrame:
    f = ctx.funding
    return f[f["programme"] == "LLQ"].copy()


def programme(ctx: ReportContext) -> Html:
    """Programme and budget: LLQ money by city, strand and year (funding.csv, with provenance)."""
    from ... import plots

    lang = ctx.lang
    llq = _llq_funding(ctx)
    llq["kind"] = llq["provenance"].map(kind_of)
    years = sorted(int(y) for y in llq["year"].unique())
    wide = llq.pivot_table(index=["city", "strand"], columns="year", values="amount_eur",
                           aggfunc="sum", fill_value=0.0)
    wide.columns = [int(c) for c in wide.columns]
    kinds = llq.groupby(["city", "strand"])["kind"].agg(
        lambda s: ", ".join(f"{_KIND_LABEL.get(k, {}).get(lang, k)} {n}"
                            for k, n in s.value_counts().sort_index().items()))
    rows = []
    city_col, strand_col = t("city", lang), _tr("Förderschiene", "Strand", lang)
    prov_col = _tr("Herkunft (Zeilen in funding.csv)", "Provenance (rows in funding.csv)", lang)
    for city in ("Bremen", "Bremerhaven"):
        sub = wide.loc[city] if city in wide.index.get_level_values(0) else None
        if sub is None:
            continue
        for strand, vals in sub.iterrows():
            rows.append({city_col: city, strand_col: strand, **{str(y): vals[y] for y in years},
                         prov_col: kinds[(city, strand)]})
        rows.append({city_col: city, strand_col: _tr("Summe", "Total", lang),
                     **{str(y): sub[y].sum() for y in years}, prov_col: ""})
    rows.append({city_col: _tr("Land Bremen", "State of Bremen", lang),
                 strand_col: _tr("Summe LLQ", "LLQ total", lang),
                 **{str(y): wide[y].sum() for y in years}, prov_col: ""})
    shown = pd.DataFrame(rows)
    is_total = [prov == "" for prov in shown[prov_col]]
    for y in years:
        shown = shown.rename(columns={str(y): f"{y} (EUR)"})
    out = [para(_tr(
        f"Das Landesprogramm stellt <strong>2 Mio. EUR im Jahr</strong> bereit: "
        f"<strong>1,6 Mio. EUR für Bremen</strong> und <strong>0,4 Mio. EUR für Bremerhaven</strong> "
        f"(veröffentlicht). Die Aufteilung auf Förderschienen und Quartiere ist nur teilweise "
        f"veröffentlicht; Tabelle {len(ctx.tables) + 1} zeigt für jede Förderschiene, wie viele "
        f"Beträge veröffentlicht, abgeleitet oder illustrativ (plausibel gesetzt und markiert) sind.",
        f"The state programme provides <strong>EUR 2 million a year</strong>: "
        f"<strong>EUR 1.6 million for Bremen</strong> and <strong>EUR 0.4 million for "
        f"Bremerhaven</strong> (published). The split across strands and quartiers is only partly "
        f"published; Table {len(ctx.tables) + 1} shows for each strand how many amounts are "
        f"published, derived or illustrative (plausible and flagged).", lang))]
    out.append(ctx.table(
        shown, name="llq_budget",
        title=_tr("LLQ-Mittel nach Stadt, Förderschiene und Jahr (EUR)",
                  "LLQ funding by city, strand and year (EUR)", lang),
        note=_tr("Quelle: data/funding.csv (jede Zeile mit Quelle und Herkunft). Summen je Stadt "
                 "entsprechen den veröffentlichten Stadtbudgets.",
                 "Source: data/funding.csv (every row with source and provenance). City totals equal "
                 "the published city budgets.", lang),
        decimals={f"{y} (EUR)": 0 for y in years}, bold_rows=is_total).html)

    fig = ctx.draw(plots.funding_plot, llq, lang=lang)
    out.append(ctx.figure(fig, name="llq_budget", title=_tr(
        "LLQ-Mittel je Jahr nach Stadt und Förderschiene (teilweise illustrative Beträge)",
        "LLQ funding per year by city and strand (partly illustrative amounts)", lang)).html)

    other = ctx.funding[ctx.funding["programme"] != "LLQ"].copy()
    if len(other):
        other["kind"] = other["provenance"].map(kind_of)
        g = other.groupby(["programme", "strand", "city", "year"], sort=True).agg(
            amount=("amount_eur", "sum"), kinds=("kind", lambda s: ", ".join(
                _KIND_LABEL.get(k, {}).get(lang, k) for k in sorted(set(s))))).reset_index()
        g["year"] = g["year"].astype(int).astype(str)
        g.columns = [_tr("Programm", "Programme", lang), strand_col, city_col, t("year", lang),
                     t("amount_eur", lang), t("provenance", lang)]
        out.append(ctx.table(g, name="other_programmes", title=_tr(
            "Weitere Programme in denselben Quartieren (Einflüsse, die die Auswertung berücksichtigen muss)",
            "Other programmes in the same quartiers (influences the evaluation must account for)", lang),
            decimals={t("amount_eur", lang): 0}, compact=True).html)
    return Html(out)


# ----------------------------------------------------------------------------- data coverage
def data_coverage(ctx: ReportContext) -> Html:
    """Where each value comes from (published / simulated / user / ...) and what is covered."""
    from ....data import schema
    from ....data.loaders import provenance_counts
    from ... import plots

    lang = ctx.lang
    p = ctx.panel
    cols = [c for c in schema.panel_value_columns() if schema.provenance_column(c) in p.columns]
    long = provenance_counts(p, cols)
    wide = long.pivot_table(index="column", columns="provenance", values="n_values", aggfunc="sum",
                            fill_value=0)
    order = [k for k in schema.PROVENANCE_KINDS if k in wide.columns]
    wide = wide[order].reindex([c for c in cols if c in wide.index]).fillna(0).astype(int)
    years_with = {c: p.loc[p[c].notna(), "year"] for c in wide.index}
    tab = pd.DataFrame({
        _tr("Merkmal", "Variable", lang): [label(c, lang) for c in wide.index],
        **{_tr("Werte: ", "values: ", lang) + _KIND_LABEL.get(k, {}).get(lang, k): wide[k].values
           for k in order},
        _tr("Jahre mit Werten", "Years with values", lang): [
            (f"{int(y.min())}–{int(y.max())}" + (f" ({y.nunique()})" if y.nunique() < y.max() - y.min() + 1
                                                 else "")) if len(y) else "–"
            for y in years_with.values()],
    })
    totals = long.groupby("provenance")["n_values"].sum()
    n_pub = int(totals.get("published", 0))
    n_sim = int(totals.get("simulated", 0))
    n_user = int(totals.get("user", 0))
    n_all = int(totals.drop(labels=["missing"], errors="ignore").sum())
    published = []  # (column, row) of every published single value, with its source
    for c in cols:
        pc = schema.provenance_column(c)
        for i in p.index[p[pc].astype(str).str.startswith("published")]:
            published.append((c, i))
    out = [para(_tr(
        f"Von {fmt(n_all, 0, lang)} Werten im Panel sind {fmt(n_pub, 0, lang)} veröffentlicht, "
        f"{fmt(n_sim, 0, lang)} simuliert und {fmt(n_user, 0, lang)} aus Nutzerdaten "
        f"(<code>llq build-panel</code>). Leere Felder sind fehlende Werte, z. B. die "
        f"Wahlbeteiligung außerhalb der Wahljahre: sie wird nie interpoliert.",
        f"Of {fmt(n_all, 0, lang)} values in the panel, {fmt(n_pub, 0, lang)} are published, "
        f"{fmt(n_sim, 0, lang)} simulated and {fmt(n_user, 0, lang)} user-supplied "
        f"(<code>llq build-panel</code>). Empty cells are missing values, e.g. turnout outside "
        f"election years: it is never interpolated.", lang))]
    if published:
        names = dict(zip(ctx.quartiers["quartier_id"], ctx.quartiers["ortsteil"], strict=True))
        items = []
        for c, i in published[:5]:
            src = str(p.at[i, schema.provenance_column(c)]).split(":", 1)[-1].strip()
            items.append(f"{esc(label(c, lang))}, {esc(names.get(p.at[i, 'quartier_id'], p.at[i, 'quartier_id']))} "
                         f"{int(p.at[i, 'year'])}: {fmt(p.at[i, c], 1, lang)} ({esc(src)})")
        out.append(para(_tr("Veröffentlichte Einzelwerte im Panel: ", "Published single values in the panel: ",
                            lang) + "; ".join(items)))
    out.append(ctx.table(tab, name="provenance", title=_tr(
        "Herkunft der Werte je Merkmal (Anzahl Werte, Quartier × Jahr)",
        "Provenance of the values per variable (number of values, quartier × year)", lang),
        simulated=n_sim > 0, compact=True).html)

    fig = ctx.draw(plots.provenance_bar, wide.rename(index=lambda c: label(c, lang)), lang=lang)
    legend = fig.axes[0].get_legend()
    if legend is not None:  # kinds in the report's language
        for txt in legend.get_texts():
            txt.set_text(_KIND_LABEL.get(txt.get_text(), {}).get(lang, txt.get_text()))
    out.append(ctx.figure(fig, name="provenance", simulated=n_sim > 0, size="half", title=_tr(
        "Herkunft der Werte je Merkmal", "Provenance of the values per variable", lang)).html)

    # quartiers by city and funding start
    last = int(p["year"].max())
    q = p[p["year"] == last]
    city_col = t("city", lang)
    rows = []
    cohorts = sorted(int(c) for c in p["llq_first_year"].dropna().unique() if int(c) > 0)
    for city, d in q.groupby("city", sort=True):
        r = {city_col: city, _tr("Quartiere", "Quartiers", lang): d["quartier_id"].nunique(),
             _tr("davon LLQ-gefördert", "LLQ-funded", lang): int(d["llq_funded"].astype(bool).sum())}
        for c in cohorts:
            r[_tr(f"Beginn {c}", f"start {c}", lang)] = int((d["llq_first_year"] == c).sum())
        r[_tr(f"Einwohner {last}", f"Residents {last}", lang)] = int(d["population"].sum())
        rows.append(r)
    tot = {city_col: _tr("Land Bremen", "State of Bremen", lang)}
    for k in rows[0]:
        if k != city_col:
            tot[k] = sum(r[k] for r in rows)
    rows.append(tot)
    qt = pd.DataFrame(rows)
    pop_col = _tr(f"Einwohner {last}", f"Residents {last}", lang)
    out.append(ctx.table(qt, name="quartiers_by_city", title=_tr(
        f"Quartiere nach Stadt und LLQ-Förderbeginn ({last})",
        f"Quartiers by city and LLQ funding start ({last})", lang),
        count_columns=[pop_col], key=city_col,
        totals={tot[city_col]: [r[city_col] for r in rows[:-1]]},
        total_rows=[tot[city_col]], simulated=ctx.simulated, compact=True).html)
    return Html(out)


# ----------------------------------------------------------------------------- quartier annex
def quartier_table(ctx: ReportContext, year: int | None = None) -> tuple[pd.DataFrame, dict]:
    """Per quartier (and city / Land totals): residents, persons in SGB II households, rates.

    Counts of persons behind the rates are derived as ``round(rate x base / 100)``; the totals'
    rates are the ratio of summed persons to summed base. Returns the table and the
    :func:`~llq_analysis.outputs.disclosure.disclose` arguments.
    """
    lang = ctx.lang
    p = ctx.panel
    year = int(p["year"].max()) if year is None else int(year)
    d = p[p["year"] == year].merge(ctx.quartiers[["quartier_id", "stadtteil", "ortsteil"]],
                                   on="quartier_id", how="left")
    d = d.sort_values(["city", "stadtteil", "ortsteil"]).reset_index(drop=True)
    base = d["population_below_retirement_age"].astype("float64")
    kids = d["population_u15"].astype("float64")
    n_sgb2 = (d["sgb2_rate"].astype("float64") * base / 100).round()
    n_kids = (d["sgb2_rate_u15"].astype("float64") * kids / 100).round()
    c = {
        "label": t("quartier", lang),
        "city": t("city", lang),
        "since": _tr("LLQ seit", "LLQ since", lang),
        "pop": t("population", lang),
        "base": _tr("Einwohner unter Regelaltersgrenze", "Residents below retirement age", lang),
        "n": _tr("in SGB-II-Bedarfsgemeinschaften", "in SGB II households", lang),
        "rate": t("sgb2_rate", lang),
        "kids": _tr("Kinder unter 15", "Children under 15", lang),
        "nk": _tr("Kinder unter 15 in SGB II", "Children under 15 in SGB II", lang),
        "ratek": t("sgb2_rate_u15", lang),
    }
    tab = pd.DataFrame({
        c["label"]: d["ortsteil"].astype(str) + " (" + d["stadtteil"].astype(str) + ")",
        c["city"]: d["city"].astype(str),
        c["since"]: [str(int(v)) if int(v) > 0 else "" for v in d["llq_first_year"]],
        c["pop"]: d["population"].astype("Int64"),
        c["base"]: base.astype("Int64"),
        c["n"]: n_sgb2.astype("Int64"),
        c["rate"]: d["sgb2_rate"].astype("float64"),
        c["kids"]: kids.astype("Int64"),
        c["nk"]: n_kids.astype("Int64"),
        c["ratek"]: d["sgb2_rate_u15"].astype("float64"),
    })
    totals: dict[str, list[str]] = {}
    extra = []
    counts = [c["pop"], c["base"], c["n"], c["kids"], c["nk"]]
    for city in ("Bremen", "Bremerhaven"):
        m = tab[c["city"]] == city
        if not m.any():
            continue
        lab = _tr(f"{city} insgesamt", f"{city} total", lang)
        totals[lab] = list(tab.loc[m, c["label"]])
        extra.append(_total_row(tab[m], lab, city, c, counts))
    land = _tr("Land Bremen insgesamt", "State of Bremen total", lang)
    if len(extra) > 1:
        totals[land] = [r[c["label"]] for r in extra]
        extra.append(_total_row(tab, land, "", c, counts))
    full = pd.concat([tab, pd.DataFrame(extra)], ignore_index=True)
    if full[c["label"]].duplicated().any():
        dup = full.loc[full[c["label"]].duplicated(), c["label"]].tolist()
        raise ValueError(f"quartier labels are not unique: {dup}")
    kwargs = {"count_columns": counts,
              "rate_columns": {c["rate"]: {"numerator": c["n"], "base": c["base"]},
                               c["ratek"]: {"numerator": c["nk"], "base": c["kids"]}},
              "totals": totals, "key": c["label"]}
    return full, kwargs


def _total_row(d: pd.DataFrame, label: str, city: str, c: dict, counts: list[str]) -> dict:
    row = {c["label"]: label, c["city"]: city, c["since"]: ""}
    for k in counts:
        row[k] = int(d[k].sum())
    row[c["rate"]] = 100 * row[c["n"]] / row[c["base"]] if row[c["base"]] else float("nan")
    row[c["ratek"]] = 100 * row[c["nk"]] / row[c["kids"]] if row[c["kids"]] else float("nan")
    return row


def quartier_annex(ctx: ReportContext) -> Html:
    """Annex table of all quartiers in the latest year, with disclosure control."""
    lang = ctx.lang
    year = int(ctx.panel["year"].max())
    tab, kw = quartier_table(ctx, year)
    rate_cols = list(kw["rate_columns"])
    return ctx.table(tab, name="quartiers", title=_tr(
        f"Alle Quartiere {year}: Einwohner, Personen in SGB-II-Bedarfsgemeinschaften und Quoten",
        f"All quartiers {year}: residents, persons in SGB II households and rates", lang),
        simulated=ctx.simulated, decimals={r: 1 for r in rate_cols}, total_rows=list(kw["totals"]),
        note=_tr("Personenzahlen hinter den Quoten sind aus Quote × Bezugsgröße abgeleitet und "
                 "gerundet. Gesamtzeilen: Summe der Personen, Quote = Personen / Bezugsgröße.",
                 "Counts of persons behind the rates are derived as rate × base and rounded. Total "
                 "rows: sum of persons, rate = persons / base.", lang), compact=True, **kw)


# ============================================================================= reproducibility
def reproducibility(ctx: ReportContext) -> Html:
    """How to make this report again, and what was written."""
    lang = ctx.lang
    scen = " ".join(f"--scenario {pth.relative_to(paths.PROJECT_DIR) if pth.is_relative_to(paths.PROJECT_DIR) else pth}"
                    for pth in ctx.scenario_paths)
    data = "" if ctx.data_label == "data/demo_panel.csv" else f" --data {ctx.data_label}"
    cmd = f"llq report {scen}{data} --lang {lang} --seed {ctx.seed} --out reports"
    items = [_tr("Befehl", "Command", lang) + f": <code>{esc(cmd)}</code>",
             _tr(f"{len(ctx.tables) + 0} Tabellen als CSV und XLSX in <code>tables/</code>, "
                 f"{len(ctx.figures)} Abbildungen als SVG in <code>figures/</code>.",
                 f"{len(ctx.tables)} tables as CSV and XLSX in <code>tables/</code>, "
                 f"{len(ctx.figures)} figures as SVG in <code>figures/</code>.", lang)]
    if ctx.pending:
        items.append(_tr("Noch fehlende Abschnitte: ", "Sections still missing: ", lang)
                     + esc("; ".join(ctx.pending)))
    return Html(bullets(items))
