"""Contents of the evaluation report: every table and figure, built from package calls.

The report notebook (``notebooks/06_bericht.ipynb``) only calls the section functions of this
module; :mod:`llq_analysis.report` runs it with papermill and exports HTML and PDF.

* :func:`start` loads and validates the inputs once and returns a :class:`ReportContext`.
* Every table goes through :meth:`ReportContext.table`: disclosure control
  (:func:`llq_analysis.disclosure.disclose`) first, then the CSV and XLSX export and the HTML shown
  in the report, so no table can leave the package unprotected. Tables built on simulated values
  carry a visible "Simulierte Daten" banner.
* Every figure goes through :meth:`ReportContext.figure` (SVG, stamped "Simulierte Daten" by
  :func:`llq_analysis.plots.mark_simulated` when the data are simulated).
* Output is deterministic: fixed SVG hash salt, no timestamps, fixed ZIP dates in the XLSX files,
  floats in the CSV files rounded to 6 decimals.

Sections (each returns an :class:`Html` block): :func:`front_matter`, :func:`summary`,
:func:`programme`, :func:`data_coverage`, :func:`before_after`, :func:`impact`,
:func:`diagnostics`, :func:`scenarios`, :func:`quartier_annex`, :func:`provenance_note`.
Long estimation results are computed once and cached on the context.
"""

from __future__ import annotations

import html as _html
import io
import json
import math
import re
import warnings
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import paths
from .disclosure import MARK, disclose
from .i18n import t

DEFAULT_SEED = 20200901  # the day the Senate adopted LLQ; seeds bootstrap and projection draws
FIXED_ZIP_DATE = (2000, 1, 1, 0, 0, 0)
MAIN_OUTCOME = "sgb2_rate"

_KIND_LABEL = {
    "published": {"de": "veröffentlicht", "en": "published"},
    "derived": {"de": "abgeleitet", "en": "derived"},
    "illustrative": {"de": "illustrativ", "en": "illustrative"},
    "simulated": {"de": "simuliert", "en": "simulated"},
    "user": {"de": "Nutzerdaten", "en": "user-supplied"},
    "missing": {"de": "fehlt", "en": "missing"},
}


_COLUMN_LABEL = {
    "population_below_retirement_age": ("Einwohner unter Regelaltersgrenze",
                                        "Residents below retirement age"),
    "population_u15": ("Kinder unter 15", "Children under 15"),
    "electorate_buergerschaft": ("Wahlberechtigte Bürgerschaftswahl", "Electorate, Bürgerschaft"),
    "electorate_bundestag": ("Wahlberechtigte Bundestagswahl", "Electorate, Bundestag"),
}


def _tr(de: str, en: str, lang: str) -> str:
    return de if lang == "de" else en


def label(column: str, lang: str) -> str:
    """Readable name of a panel column (i18n labels plus a few of the report's own)."""
    if column in _COLUMN_LABEL:
        de, en = _COLUMN_LABEL[column]
        return _tr(de, en, lang)
    return t(column, lang)


# ----------------------------------------------------------------------------- HTML blocks
class Html:
    """A piece of report HTML; notebooks display it through ``_repr_html_``."""

    def __init__(self, parts: str | Sequence[str | Html] = ()):
        if isinstance(parts, str):
            parts = [parts]
        self.parts = [p.html if isinstance(p, Html) else p for p in parts]

    @property
    def html(self) -> str:
        return "\n".join(self.parts)

    def __add__(self, other: Html | str) -> Html:
        return Html([*self.parts, other])

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:  # plain-text fallback (e.g. in a terminal)
        return re.sub(r"<[^>]+>", "", self.html)


def esc(text: Any) -> str:
    return _html.escape(str(text), quote=True)


def para(text: str, cls: str | None = None) -> str:
    return f'<p{f" class={chr(34)}{cls}{chr(34)}" if cls else ""}>{text}</p>'


def bullets(items: Sequence[str], cls: str | None = None) -> str:
    c = f' class="{cls}"' if cls else ""
    return f"<ul{c}>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"


def callout(text: str, kind: str = "info") -> str:
    return f'<div class="callout callout-{kind}">{text}</div>'


# ----------------------------------------------------------------------------- numbers
def fmt(x: Any, decimals: int = 0, lang: str = "de", sign: bool = False) -> str:
    """Format a number German style (1.234,5) or English style (1,234.5); marks pass through."""
    if x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA:
        return "–"
    if isinstance(x, str):
        return x
    s = f"{float(x):{'+' if sign else ''},.{decimals}f}"
    if lang == "de":
        s = s.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")
    return s.replace("-", "\u2212")


def fmt_eur(x: float, lang: str = "de") -> str:
    return f"{fmt(x, 0, lang)} EUR"


def fmt_ci(lo: float, hi: float, decimals: int, lang: str) -> str:
    sep = " bis " if lang == "de" else " to "
    return f"{fmt(lo, decimals, lang, sign=True)}{sep}{fmt(hi, decimals, lang, sign=True)}"


def kind_of(provenance: Any) -> str:
    """'published: source' -> 'published'."""
    return str(provenance).split(":", 1)[0].strip()


# ----------------------------------------------------------------------------- context
@dataclass
class ReportContext:
    """Inputs, settings and caches of one report run (not frozen: results are cached)."""

    lang: str
    seed: int
    panel: pd.DataFrame
    quartiers: pd.DataFrame
    funding: pd.DataFrame
    scenario_paths: list[Path]
    data_label: str
    out_dir: Path | None = None
    fast: bool = False
    tables: list[dict] = field(default_factory=list)
    figures: list[dict] = field(default_factory=list)
    cache: dict = field(default_factory=dict)
    pending: list[str] = field(default_factory=list)

    # -- provenance of the panel ------------------------------------------------------------
    @property
    def simulated(self) -> bool:
        """True when any value of the panel is simulated."""
        return bool(self.panel["provenance"].astype(str).str.startswith("simulated").any())

    def provenance_of(self, columns: Sequence[str]) -> str:
        from .impact.results import data_provenance

        return data_provenance(self.panel, columns)

    # -- cached computations ----------------------------------------------------------------
    def cached(self, key: str, fn: Callable[[], Any]) -> Any:
        """``fn()`` once per report; warnings raised inside are kept under ``key`` for the text."""
        if key not in self.cache:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                value = fn()
            msgs = list(dict.fromkeys(str(w.message) for w in caught
                                      if not issubclass(w.category, (DeprecationWarning,
                                                                     FutureWarning))))
            self.cache[key] = value
            self.cache[f"{key}__warnings"] = msgs
        return self.cache[key]

    def warnings_of(self, key: str) -> list[str]:
        return self.cache.get(f"{key}__warnings", [])

    # -- tables -----------------------------------------------------------------------------
    def table(self, df: pd.DataFrame, *, name: str, title: str, count_columns: Sequence[str] = (),
              rate_columns: Mapping[str, Any] | None = None,
              totals: Mapping[Any, Sequence[Any]] | None = None, key: str | None = None,
              simulated: bool = False, note: str | None = None,
              decimals: Mapping[str, int] | None = None, total_rows: Sequence[Any] = (),
              bold_rows: Sequence[bool] | None = None, round_to: int | None = None,
              compact: bool = False) -> Html:
        """Disclose, export (CSV + XLSX) and render one table; returns its HTML.

        ``count_columns``/``rate_columns``/``totals``/``key``/``round_to`` go to
        :func:`~llq_analysis.disclosure.disclose`; ``decimals`` sets the shown decimals per
        column (before renaming); ``total_rows`` (values of ``key``) or ``bold_rows`` (one flag
        per row) are set in bold.
        """
        safe = disclose(df, count_columns=count_columns, rate_columns=rate_columns, totals=totals,
                        key=key, lang=self.lang, round_to=round_to)
        info = safe.attrs["disclosure"]
        number = len(self.tables) + 1
        stem = f"{number:02d}_{name}"
        renamed = dict(zip(df.columns, safe.columns, strict=True))
        entry = {"number": number, "name": stem, "title": _strip_tags(title),
                 "simulated": bool(simulated), "rows": len(safe), "columns": list(safe.columns),
                 "disclosure": info}
        if self.out_dir is not None:
            tdir = self.out_dir / "tables"
            tdir.mkdir(parents=True, exist_ok=True)
            export = _export_frame(safe)
            export.to_csv(tdir / f"{stem}.csv", index=False, lineterminator="\n")
            _write_xlsx(export, tdir / f"{stem}.xlsx", sheet=stem[:31], title=_strip_tags(title),
                        simulated=simulated, lang=self.lang)
            entry["files"] = [f"tables/{stem}.csv", f"tables/{stem}.xlsx"]
        self.tables.append(entry)
        self._write_index()
        dec = {renamed.get(k, k): v for k, v in (decimals or {}).items()}
        label = _tr("Tabelle", "Table", self.lang)
        bold = set(total_rows)
        key_col = renamed.get(key, key) if key else None
        rows_html = []
        flags = list(bold_rows) if bold_rows is not None else [False] * len(safe)
        for i, (_, row) in enumerate(safe.iterrows()):
            is_total = flags[i] or (key_col is not None and row[key_col] in bold)
            cells = []
            for c in safe.columns:
                v = row[c]
                num = _is_number(v) or v == MARK
                text = fmt(v, dec.get(c, _default_decimals(safe[c])), self.lang) if _is_number(v) \
                    else ("" if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA
                          else _wbr(esc(v)))
                cls = ' class="num"' if num else ""
                cells.append(f"<td{cls}>{text}</td>")
            rows_html.append(f'<tr{" class=" + chr(34) + "total" + chr(34) if is_total else ""}>'
                             + "".join(cells) + "</tr>")
        numeric_cols = {c for c in safe.columns
                        if safe[c].map(lambda v: _is_number(v) or v == MARK or v is None).all()}
        head = "".join(f'<th{" class=" + chr(34) + "num" + chr(34) if c in numeric_cols else ""}>'
                       f"{_hyphenate(esc(c))}</th>" for c in safe.columns)
        banner = (f'<span class="sim-badge">{t("simulated_mark", self.lang)}</span>'
                  if simulated else "")
        notes = []
        if note:
            notes.append(note)
        if info["n_primary"] + info["n_secondary"] + info["n_rate"] > 0 or info["count_columns"]:
            notes.append(_disclosure_note(info, self.lang))
        if simulated:
            notes.append(t("simulated_warning", self.lang))
        if "files" in entry:
            notes.append(_tr("Datei", "File", self.lang) + f": <code>tables/{stem}.csv</code>, "
                         f"<code>.xlsx</code>")
        note_html = "".join(f'<p class="table-note">{n}</p>' for n in notes)
        cls = ("llq-table" + (" simulated" if simulated else "") + (" compact" if compact else "")
               + (" keep" if len(safe) <= 20 else ""))
        return Html(f'<figure class="{cls}" id="tab-{esc(name)}"><figcaption><span class="num-label">'
                    f"{label} {number}:</span> {title} {banner}</figcaption>"
                    f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows_html)}</tbody></table>"
                    f"{note_html}</figure>")

    # -- figures ----------------------------------------------------------------------------
    def figure(self, fig, *, name: str, title: str, simulated: bool = False,
               note: str | None = None, size: str = "full") -> Html:
        """Stamp (if simulated), serialise as SVG, save under ``figures/`` and render."""
        import matplotlib.pyplot as plt

        from .plots import mark_simulated

        if simulated and not getattr(fig, "_llq_marked", False):
            if not any(t("simulated_mark", self.lang) == txt.get_text() for txt in fig.texts):
                mark_simulated(fig, "simulated", self.lang)
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None}, bbox_inches="tight")
        plt.close(fig)
        svg = _clean_svg(buf.getvalue())
        number = len(self.figures) + 1
        stem = f"{number:02d}_{name}"
        entry = {"number": number, "name": stem, "title": _strip_tags(title), "simulated": simulated}
        if self.out_dir is not None:
            fdir = self.out_dir / "figures"
            fdir.mkdir(parents=True, exist_ok=True)
            (fdir / f"{stem}.svg").write_text(svg, encoding="utf-8")
            entry["files"] = [f"figures/{stem}.svg"]
        self.figures.append(entry)
        self._write_index()
        label = _tr("Abbildung", "Figure", self.lang)
        banner = (f' <span class="sim-badge">{t("simulated_mark", self.lang)}</span>'
                  if simulated else "")
        note_html = f'<p class="figure-note">{note}</p>' if note else ""
        return Html(f'<figure class="llq-figure size-{size}" id="fig-{esc(name)}">'
                    f'<div class="svg-wrap">{svg}</div><figcaption><span class="num-label">{label} '
                    f"{number}:</span> {title}{banner}</figcaption>{note_html}</figure>")

    def _write_index(self) -> None:
        if self.out_dir is None:
            return
        index = {"tables": self.tables, "figures": self.figures, "pending_sections": self.pending}
        (self.out_dir / "content.json").write_text(json.dumps(index, ensure_ascii=False, indent=1,
                                                              default=str), encoding="utf-8")


_SOFT = {  # break points of long German words in table headers (soft hyphens, shown only if used)
    "Regelaltersgrenze": "Regel\u00adalters\u00adgrenze",
    "Bedarfsgemeinschaften": "Bedarfs\u00adgemein\u00adschaften",
    "Konzentrationsindex": "Konzentrations\u00adindex",
    "Wahrscheinlichkeit": "Wahrschein\u00adlichkeit",
    "Beobachtungen": "Beobach\u00adtungen",
    "Basisszenario": "Basis\u00adszenario",
    "Veränderung": "Verän\u00adderung",
    "Förderschiene": "Förder\u00adschiene",
}


def _hyphenate(text: str) -> str:
    """Soft hyphens in long header words so narrow columns can break them (HTML only)."""
    for word, soft in _SOFT.items():
        text = text.replace(word, soft)

    def split(m: re.Match) -> str:
        w = m.group(0)
        return "\u00ad".join(w[i:i + 7] for i in range(0, len(w), 7))
    return re.sub(r"[^\s\u00ad()/&;-]{15,}", split, text)


def _wbr(text: str) -> str:
    """Allow line breaks after '_' and '/' in cell text (scenario names, file names)."""
    return text.replace("_", "_<wbr>").replace("/", "/<wbr>")


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) \
        and not (isinstance(v, float) and math.isnan(v))


def _default_decimals(col: pd.Series) -> int:
    vals = [v for v in col if _is_number(v)]
    if vals and all(float(v).is_integer() for v in vals):
        return 0
    return 1


def _strip_tags(s: str) -> str:
    return re.sub(r"<[^>]+>", "", s).strip()


def _export_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Copy for CSV/XLSX: floats rounded to 6 decimals (stable across runs), marks kept."""
    out = df.copy()
    for c in out.columns:
        out[c] = [round(float(v), 6) if isinstance(v, (float, np.floating)) and not math.isnan(v)
                  else (int(v) if isinstance(v, (np.integer,)) else v) for v in out[c]]
    return out


def _disclosure_note(info: Mapping[str, Any], lang: str) -> str:
    n = info["n_primary"] + info["n_secondary"] + info["n_rate"]
    if lang == "de":
        s = (f"{MARK} = aus Gründen der statistischen Geheimhaltung nicht ausgewiesen (weniger als "
             f"{info['min_count']} Personen, Quote mit Zähler unter {info['min_count']} Personen oder "
             "aus Summen rechnerisch erschließbar; Regeln der Statistik der BA).")
        if n:
            s += f" Hier {n} Zelle(n) gesperrt."
    else:
        s = (f"{MARK} = withheld for statistical confidentiality (fewer than {info['min_count']} "
             f"persons, a rate whose numerator is below {info['min_count']} persons, or derivable "
             "from totals; rules of the Federal Employment Agency's statistics).")
        if n:
            s += f" {n} cell(s) withheld here."
    return s


def _clean_svg(svg: str) -> str:
    """Drop the XML prolog and comments so the SVG can be inlined; ids stay deterministic."""
    svg = re.sub(r"<\?xml[^>]*\?>\s*", "", svg)
    svg = re.sub(r"<!DOCTYPE[^>]*>\s*", "", svg)
    svg = re.sub(r"<!--.*?-->\s*", "", svg, flags=re.S)
    return svg.strip()


def _write_xlsx(df: pd.DataFrame, path: Path, *, sheet: str, title: str, simulated: bool,
                lang: str) -> None:
    """One-sheet workbook (title row, optional simulated mark, the table), byte-deterministic."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append([title])
    ws["A1"].font = Font(bold=True)
    if simulated:
        ws.append([t("simulated_warning", lang)])
        ws["A2"].font = Font(bold=True, color="B00020")
    ws.append([])
    ws.append([str(c) for c in df.columns])
    for row in df.itertuples(index=False):
        ws.append([None if (v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)))
                   else v for v in row])
    import datetime as _dt

    fixed = _dt.datetime(*FIXED_ZIP_DATE)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.properties.creator = "llq_analysis"
    buf = io.BytesIO()
    wb.save(buf)
    _normalise_zip(buf.getvalue(), path)


def _normalise_zip(data: bytes, path: Path) -> None:
    """Rewrite a ZIP (XLSX) with fixed entry dates and core-property timestamps."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)",
                                 rb"\g<1>2000-01-01T00:00:00Z\g<3>", content)
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_DATE)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, content)
    path.write_bytes(out.getvalue())


# ----------------------------------------------------------------------------- start
def _setup_plotting() -> None:
    import logging

    import matplotlib

    logging.getLogger("matplotlib.category").setLevel(logging.WARNING)

    matplotlib.rcParams["svg.hashsalt"] = "llq-report"
    matplotlib.rcParams["svg.fonttype"] = "none"
    matplotlib.rcParams["figure.dpi"] = 100
    matplotlib.rcParams["font.family"] = "DejaVu Sans"


def start(*, data: str | Path | None = None, scenarios: Sequence[str | Path] = (), lang: str = "de",
          seed: int = DEFAULT_SEED, out_dir: str | Path | None = None,
          fast: bool = False) -> ReportContext:
    """Load and validate the inputs of the report; nothing is estimated yet.

    ``data``: a panel CSV (``llq build-panel``) or None for the bundled panel; ``scenarios``:
    scenario YAML files (the baseline is added first when missing); ``out_dir``: where tables
    (CSV, XLSX) and figures (SVG) are written (None: nowhere); ``fast``: fewer bootstrap draws
    (tests only).
    """
    from .data import load_funding, load_panel, load_quartiers

    if lang not in ("de", "en"):
        raise ValueError(f"lang must be 'de' or 'en', got {lang!r}")
    _setup_plotting()
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=FutureWarning)
    panel = load_panel(data) if data is not None else load_panel()
    label = (str(Path(data).name) if data is not None else "data/panel.csv")
    scen = [Path(s) for s in scenarios] or default_scenarios()
    if not any(p.resolve() == paths.BASELINE_SCENARIO.resolve() for p in scen):
        scen = [paths.BASELINE_SCENARIO, *scen]
    out = Path(out_dir) if out_dir is not None else None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    return ReportContext(lang=lang, seed=int(seed), panel=panel, quartiers=load_quartiers(),
                         funding=load_funding(), scenario_paths=scen, data_label=label,
                         out_dir=out, fast=fast)


def default_scenarios() -> list[Path]:
    """All ``scenarios/*.yaml``, the baseline first."""
    files = sorted(paths.SCENARIO_DIR.glob("*.yaml"))
    base = [p for p in files if p.name == paths.BASELINE_SCENARIO.name]
    return base + [p for p in files if p not in base]


# ============================================================================= sections
def front_matter(ctx: ReportContext) -> Html:
    """Data basis, scenarios and the simulated-data banner under the title."""
    lang = ctx.lang
    p = ctx.panel
    years = f"{int(p['year'].min())}–{int(p['year'].max())}"
    scen = ", ".join(esc(s.stem) for s in ctx.scenario_paths)
    rows = [
        (_tr("Datengrundlage", "Data", lang),
         f"<code>{esc(ctx.data_label)}</code>: {p['quartier_id'].nunique()} "
         + _tr("Quartiere (Ortsteile), Jahre ", "quartiers (Ortsteile), years ", lang) + years),
        (_tr("Szenarien", "Scenarios", lang), scen),
        (_tr("Zufallsstartwert", "Random seed", lang), str(ctx.seed)),
    ]
    dl = "".join(f"<dt>{a}</dt><dd>{b}</dd>" for a, b in rows)
    parts = [f'<dl class="front-matter">{dl}</dl>']
    if ctx.simulated:
        parts.append(callout(
            _tr("<strong>Simulierte Daten.</strong> Die Quartierswerte dieses Berichts (SGB-II-Quoten, "
                "Arbeitslosigkeit, Wahlbeteiligung, Einwohner) sind auf der echten Geografie "
                "simuliert, weil kleinräumige Zeitreihen nicht veröffentlicht vorliegen. Alle "
                "Wirkungsschätzungen zeigen daher, <em>wie</em> die Auswertung funktioniert, nicht "
                "wie LLQ tatsächlich wirkt. Mit echten Daten (<code>llq build-panel</code>, "
                "<code>llq report --data</code>) entsteht derselbe Bericht aus echten Zahlen.",
                "<strong>Simulated data.</strong> The quartier values in this report (SGB II rates, "
                "unemployment, turnout, residents) are simulated on the real geography because "
                "small-area time series are not published. All impact estimates therefore show "
                "<em>how</em> the evaluation works, not how LLQ actually works. With real data "
                "(<code>llq build-panel</code>, <code>llq report --data</code>) the same report is "
                "built from real figures.", lang), "warning"))
    return Html(parts)


# ----------------------------------------------------------------------------- programme
def _llq_funding(ctx: ReportContext) -> pd.DataFrame:
    f = ctx.funding
    return f[f["programme"] == "LLQ"].copy()


def programme(ctx: ReportContext) -> Html:
    """Programme and budget: LLQ money by city, strand and year (funding.csv, with provenance)."""
    from . import plots

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

    fig = plots.funding_plot(llq, lang=lang)
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
    from . import plots, schema
    from .data import provenance_counts

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
    pub_rows = p[[c for c in p.columns if c.endswith("_provenance")]].apply(
        lambda s: s.astype(str).str.startswith("published")).any(axis=1)
    out = [para(_tr(
        f"Von {fmt(n_all, 0, lang)} Werten im Panel sind {fmt(n_pub, 0, lang)} veröffentlicht, "
        f"{fmt(n_sim, 0, lang)} simuliert und {fmt(n_user, 0, lang)} aus Nutzerdaten "
        f"(<code>llq build-panel</code>). Leere Felder sind fehlende Werte, z. B. die "
        f"Wahlbeteiligung außerhalb der Wahljahre: sie wird nie interpoliert.",
        f"Of {fmt(n_all, 0, lang)} values in the panel, {fmt(n_pub, 0, lang)} are published, "
        f"{fmt(n_sim, 0, lang)} simulated and {fmt(n_user, 0, lang)} user-supplied "
        f"(<code>llq build-panel</code>). Empty cells are missing values, e.g. turnout outside "
        f"election years: it is never interpolated.", lang))]
    if pub_rows.any():
        ex = p.loc[pub_rows, ["quartier_id", "year"]].head(3)
        out.append(para(_tr("Veröffentlichte Einzelwerte: ", "Published single values: ", lang)
                        + ", ".join(f"{esc(r.quartier_id)} {int(r.year)}" for r in ex.itertuples())))
    out.append(ctx.table(tab, name="provenance", title=_tr(
        "Herkunft der Werte je Merkmal (Anzahl Werte, Quartier × Jahr)",
        "Provenance of the values per variable (number of values, quartier × year)", lang),
        simulated=n_sim > 0, compact=True).html)

    fig = plots.provenance_bar(wide.rename(index=lambda c: label(c, lang)), lang=lang)
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
    :func:`~llq_analysis.disclosure.disclose` arguments.
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


# ============================================================================= estimation
UNIT, TIME, COHORT, DOSE = "quartier_id", "year", "llq_first_year", "llq_eur_per_capita"
POST = "_llq_post"  # 1{year >= first funded year} (intent to treat: absorbing)
OUTCOMES_EXTRA = ("sgb2_rate_u15", "unemployment_rate", "turnout_buergerschaft", "turnout_bundestag")
ES_BINS = (-9, 3)  # event-study endpoints: earlier/later relative years are pooled (few quartiers)
FLAGSHIP = "BHV-goethestrasse"  # synthetic control: the Goethequartier (Lehe, Bremerhaven)

_METHOD = {
    "dose": ("Dosis-Wirkung (TWFE, EUR je Einwohner)", "Dose response (TWFE, EUR per resident)"),
    "wild": ("Dosis-Wirkung, Wild-Cluster-Bootstrap", "Dose response, wild cluster bootstrap"),
    "twfe": ("TWFE, gefördert ja/nein", "TWFE, funded yes/no"),
    "es": ("Ereignisstudie (Mittel nach Förderbeginn)", "Event study (mean after start)"),
    "cs": ("Callaway & Sant'Anna (gestaffelt)", "Callaway & Sant'Anna (staggered)"),
    "sa": ("Sun & Abraham", "Sun & Abraham"),
    "bjs": ("Imputation (Borusyak, Jaravel & Spiess)", "Imputation (Borusyak, Jaravel & Spiess)"),
    "ri": ("TWFE, Randomisierungsinferenz", "TWFE, randomization inference"),
    "sc": ("Synthetische Kontrolle", "Synthetic control"),
    "sdid": ("Synthetische DiD", "Synthetic DiD"),
}


def _m(key: str, lang: str) -> str:
    de, en = _METHOD[key]
    return de if lang == "de" else en


def _reps(ctx: ReportContext, full: int) -> int:
    return max(99, full // 10) if ctx.fast else full


def impact_panel(ctx: ReportContext) -> pd.DataFrame:
    """The panel with the absorbing treatment indicator ``_llq_post`` (a copy; cached)."""
    def build():
        p = ctx.panel.copy()
        g = pd.to_numeric(p[COHORT]).fillna(0)
        p[POST] = ((g > 0) & (p[TIME] >= g)).astype(int)
        return p
    return ctx.cached("impact_panel", build)


def _optional(module: str, name: str):
    """The package function ``name`` of ``llq_analysis.<module>``, or None while it does not exist."""
    import importlib

    try:
        mod = importlib.import_module(f"llq_analysis.{module}")
    except ImportError:
        return None
    return getattr(mod, name, None)


def results(ctx: ReportContext) -> dict[str, Any]:
    """All impact estimates of the report (cached): main outcome ``sgb2_rate``.

    dose (TWFE slope per EUR per resident, CR1) with binned dose curve; wild cluster bootstrap of
    the slope; binary TWFE; event study (pooled endpoints ``ES_BINS``); Callaway & Sant'Anna
    (multiplier bootstrap); Sun & Abraham; imputation (BJS); randomization inference (adoption
    years permuted within cities); Goodman-Bacon decomposition; dose slopes of further outcomes.
    """
    from .impact.did import event_study, twfe
    from .impact.dose import dose_response
    from .impact.inference import randomization_inference, wild_cluster_bootstrap
    from .impact.staggered import (
        bacon_decomposition,
        imputation_did,
        staggered_did,
        sun_abraham,
    )

    p = impact_panel(ctx)
    k = {"unit": UNIT, "time": TIME}
    y = MAIN_OUTCOME
    out: dict[str, Any] = {}
    out["dose"] = ctx.cached("r.dose", lambda: dose_response(p, outcome=y, dose=DOSE, bins=4, **k))
    out["wild"] = ctx.cached("r.wild", lambda: wild_cluster_bootstrap(
        p, outcome=y, treatment=DOSE, reps=_reps(ctx, 9999), seed=ctx.seed, **k))
    out["twfe"] = ctx.cached("r.twfe", lambda: twfe(p, outcome=y, treatment=POST, **k))
    out["es"] = ctx.cached("r.es", lambda: event_study(p, outcome=y, cohort=COHORT,
                                                       bin_endpoints=ES_BINS, **k))
    out["cs"] = ctx.cached("r.cs", lambda: staggered_did(p, outcome=y, cohort=COHORT,
                                                         bootstrap=_reps(ctx, 999), seed=ctx.seed, **k))
    out["sa"] = ctx.cached("r.sa", lambda: sun_abraham(p, outcome=y, cohort=COHORT, **k))
    out["bjs"] = ctx.cached("r.bjs", lambda: imputation_did(p, outcome=y, cohort=COHORT, **k))
    out["ri"] = ctx.cached("r.ri", lambda: randomization_inference(
        p, outcome=y, cohort=COHORT, strata="city", reps=_reps(ctx, 999), seed=ctx.seed, **k))
    out["bacon"] = ctx.cached("r.bacon", lambda: bacon_decomposition(p, outcome=y, treatment=POST, **k))
    for o in OUTCOMES_EXTRA:
        if o in p.columns and p[o].notna().sum() > 0:
            out[f"dose.{o}"] = ctx.cached(f"r.dose.{o}", lambda o=o: twfe(p, outcome=o, treatment=DOSE, **k))
    sc = _optional("impact.synth", "synthetic_control")
    if sc is not None and FLAGSHIP in set(p[UNIT]):
        def fit_sc():
            g = int(p.loc[p[UNIT] == FLAGSHIP, COHORT].iloc[0])
            donors = p[(p[COHORT].fillna(0) == 0) | (p[UNIT] == FLAGSHIP)]
            return sc(donors, outcome=y, unit=UNIT, time=TIME, treated_unit=FLAGSHIP,
                      treatment_time=g)
        out["sc"] = ctx.cached("r.sc", fit_sc)
    return out


def _ci_row(ctx, key: str, r, measure: str, *, ci=None, pvalue=None, inference=None) -> dict:
    lang = ctx.lang
    lo, hi = ci if ci is not None else r.ci
    return {
        _tr("Verfahren", "Method", lang): _m(key, lang),
        _tr("Wirkung gemessen als", "Effect measured as", lang): measure,
        t("estimate", lang): float(r.estimate),
        _tr("95 %-KI unten", "95 % CI low", lang): float(lo),
        _tr("95 %-KI oben", "95 % CI high", lang): float(hi),
        _tr("p-Wert", "p-value", lang): float(r.pvalue if pvalue is None else pvalue),
        t("n_obs", lang): int(r.n_obs),
        _tr("Quartiere", "Quartiers", lang): int(r.n_clusters) if r.n_clusters else None,
        t("inference", lang): inference or _inference_label(r, lang),
    }


def _inference_label(r, lang: str) -> str:
    inf = str(r.spec.get("inference", "") or "")
    return inf[:60]


def impact_table(ctx: ReportContext) -> pd.DataFrame:
    """Headline numbers of every estimator, one row each (outcome: SGB II rate)."""
    lang = ctx.lang
    R = results(ctx)
    per_eur = _tr("Pp je EUR/Einwohner", "pp per EUR/resident", lang)
    pp = _tr("Pp, gefördert vs. nicht", "pp, funded vs not", lang)
    rows = [
        _ci_row(ctx, "dose", R["dose"], per_eur, inference=_tr("Cluster-robust (CR1)", "cluster-robust (CR1)", lang)),
        _ci_row(ctx, "wild", R["wild"], per_eur, inference=_tr(
            f"Wild-Cluster-Bootstrap ({R['wild'].extras.get('weights_type', '')}, "
            f"{R['wild'].extras.get('reps', '')} Ziehungen)",
            f"wild cluster bootstrap ({R['wild'].extras.get('weights_type', '')}, "
            f"{R['wild'].extras.get('reps', '')} draws)", lang)),
        _ci_row(ctx, "twfe", R["twfe"], pp, inference=_tr("Cluster-robust (CR1)", "cluster-robust (CR1)", lang)),
        _ci_row(ctx, "ri", R["ri"], pp, inference=_tr(
            "Permutation der Förderjahre innerhalb der Städte", "adoption years permuted within cities", lang)),
        _ci_row(ctx, "es", R["es"], pp, inference=_tr("Cluster-robust (CR1)", "cluster-robust (CR1)", lang)),
        _ci_row(ctx, "cs", R["cs"], pp, inference=_tr(
            "Multiplikator-Bootstrap", "multiplier bootstrap", lang)),
        _ci_row(ctx, "sa", R["sa"], pp, inference=_tr("Cluster-robust", "cluster-robust", lang)),
        _ci_row(ctx, "bjs", R["bjs"], pp, inference=_tr("BJS-Varianz (konservativ)", "BJS variance (conservative)", lang)),
    ]
    if "sc" in R:
        sc = R["sc"]
        q = ctx.quartiers.set_index("quartier_id")
        fl = str(q.loc[FLAGSHIP, "ortsteil"]) if FLAGSHIP in q.index else FLAGSHIP
        rows.append(_ci_row(ctx, "sc", sc, _tr(f"Pp, {fl} vs. Synthese", f"pp, {fl} vs synthetic", lang),
                            inference=_tr("Placebo-Permutation", "placebo permutation", lang)))
    return pd.DataFrame(rows)


def _truth(ctx: ReportContext) -> dict[str, float] | None:
    """The effect built into the bundled simulated panel (None for other data)."""
    if not ctx.simulated or not ctx.data_label.endswith("data/panel.csv"):
        return None
    from .simulate import DEFAULT_EFFECTS

    return dict(DEFAULT_EFFECTS)


def impact(ctx: ReportContext) -> Html:
    """Impact estimates with intervals, event study, dose curve and further outcomes."""
    import matplotlib.pyplot as plt

    lang = ctx.lang
    R = results(ctx)
    sim = ctx.simulated
    dose, cs, es, wild = R["dose"], R["cs"], R["es"], R["wild"]
    mean_dose = float(impact_panel(ctx).loc[lambda d: d[DOSE] > 0, DOSE].mean())
    out = [para(_tr(
        f"<strong>Kernergebnis:</strong> Je zusätzlichem Euro LLQ-Mittel je Einwohner und Jahr sinkt die "
        f"SGB-II-Quote um {fmt(-dose.estimate, 2, lang)} Prozentpunkte (95-%-Intervall "
        f"{fmt_ci(dose.ci[0], dose.ci[1], 2, lang)}; Wild-Cluster-Bootstrap "
        f"{fmt_ci(wild.ci[0], wild.ci[1], 2, lang)}). Bei der mittleren Förderung geförderter "
        f"Quartiere von {fmt(mean_dose, 1, lang)} EUR je Einwohner entspricht das "
        f"{fmt(dose.estimate * mean_dose, 1, lang, sign=True)} Prozentpunkten. Geförderte Quartiere "
        f"liegen nach Förderbeginn im Mittel {fmt(cs.estimate, 1, lang, sign=True)} Prozentpunkte "
        f"unter ihrem Verlauf ohne Förderung (Callaway & Sant'Anna, 95-%-Intervall "
        f"{fmt_ci(cs.ci[0], cs.ci[1], 1, lang)}).",
        f"<strong>Main result:</strong> each additional euro of LLQ money per resident and year lowers "
        f"the SGB II rate by {fmt(-dose.estimate, 2, lang)} percentage points (95 % interval "
        f"{fmt_ci(dose.ci[0], dose.ci[1], 2, lang)}; wild cluster bootstrap "
        f"{fmt_ci(wild.ci[0], wild.ci[1], 2, lang)}). At the mean funding of funded quartiers, "
        f"{fmt(mean_dose, 1, lang)} EUR per resident, that is {fmt(dose.estimate * mean_dose, 1, lang, sign=True)} "
        f"percentage points. After the start of funding, funded quartiers are on average "
        f"{fmt(cs.estimate, 1, lang, sign=True)} percentage points below their path without funding "
        f"(Callaway & Sant'Anna, 95 % interval {fmt_ci(cs.ci[0], cs.ci[1], 1, lang)}).", lang))]
    truth = _truth(ctx)
    if truth:
        out.append(callout(_tr(
            f"Prüfung der Methode: In die simulierten Daten ist eine Wirkung von "
            f"{fmt(truth[MAIN_OUTCOME], 2, lang, sign=True)} Prozentpunkten je EUR/Einwohner eingebaut. "
            f"Die Schätzung {fmt(dose.estimate, 3, lang, sign=True)} trifft sie "
            + ("(der wahre Wert liegt im 95-%-Intervall)." if dose.ci[0] <= truth[MAIN_OUTCOME] <= dose.ci[1]
               else "nicht genau (der wahre Wert liegt außerhalb des 95-%-Intervalls)."),
            f"Check of the method: the simulated data contain an effect of "
            f"{fmt(truth[MAIN_OUTCOME], 2, lang, sign=True)} percentage points per EUR/resident. "
            f"The estimate {fmt(dose.estimate, 3, lang, sign=True)} "
            + ("recovers it (the true value lies in the 95 % interval)." if dose.ci[0] <= truth[MAIN_OUTCOME] <= dose.ci[1]
               else "misses it (the true value lies outside the 95 % interval)."), lang)))
    tab = impact_table(ctx)
    est_cols = [t("estimate", lang), _tr("95 %-KI unten", "95 % CI low", lang),
                _tr("95 %-KI oben", "95 % CI high", lang)]
    out.append(ctx.table(tab, name="impact_estimates", simulated=sim, title=_tr(
        "Wirkung auf die SGB-II-Quote: alle Verfahren im Vergleich",
        "Effect on the SGB II rate: all methods compared", lang),
        decimals={**{c: 3 for c in est_cols}, _tr("p-Wert", "p-value", lang): 3},
        note=_tr("Pp = Prozentpunkte. Zeilen 1–2 messen die Wirkung je EUR je Einwohner und Jahr, die "
                 "übrigen den Unterschied geförderter zu nicht geförderten Quartieren nach Förderbeginn.",
                 "pp = percentage points. Rows 1–2 measure the effect per EUR per resident and year, the "
                 "others the difference between funded and unfunded quartiers after the start.", lang)).html)

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    es.plot(ax=axes[0], lang=lang)
    axes[0].set_title(_m("es", lang), fontsize=10)
    cs.aggregate("dynamic", min_e=ES_BINS[0], max_e=ES_BINS[1]).plot(ax=axes[1], lang=lang)
    axes[1].set_title(_tr("Callaway & Sant'Anna: nach Jahren seit Beginn",
                          "Callaway & Sant'Anna: by years since start", lang), fontsize=10)
    fig.tight_layout()
    out.append(ctx.figure(fig, name="event_study", simulated=sim, title=_tr(
        "Wirkung je Jahr vor und nach Förderbeginn (SGB-II-Quote, Prozentpunkte, 95-%-Intervalle)",
        "Effect per year before and after the start of funding (SGB II rate, percentage points, 95 % intervals)",
        lang), note=_tr(
        f"Links: TWFE-Ereignisstudie (Referenzjahr −1; Jahre vor {ES_BINS[0]} und nach {ES_BINS[1]} "
        "zusammengefasst, weil nur wenige Quartiere so weit beobachtet werden). Rechts: Callaway & "
        "Sant'Anna, Vergleich mit nie geförderten Quartieren. Werte vor 0 nahe null sprechen für "
        "parallele Trends.",
        f"Left: TWFE event study (reference year −1; years before {ES_BINS[0]} and after {ES_BINS[1]} "
        "pooled because few quartiers are observed that far). Right: Callaway & Sant'Anna, compared "
        "with never-funded quartiers. Values near zero before 0 support parallel trends.", lang)).html)

    out.append(ctx.figure(dose.plot(lang=lang), name="dose_curve", simulated=sim, size="half", title=_tr(
        "Dosis-Wirkung: Veränderung der SGB-II-Quote nach Förderhöhe (EUR je Einwohner)",
        "Dose response: change in the SGB II rate by funding level (EUR per resident)", lang),
        note=_tr("Punkte: Wirkung in vier Förderstufen gegenüber keiner Förderung; gestrichelt: lineare "
                 "Steigung. Liegen die Punkte auf der Linie, ist die Annahme einer linearen Wirkung je "
                 "Euro (Grundlage der Szenarien) plausibel.",
                 "Points: effect in four funding bins against no funding; dashed: linear slope. Points "
                 "on the line support a linear effect per euro (the basis of the scenarios).", lang)).html)

    rows = []
    for o in (MAIN_OUTCOME, *OUTCOMES_EXTRA):
        r = R["dose"] if o == MAIN_OUTCOME else R.get(f"dose.{o}")
        if r is None:
            continue
        row = {t("outcome", lang): t(o, lang),
               _tr("Pp je EUR/Einwohner", "pp per EUR/resident", lang): float(r.estimate),
               _tr("95 %-KI unten", "95 % CI low", lang): float(r.ci[0]),
               _tr("95 %-KI oben", "95 % CI high", lang): float(r.ci[1]),
               _tr("p-Wert", "p-value", lang): float(r.pvalue), t("n_obs", lang): int(r.n_obs)}
        if truth:
            row[_tr("wahrer Wert (Simulation)", "true value (simulation)", lang)] = truth.get(o)
        rows.append(row)
    ot = pd.DataFrame(rows)
    out.append(ctx.table(ot, name="dose_by_outcome", simulated=sim, title=_tr(
        "Wirkung je EUR je Einwohner auf weitere Zielgrößen (TWFE, Cluster-robust)",
        "Effect per EUR per resident on further outcomes (TWFE, cluster-robust)", lang),
        decimals={c: 3 for c in ot.columns if c not in (t("outcome", lang), t("n_obs", lang))},
        note=_tr("Wahlbeteiligung nur in Wahljahren (Bürgerschaft 2015, 2019, 2023; Bundestag 2013, 2017, "
                 "2021): weniger Beobachtungen, breitere Intervalle.",
                 "Turnout only in election years (Bürgerschaft 2015, 2019, 2023; Bundestag 2013, 2017, "
                 "2021): fewer observations, wider intervals.", lang), compact=True).html)
    return Html(out)


def diagnostics(ctx: ReportContext) -> Html:
    """Pre-trend tests, Goodman-Bacon decomposition, few-cluster warnings, sensitivity, SC."""
    lang = ctx.lang
    R = results(ctx)
    sim = ctx.simulated
    out = []
    pt = R["es"].extras.get("pretrend") or {}
    items = []
    if pt:
        ok = pt.get("pvalue", 0) >= 0.05
        items.append(_tr(
            f"<strong>Parallele Trends vor Förderbeginn</strong> (gemeinsamer Wald-Test der "
            f"{pt.get('df')} Vorperioden der Ereignisstudie): χ² = {fmt(pt.get('stat'), 1, lang)}, "
            f"p = {fmt(pt.get('pvalue'), 3, lang)}. "
            + ("Kein Hinweis auf unterschiedliche Trends vor der Förderung."
               if ok else "Die Vorperioden weichen gemeinsam von null ab: Ergebnisse vorsichtig lesen."),
            f"<strong>Parallel trends before funding</strong> (joint Wald test of the {pt.get('df')} "
            f"pre-periods of the event study): χ² = {fmt(pt.get('stat'), 1, lang)}, "
            f"p = {fmt(pt.get('pvalue'), 3, lang)}. "
            + ("No sign of different trends before funding." if ok
               else "The pre-periods jointly differ from zero: read the results with care."), lang))
    cpt = R["cs"].pretest()
    stat = cpt.get("stat")
    if stat is not None and np.isfinite(stat) and stat >= 0:
        items.append(_tr(
            f"Callaway & Sant'Anna, Wald-Test aller Vorperioden-ATT(g,t): χ² = {fmt(stat, 1, lang)} "
            f"({cpt.get('df')} Freiheitsgrade), p = {fmt(cpt.get('pvalue'), 3, lang)}.",
            f"Callaway & Sant'Anna, Wald test of all pre-period ATT(g,t): χ² = {fmt(stat, 1, lang)} "
            f"({cpt.get('df')} degrees of freedom), p = {fmt(cpt.get('pvalue'), 3, lang)}.", lang))
    else:
        items.append(_tr(
            "Callaway & Sant'Anna: der Wald-Test aller Vorperioden ist hier nicht berechenbar "
            "(Kovarianz der Vorperioden singulär; einzelne Kohorten mit nur einem Quartier); maßgeblich "
            "ist der Test der Ereignisstudie.",
            "Callaway & Sant'Anna: the Wald test of all pre-periods cannot be computed here (singular "
            "covariance of the pre-periods; cohorts with a single quartier); the event-study test applies.",
            lang))
    wild, dose = R["wild"], R["dose"]
    items.append(_tr(
        f"<strong>Wenige Cluster:</strong> Der Wild-Cluster-Bootstrap ({wild.extras.get('weights_type')}-"
        f"Gewichte, {wild.extras.get('reps')} Ziehungen, {wild.extras.get('n_treated_clusters', '?')} "
        f"geförderte Quartiere) gibt das Intervall {fmt_ci(wild.ci[0], wild.ci[1], 3, lang)} gegenüber "
        f"{fmt_ci(dose.ci[0], dose.ci[1], 3, lang)} mit Cluster-robusten Standardfehlern.",
        f"<strong>Few clusters:</strong> the wild cluster bootstrap ({wild.extras.get('weights_type')} "
        f"weights, {wild.extras.get('reps')} draws, {wild.extras.get('n_treated_clusters', '?')} funded "
        f"quartiers) gives the interval {fmt_ci(wild.ci[0], wild.ci[1], 3, lang)} against "
        f"{fmt_ci(dose.ci[0], dose.ci[1], 3, lang)} with cluster-robust standard errors.", lang))
    out.append(bullets(items))

    bac = R["bacon"]
    bt = bac.by_type.copy()
    typ = {"treated_vs_never": _tr("gefördert vs. nie gefördert", "funded vs never funded", lang),
           "earlier_vs_later": _tr("früher vs. später geförderte (vor deren Beginn)",
                                   "earlier vs later funded (before their start)", lang),
           "later_vs_earlier": _tr("später vs. bereits geförderte (problematisch)",
                                   "later vs already funded (problematic)", lang)}
    bt = pd.DataFrame({_tr("Vergleich", "Comparison", lang): [typ.get(x, x) for x in bt["type"]],
                       _tr("Gewicht", "Weight", lang): bt["weight"].astype(float),
                       t("estimate", lang): bt["estimate"].astype(float)})
    bad = float(bac.by_type.loc[bac.by_type["type"] == "later_vs_earlier", "weight"].sum())
    out.append(para(_tr(
        f"<strong>Goodman-Bacon-Zerlegung.</strong> Der TWFE-Schätzwert {fmt(bac.estimate, 2, lang, sign=True)} "
        f"ist ein gewichtetes Mittel einfacher Vergleiche. Vergleiche mit bereits geförderten Quartieren als "
        f"Kontrolle können bei wachsenden Wirkungen verzerren; ihr Gewicht beträgt hier "
        f"{fmt(100 * bad, 1, lang)} %.",
        f"<strong>Goodman-Bacon decomposition.</strong> The TWFE estimate {fmt(bac.estimate, 2, lang, sign=True)} "
        f"is a weighted mean of simple comparisons. Comparisons using already funded quartiers as controls "
        f"can bias it when effects grow; their weight here is {fmt(100 * bad, 1, lang)} %.", lang)))
    out.append(ctx.table(bt, name="bacon", simulated=sim, compact=True, title=_tr(
        "Goodman-Bacon-Zerlegung des TWFE-Schätzers (gefördert ja/nein)",
        "Goodman-Bacon decomposition of the TWFE estimate (funded yes/no)", lang),
        decimals={_tr("Gewicht", "Weight", lang): 3, t("estimate", lang): 3}).html)

    warns = []
    for key in ("dose", "wild", "twfe", "es", "cs", "sa", "bjs", "ri", "sc"):
        r = R.get(key)
        if r is None:
            continue
        warns += list(getattr(r, "warnings", ())) + ctx.warnings_of(f"r.{key}")
    warns = list(dict.fromkeys(w for w in warns if w))
    if warns:
        out.append(para(_tr("<strong>Hinweise der Schätzverfahren</strong> (wörtlich):",
                            "<strong>Notes from the estimators</strong> (verbatim):", lang)))
        out.append(bullets([esc(w) for w in warns[:10]], cls="estimator-notes"))

    out.append(_sensitivity(ctx))
    out.append(_synthetic_control(ctx))
    return Html(out)


def _pending(ctx: ReportContext, key: str, what_de: str, what_en: str, needs: str) -> str:
    ctx.pending.append(f"{key}: waiting for {needs}")
    ctx._write_index()
    return callout(_tr(f"<strong>Abschnitt noch nicht verfügbar:</strong> {what_de} – wartet auf "
                       f"<code>{needs}</code>.",
                       f"<strong>Section not yet available:</strong> {what_en} – waiting for "
                       f"<code>{needs}</code>.", ctx.lang), "pending")


def _sensitivity(ctx: ReportContext) -> str:
    """Sensitivity: HonestDiD bounds, placebo in time, leave-one-out (impact/sensitivity.py)."""
    funcs = {n: _optional("impact.sensitivity", n) for n in ("honest_did", "placebo_in_time",
                                                               "leave_one_out")}
    if not all(funcs.values()):
        missing = ", ".join(f"llq_analysis.impact.sensitivity.{n}" for n, f in funcs.items() if f is None)
        return _pending(ctx, "sensitivity", "Sensitivitätsanalysen (HonestDiD, Placebo, Auslassen "
                        "einzelner Quartiere)", "sensitivity analyses (HonestDiD, placebo, "
                        "leave-one-out)", missing)
    return _sensitivity_section(ctx, funcs)


def _sensitivity_section(ctx: ReportContext, funcs: dict) -> str:  # filled when sensitivity.py lands
    raise NotImplementedError


def _synthetic_control(ctx: ReportContext) -> str:
    from . import plots

    lang = ctx.lang
    R = results(ctx)
    if "sc" not in R:
        return _pending(ctx, "synthetic_control", f"Synthetische Kontrolle für {FLAGSHIP}",
                        f"synthetic control for {FLAGSHIP}", "llq_analysis.impact.synth.synthetic_control")
    sc = R["sc"]
    q = ctx.quartiers.set_index("quartier_id")
    name = f"{q.loc[FLAGSHIP, 'ortsteil']} ({q.loc[FLAGSHIP, 'city']})"
    g = int(impact_panel(ctx).loc[lambda d: d[UNIT] == FLAGSHIP, COHORT].iloc[0])
    n_placebo = len(sc.placebo) if sc.placebo is not None else 0
    out = [f"<h3>{_tr('Synthetische Kontrolle', 'Synthetic control', lang)}: {esc(name)}</h3>",
           para(_tr(
               f"Für ein einzelnes gefördertes Quartier bildet ein gewichteter Mix nie geförderter Quartiere "
               f"den Verlauf der SGB-II-Quote vor dem Förderbeginn {g} nach (mittlere Abweichung vor "
               f"Beginn, RMSPE: {fmt(sc.pre_rmspe, 2, lang)} Prozentpunkte). Danach liegt {esc(name)} im "
               f"Mittel {fmt(sc.estimate, 2, lang, sign=True)} Prozentpunkte unter dieser Synthese. "
               f"Placebo-Test: Jedes der {n_placebo} Vergleichsquartiere wird einmal als „gefördert“ "
               f"behandelt; der Permutations-p-Wert beträgt {fmt(sc.pvalue, 3, lang)} "
               f"(kleinstmöglich: {fmt(1 / (n_placebo + 1), 3, lang)}). Ein einzelnes Quartier ist "
               f"verrauscht: Das Ergebnis ergänzt die Schätzungen über alle Quartiere, ersetzt sie nicht.",
               f"For a single funded quartier, a weighted mix of never-funded quartiers reproduces the "
               f"path of the SGB II rate before funding starts in {g} (mean deviation before the start, "
               f"RMSPE: {fmt(sc.pre_rmspe, 2, lang)} percentage points). Afterwards {esc(name)} lies on "
               f"average {fmt(sc.estimate, 2, lang, sign=True)} percentage points below this synthesis. "
               f"Placebo test: each of the {n_placebo} comparison quartiers is treated as “funded” once; "
               f"the permutation p-value is {fmt(sc.pvalue, 3, lang)} (smallest possible: "
               f"{fmt(1 / (n_placebo + 1), 3, lang)}). A single quartier is noisy: the result "
               f"complements the estimates over all quartiers, it does not replace them.", lang))]
    w = sc.weights
    w = w[w >= 0.01].sort_values(ascending=False)
    wt = pd.DataFrame({
        _tr("Vergleichsquartier", "comparison quartier", lang):
            [f"{q.loc[u, 'ortsteil']} ({q.loc[u, 'stadtteil']})" if u in q.index else str(u) for u in w.index],
        t("city", lang): [q.loc[u, "city"] if u in q.index else "" for u in w.index],
        _tr("Gewicht", "weight", lang): w.to_numpy(dtype=float),
    })
    out.append(ctx.table(wt, name="synthetic_control_weights", simulated=ctx.simulated, compact=True,
                         title=_tr(f"Gewichte der synthetischen Kontrolle für {name} (ab 1 %)",
                                   f"Weights of the synthetic control for {name} (from 1 %)", lang),
                         decimals={_tr("Gewicht", "weight", lang): 3}).html)
    if hasattr(plots, "synth_plot"):
        out.append(ctx.figure(sc.plot(lang=lang), name="synthetic_control", simulated=ctx.simulated,
                              title=_tr(f"{name}: tatsächlicher und synthetischer Verlauf, Lücken der Placebos",
                                        f"{name}: actual and synthetic path, gaps of the placebos", lang)).html)
    else:
        out.append(_pending(ctx, "synthetic_control_plot", "Abbildung der synthetischen Kontrolle",
                            "synthetic control chart", "llq_analysis.plots.synth_plot"))
    return "\n".join(out)


# ============================================================================= before / after
def ba_windows(ctx: ReportContext) -> tuple[tuple[int, int], tuple[int, int]]:
    """Three years before the first funding year (leaving out the year just before) and the last
    three years: (2017, 2019) and (2022, 2024) on the bundled panel."""
    p = ctx.panel
    g = pd.to_numeric(p[COHORT]).fillna(0)
    first = int(g[g > 0].min()) if (g > 0).any() else int(p[TIME].max())
    last = int(p[TIME].max())
    return (first - 4, first - 2), (max(first + 1, last - 2), last)


def before_after_result(ctx: ReportContext):
    from .before_after import compare_before_after

    pre, post = ba_windows(ctx)
    return ctx.cached("ba", lambda: compare_before_after(
        ctx.panel, indicator=MAIN_OUTCOME, funded="llq_funded", pre=pre, post=post,
        comparison="matched", reps=_reps(ctx, 1999), seed=ctx.seed, lang=ctx.lang))


def before_after(ctx: ReportContext) -> Html:
    """Funded vs matched comparison quartiers before and after (``llq.compare_before_after``)."""
    lang = ctx.lang
    ba = before_after_result(ctx)
    sim = ctx.simulated
    tab = ba.table
    lab = {"funded": _tr("geförderte Quartiere", "funded quartiers", lang),
           "comparison": _tr("Vergleichsquartiere", "comparison quartiers", lang),
           "difference": _tr("Differenz", "difference", lang)}
    yb = "–".join(str(y) for y in (min(ba.years["before"]), max(ba.years["before"])))
    ya = "–".join(str(y) for y in (min(ba.years["after"]), max(ba.years["after"])))
    rows = []
    for g in ("funded", "comparison", "difference"):
        def val(period, col="value", g=g):
            r = tab[(tab["group"] == g) & (tab["period"] == period)]
            return float(r[col].iloc[0]) if len(r) else float("nan")
        rows.append({
            _tr("Gruppe", "Group", lang): lab[g],
            _tr(f"vorher {yb} (%)", f"before {yb} (%)", lang): val("before"),
            _tr(f"nachher {ya} (%)", f"after {ya} (%)", lang): val("after"),
            _tr("Veränderung (Pp)", "change (pp)", lang): val("change"),
            _tr("95 %-KI unten", "95 % CI low", lang): val("change", "ci_low"),
            _tr("95 %-KI oben", "95 % CI high", lang): val("change", "ci_high"),
            _tr("Anzahl Quartiere", "number of quartiers", lang): int(val("change", "n_quartiers")),
        })
    bt = pd.DataFrame(rows)
    out = [para(esc(ba.summary(lang)).replace("\n", "<br>").replace("-&gt;", "→"))]
    out.append(ctx.table(bt, name="before_after", simulated=sim, title=_tr(
        "SGB-II-Quote vorher und nachher: geförderte und ähnliche nicht geförderte Quartiere",
        "SGB II rate before and after: funded and similar unfunded quartiers", lang),
        decimals={c: 2 for c in bt.columns[1:6]}, bold_rows=[False, False, True],
        note=_tr("Mittel über Quartiere (jedes Quartier zählt gleich). Intervall: Bootstrap über die "
                 "Paare aus gefördertem Quartier und Vergleichsquartier.",
                 "Means over quartiers (each quartier counts once). Interval: bootstrap over the pairs "
                 "of funded and comparison quartier.", lang)).html)
    out.append(ctx.figure(ba.plot(lang=lang), name="before_after", simulated=sim, title=_tr(
        "Verlauf, Niveau und Veränderung der SGB-II-Quote: geförderte und Vergleichsquartiere",
        "Trend, level and change of the SGB II rate: funded and comparison quartiers", lang)).html)
    if ba.matches is not None and len(ba.matches):
        names = dict(zip(ctx.quartiers["quartier_id"], ctx.quartiers["ortsteil"], strict=True))
        m = ba.matches
        fcol = next(c for c in m.columns if c.startswith("funded") or c == "quartier_id")
        ccol = next(c for c in m.columns if c.startswith("comparison") or c.startswith("match"))
        mt = pd.DataFrame({
            _tr("gefördertes Quartier", "funded quartier", lang): [names.get(q, q) for q in m[fcol]],
            _tr("Vergleichsquartier", "comparison quartier", lang): [names.get(q, q) for q in m[ccol]],
            _tr("gleiche Stadt", "same city", lang): [_tr("ja", "yes", lang) if s else _tr("nein", "no", lang)
                                                      for s in m.get("same_city", [True] * len(m))],
        })
        out.append(ctx.table(mt, name="matches", compact=True, title=_tr(
            "Welche Vergleichsquartiere? (ähnlichstes Ausgangsniveau und ähnlichster Trend vor der Förderung)",
            "Which comparison quartiers? (most similar starting level and trend before funding)", lang)).html)
    return Html(out)


# ============================================================================= scenarios
def scenario_comparison(ctx: ReportContext):
    """``llq.compare_scenarios`` for baseline + the given scenarios with the estimated effects."""
    from .projection import compare_scenarios
    from .scenarios import load_scenario

    R = results(ctx)

    def run():
        scen = {}
        for pth in ctx.scenario_paths:
            s = load_scenario(pth)
            scen[s.name] = s
        effect = {MAIN_OUTCOME: R["dose"]}
        if "dose.sgb2_rate_u15" in R:
            effect["sgb2_rate_u15"] = R["dose.sgb2_rate_u15"]
        return compare_scenarios(scen, ctx.quartiers, panel=ctx.panel, effect=effect,
                                 draws=_reps(ctx, 2000), seed=ctx.seed)
    return ctx.cached("scenarios", run)


def scenarios(ctx: ReportContext) -> Html:
    """Money, targeting and projected effects (with intervals) of every scenario."""
    from . import plots
    from .scenarios import load_scenario

    lang = ctx.lang
    sim = ctx.simulated
    comp = scenario_comparison(ctx)
    loaded = [load_scenario(pth) for pth in ctx.scenario_paths]
    out = []
    desc = []
    for s in loaded:
        d = s.describe(lang)
        desc.append(f"<strong>{esc(s.title)}</strong> (<code>{esc(s.name)}</code>): "
                    + esc(d).replace("\n", "<br>"))
    out.append(bullets(desc, cls="scenario-list"))

    money = comp.money
    targ = comp.targeting
    rows = []
    for s in comp.scenarios:
        row = {_tr("Szenario", "Scenario", lang): s}
        for c in [c for c in money["city"].unique()]:
            m = money[(money["scenario"] == s) & (money["city"] == c)].iloc[0]
            row[f"{c} (EUR)"] = float(m["amount_eur"])
            row[f"{c} ({_tr('EUR je Einw.', 'EUR per res.', lang)})"] = float(m["eur_per_capita"])
        tt = targ[(targ["scenario"] == s) & (targ["area"] == targ["area"].iloc[-1])]
        if len(tt):
            row[_tr("Anteil an bedürftigstes Fünftel (%)", "share to neediest fifth (%)", lang)] = \
                100 * float(tt["share_neediest_fifth"].iloc[0])
            row[_tr("Konzentrationsindex", "concentration index", lang)] = float(tt["concentration_index"].iloc[0])
        rows.append(row)
    mt = pd.DataFrame(rows)
    dec = {c: (0 if c.endswith("(EUR)") else 2) for c in mt.columns[1:]}
    out.append(ctx.table(mt, name="scenario_money", title=_tr(
        "Geld je Stadt und Zielgenauigkeit der Szenarien", "Money per city and targeting of the scenarios",
        lang), decimals=dec, note=_tr(
        "Zielgenauigkeit gemessen am Bedarfsindex des Basisszenarios (z-standardisierte Indikatoren). "
        "Konzentrationsindex > 0: Geld fließt eher in bedürftigere Quartiere.",
        "Targeting measured by the baseline's need index (z-standardised indicators). Concentration "
        "index > 0: money goes rather to needier quartiers.", lang), simulated=sim).html)

    eff = comp.effects
    if len(eff):
        rows = []
        for _, e in eff.iterrows():
            rows.append({
                _tr("Szenario", "Scenario", lang): e["scenario"],
                t("city", lang): e["city"],
                t("outcome", lang): t(e["outcome"], lang),
                _tr("Veränderung (Pp)", "change (pp)", lang): float(e["change_pp"]),
                _tr("Pp: 95 %-Intervall unten", "pp: 95 % interval low", lang): float(e["change_pp_low"]),
                _tr("Pp: 95 %-Intervall oben", "pp: 95 % interval high", lang): float(e["change_pp_high"]),
                _tr("Veränderung, Personen (Projektion, gerundet auf 10)",
                    "change, persons (projection, rounded to 10)", lang): _round10(e.get("persons")),
                _tr("Personen: Intervall unten", "persons: interval low", lang): _round10(e.get("persons_low")),
                _tr("Personen: Intervall oben", "persons: interval high", lang): _round10(e.get("persons_high")),
            })
        et = pd.DataFrame(rows)
        out.append(ctx.table(et, name="scenario_effects", simulated=sim, compact=True, title=_tr(
            "Projizierte Veränderung je Szenario und Stadt (mit 95-%-Intervallen)",
            "Projected change per scenario and city (with 95 % intervals)", lang),
            decimals={c: 2 for c in et.columns[3:6]}, note=_tr(
            "Projektion aus der geschätzten Wirkung je EUR/Einwohner; die Intervalle zeigen nur die "
            "Unsicherheit dieser Schätzung, nicht die der Daten oder des Modells. Personen: "
            "modellierte Veränderung, keine Zählung.",
            "Projection from the estimated effect per EUR/resident; intervals show only the "
            "uncertainty of that estimate, not of the data or the model. Persons: modelled change, "
            "not a count.", lang)).html)
    diff = comp.differences
    if len(diff):
        d = diff[diff["scenario"] != diff["reference"]]
        if len(d):
            rows = [{
                _tr("Szenario", "Scenario", lang): r["scenario"],
                t("city", lang): r["city"],
                t("outcome", lang): t(r["outcome"], lang),
                _tr("Differenz zum Basisszenario", "difference to baseline", lang): float(r["difference"]),
                _tr("95 %-Intervall unten", "95 % interval low", lang): float(r["difference_low"]),
                _tr("95 %-Intervall oben", "95 % interval high", lang): float(r["difference_high"]),
                _tr("Einheit", "unit", lang): (_tr("Personen", "persons", lang) if r["unit"] == "persons"
                                               else _tr("Pp", "pp", lang)),
                _tr("Wahrscheinlichkeit besser (%)", "probability better (%)", lang): 100 * float(r["p_better"]),
            } for _, r in d.iterrows()]
            dt = pd.DataFrame(rows)
            out.append(ctx.table(dt, name="scenario_differences", simulated=sim, compact=True, title=_tr(
                "Unterschied jedes Szenarios zum Basisszenario (gepaarte Ziehungen)",
                "Difference of each scenario to the baseline (paired draws)", lang),
                decimals={c: 1 for c in dt.columns[3:6]}).html)
    for kind, title in (("money", _tr("Mittel je Einwohner nach Stadt und Szenario",
                                      "Money per resident by city and scenario", lang)),
                        ("effects", _tr("Projizierte Veränderung der SGB-II-Quote mit 95-%-Intervallen",
                                        "Projected change in the SGB II rate with 95 % intervals", lang))):
        fname = {"money": "scenario_money_plot", "effects": "scenario_effects_plot"}[kind]
        if hasattr(plots, fname):
            out.append(ctx.figure(comp.plot(kind, lang=lang), name=f"scenario_{kind}", title=title,
                                  simulated=sim).html)
        else:
            out.append(_pending(ctx, f"scenario_plot_{kind}", title, title, f"llq_analysis.plots.{fname}"))
    if comp.warnings:
        out.append(para(_tr("Hinweise der Projektion:", "Notes from the projection:", lang)))
        out.append(bullets([esc(w) for w in comp.warnings[:8]], cls="estimator-notes"))
    return Html(out)


def _round10(x: Any) -> float | None:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return float(10 * round(float(x) / 10))


# ============================================================================= summary
def summary(ctx: ReportContext) -> Html:
    """One page for decision makers: key figures and plain-language messages."""
    lang = ctx.lang
    R = results(ctx)
    ba = before_after_result(ctx)
    dose, cs, wild = R["dose"], R["cs"], R["wild"]
    llq = _llq_funding(ctx)
    last = int(llq["year"].max())
    by_city = llq[llq["year"] == last].groupby("city")["amount_eur"].sum()
    total = float(by_city.sum())
    p = ctx.panel
    funded = p.groupby(UNIT)["llq_funded"].first().astype(bool)
    mean_dose = float(impact_panel(ctx).loc[lambda d: d[DOSE] > 0, DOSE].mean())

    def box(value, label, detail=""):
        return (f'<div class="key-figure"><span class="value">{value}</span><span class="label">{label}'
                f'</span><span class="detail">{detail}</span></div>')

    boxes = [
        box(f"{fmt(total / 1e6, 1, lang)} Mio. EUR" if lang == "de" else f"EUR {fmt(total / 1e6, 1, lang)} m",
            _tr(f"LLQ-Budget {last} je Jahr", f"LLQ budget {last} per year", lang),
            " · ".join(f"{c} {fmt(v / 1e6, 1, lang)}" for c, v in by_city.items())
            + _tr(" Mio. (veröffentlicht)", " m (published)", lang)),
        box(f"{int(funded.sum())} / {len(funded)}",
            _tr("geförderte Quartiere (Ortsteile)", "funded quartiers (Ortsteile)", lang),
            _tr(f"im Mittel {fmt(mean_dose, 1, lang)} EUR je Einwohner und Jahr",
                f"on average {fmt(mean_dose, 1, lang)} EUR per resident and year", lang)),
        box(f"{fmt(dose.estimate, 2, lang, sign=True)} Pp" if lang == "de" else f"{fmt(dose.estimate, 2, lang, sign=True)} pp",
            _tr("SGB-II-Quote je EUR/Einwohner", "SGB II rate per EUR/resident", lang),
            _tr(f"95 %: {fmt_ci(wild.ci[0], wild.ci[1], 2, lang)} (Wild-Bootstrap)",
                f"95 %: {fmt_ci(wild.ci[0], wild.ci[1], 2, lang)} (wild bootstrap)", lang)),
        box(f"{fmt(cs.estimate, 1, lang, sign=True)} Pp" if lang == "de" else f"{fmt(cs.estimate, 1, lang, sign=True)} pp",
            _tr("geförderte vs. nicht geförderte Quartiere", "funded vs unfunded quartiers", lang),
            _tr(f"Callaway & Sant'Anna, 95 %: {fmt_ci(cs.ci[0], cs.ci[1], 1, lang)}",
                f"Callaway & Sant'Anna, 95 %: {fmt_ci(cs.ci[0], cs.ci[1], 1, lang)}", lang)),
        box(f"{fmt(ba.estimate, 1, lang, sign=True)} Pp" if lang == "de" else f"{fmt(ba.estimate, 1, lang, sign=True)} pp",
            _tr("Vorher-Nachher gegenüber Vergleichsquartieren", "before/after against comparison quartiers", lang),
            _tr(f"95 %: {fmt_ci(ba.ci[0], ba.ci[1], 1, lang)} (beschreibend)",
                f"95 %: {fmt_ci(ba.ci[0], ba.ci[1], 1, lang)} (descriptive)", lang)),
    ]
    msgs = []
    comp = None
    try:
        comp = scenario_comparison(ctx)
    except Exception as exc:  # noqa: BLE001 - the scenario section reports the error itself
        msgs.append(esc(f"Szenarien: {exc}" if lang == "de" else f"Scenarios: {exc}"))
    best = None
    if comp is not None and len(comp.differences):
        d = comp.differences
        d = d[(d["scenario"] != d["reference"]) & (d["outcome"] == MAIN_OUTCOME) & (d["city"] == d["city"].iloc[-1])]
        if len(d):
            best = d.sort_values("difference").iloc[0]
            boxes.append(box(
                f"{fmt(_round10(best['difference']), 0, lang, sign=True)}",
                _tr(f"Personen in SGB II: „{esc(best['scenario'])}“ gegenüber Basis",
                    f"persons in SGB II: “{esc(best['scenario'])}” vs baseline", lang),
                _tr(f"95 %: {fmt_ci(_round10(best['difference_low']), _round10(best['difference_high']), 0, lang)} "
                    f"(Projektion)", f"95 %: {fmt_ci(_round10(best['difference_low']), _round10(best['difference_high']), 0, lang)} "
                    f"(projection)", lang)))
    pt = R["es"].extras.get("pretrend") or {}
    msgs = [
        _tr(f"<strong>Wirkung:</strong> Mehr LLQ-Geld je Einwohner geht mit einer niedrigeren SGB-II-Quote "
            f"einher: {fmt(-dose.estimate, 2, lang)} Prozentpunkte weniger je Euro und Einwohner, bei der "
            f"üblichen Förderung von {fmt(mean_dose, 0, lang)} EUR also etwa {fmt(-dose.estimate * mean_dose, 1, lang)} "
            f"Prozentpunkte. Alle Verfahren (Tabelle im Kapitel 4) zeigen in dieselbe Richtung.",
            f"<strong>Effect:</strong> more LLQ money per resident goes with a lower SGB II rate: "
            f"{fmt(-dose.estimate, 2, lang)} percentage points less per euro and resident, so about "
            f"{fmt(-dose.estimate * mean_dose, 1, lang)} percentage points at the usual {fmt(mean_dose, 0, lang)} EUR. "
            f"All methods (table in chapter 4) point the same way.", lang),
        _tr(f"<strong>Belastbarkeit:</strong> Vor Förderbeginn verliefen geförderte und nicht geförderte "
            f"Quartiere {'ähnlich' if pt.get('pvalue', 0) >= 0.05 else 'nicht ganz parallel'} (Test: p = "
            f"{fmt(pt.get('pvalue'), 2, lang)}). Mit wenigen geförderten Quartieren, vor allem in Bremerhaven, "
            f"bleiben die Intervalle breit; andere Programme (WiN) wirken in denselben Quartieren.",
            f"<strong>Robustness:</strong> before funding, funded and unfunded quartiers developed "
            f"{'similarly' if pt.get('pvalue', 0) >= 0.05 else 'not quite in parallel'} (test: p = "
            f"{fmt(pt.get('pvalue'), 2, lang)}). With few funded quartiers, especially in Bremerhaven, "
            f"intervals stay wide; other programmes (WiN) act in the same quartiers.", lang),
    ]
    if best is not None:
        msgs.append(_tr(
            f"<strong>Szenarien:</strong> Von den geprüften Aufteilungen verringert „{esc(best['scenario'])}“ "
            f"die Zahl der Personen in SGB-II-Bedarfsgemeinschaften am stärksten gegenüber der heutigen "
            f"Aufteilung (Wahrscheinlichkeit, besser zu sein: {fmt(100 * best['p_better'], 0, lang)} %). "
            f"Das ist eine Projektion aus der geschätzten Wirkung, keine Prognose.",
            f"<strong>Scenarios:</strong> of the splits examined, “{esc(best['scenario'])}” reduces the number of "
            f"persons in SGB II households most against today's split (probability of being better: "
            f"{fmt(100 * best['p_better'], 0, lang)} %). This is a projection from the estimated effect, not a "
            f"forecast.", lang))
    if ctx.simulated:
        msgs.append(_tr(
            "<strong>Wichtig:</strong> Die Quartierswerte sind simuliert (mit bekannter eingebauter Wirkung). "
            "Der Bericht zeigt, wie die Evaluation mit echten Daten aussehen wird, und belegt, dass die "
            "Verfahren eine bekannte Wirkung wiederfinden. Für die Entscheidung über die Fortsetzung sind "
            "die echten kleinräumigen Daten (Statistik der BA, Statistisches Landesamt) nötig.",
            "<strong>Important:</strong> the quartier values are simulated (with a known built-in effect). "
            "The report shows what the evaluation will look like with real data and demonstrates that the "
            "methods recover a known effect. The decision on continuation needs the real small-area data "
            "(Federal Employment Agency statistics, State Statistical Office).", lang))
    parts = [f'<div class="key-figures">{"".join(boxes)}</div>',
             bullets(msgs, cls="summary-list")]
    if ctx.simulated:
        parts.insert(0, f'<p class="summary-sim"><span class="sim-badge">{t("simulated_mark", lang)}</span> '
                     + _tr("Alle Wirkungszahlen dieser Seite beruhen auf simulierten Daten.",
                           "All effect figures on this page rest on simulated data.", lang) + "</p>")
    return Html(parts)


# ============================================================================= reproducibility
def reproducibility(ctx: ReportContext) -> Html:
    """How to make this report again, and what was written."""
    lang = ctx.lang
    scen = " ".join(f"--scenario {pth.relative_to(paths.PROJECT_DIR) if pth.is_relative_to(paths.PROJECT_DIR) else pth}"
                    for pth in ctx.scenario_paths)
    data = "" if ctx.data_label == "data/panel.csv" else f" --data {ctx.data_label}"
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
