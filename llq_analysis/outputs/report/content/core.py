"""Machinery of the report contents: the context, tables (disclosed, exported) and figures.

:meth:`ReportContext.table` discloses (:func:`llq_analysis.outputs.disclosure.disclose`), exports (CSV,
byte-deterministic XLSX) and renders every table; :meth:`ReportContext.figure` stamps, saves (SVG)
and renders every figure. :func:`start` loads and validates the inputs.
"""

from __future__ import annotations

import io
import json
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .... import paths
from ....i18n import t
from ...disclosure import MARK, disclose
from .export import (
    _clean_svg,
    _default_decimals,
    _disclosure_note,
    _export_frame,
    _hyphenate,
    _is_number,
    _strip_tags,
    _wbr,
    _write_xlsx,
)
from .markup import (
    Html,
    _tr,
    callout,
    esc,
    fmt,
)

DEFAULT_SEED = 20200901  # the day the Senate adopted LLQ; seeds bootstrap and projection draws
MAIN_OUTCOME = "sgb2_rate"

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
    from ....data.loaders import load_demo_panel, load_funding, load_panel, load_quartiers

    if lang not in ("de", "en"):
        raise ValueError(f"lang must be 'de' or 'en', got {lang!r}")
    _setup_plotting()
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=FutureWarning)
    panel = load_panel(data) if data is not None else load_demo_panel()
    label = (str(Path(data).name) if data is not None else "data/demo_panel.csv")
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
