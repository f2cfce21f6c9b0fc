"""Machinery of the report contents: the context, tables (disclosed, exported), figures, formatting.

:meth:`ReportContext.table` discloses (:func:`llq_analysis.outputs.disclosure.disclose`), exports (CSV,
byte-deterministic XLSX) and renders every table; :meth:`ReportContext.figure` stamps, saves (SVG)
and renders every figure. :func:`start` loads and validates the inputs.
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

from .... import paths
from ....i18n import t
from ...disclosure import MARK, disclose

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
        from ....impact.results import data_provenance

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
        :func:`~llq_analysis.outputs.disclosure.disclose`; ``decimals`` sets the shown decimals per
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
    def draw(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """Call a plotting function with numpy's global RNG seeded from the report seed.

        seaborn's jitter (strip plots) draws from the global RNG; seeding here makes every figure
        byte-identical across runs.
        """
        np.random.seed(self.seed % 2**32)
        return fn(*args, **kwargs)

    def figure(self, fig, *, name: str, title: str, simulated: bool = False,
               note: str | None = None, size: str = "full") -> Html:
        """Stamp (if simulated), serialise as SVG, save under ``figures/`` and render."""
        import matplotlib.pyplot as plt

        from ...plots import mark_simulated

        if simulated and not getattr(fig, "_llq_marked", False):
            if not any(t("simulated_mark", self.lang) == txt.get_text() for txt in fig.texts):
                mark_simulated(fig, "simulated", self.lang)
        for txt in fig.texts:  # the stamp goes just below the axes, never over tick labels
            if txt.get_text() == t("simulated_mark", self.lang):
                txt.set_position((0.99, -0.015))
                txt.set_verticalalignment("top")
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
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook")  # as plots._plt(): same style in every figure

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
    from ....data.loaders import load_funding, load_panel, load_quartiers

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


def _reps(ctx: ReportContext, full: int) -> int:
    return max(99, full // 10) if ctx.fast else full


def _optional(module: str, name: str):
    """The package function ``name`` of ``llq_analysis.<module>``, or None while it does not exist."""
    import importlib

    try:
        mod = importlib.import_module(f"llq_analysis.{module}")
    except ImportError:
        return None
    return getattr(mod, name, None)


def _pending(ctx: ReportContext, key: str, what_de: str, what_en: str, needs: str) -> str:
    ctx.pending.append(f"{key}: waiting for {needs}")
    ctx._write_index()
    return callout(_tr(f"<strong>Abschnitt noch nicht verfügbar:</strong> {what_de} – wartet auf "
                       f"<code>{needs}</code>.",
                       f"<strong>Section not yet available:</strong> {what_en} – waiting for "
                       f"<code>{needs}</code>.", ctx.lang), "pending")
