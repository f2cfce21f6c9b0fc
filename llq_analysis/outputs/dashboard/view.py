"""The explorer's view: the ipywidgets layout (controls left, outputs right), its labels in the
current language, and the page's CSS. Mixed into :class:`~.explorer.ScenarioExplorer`."""

from __future__ import annotations

import html
from typing import Any

from ...i18n import t
from .controls import (
    CITIES,
    EFFECT_OUTCOMES,
    NEED_KEYS,
    RETURNS_CHOICES,
    RULE_CHOICES,
    TOTAL,
    _strands,
)


class _ViewMixin:
    """Layout methods of :class:`~.explorer.ScenarioExplorer` (``_build``, ``_relabel``)."""

    def _build(self) -> None:
        import ipywidgets as w

        L = w.Layout
        self._texts: list[tuple[Any, str, str]] = []  # (widget, attribute, label key)

        def label(key: str, cls: str = "llq-label") -> w.HTML:
            h = w.HTML(t(key, self.lang))
            h.add_class(cls)
            self._texts.append((h, "value", key))
            return h

        def slider(kind, cls, **kw):
            s = kind(continuous_update=False, layout=L(width="95%"), **kw)
            s.add_class(cls)
            s.observe(self._on_change, names="value")
            return s

        # 1. city split (the first control)
        self.w_split = slider(w.FloatSlider, "llq-city-split", min=0.0, max=1.0, step=0.01,
                              readout_format=".0%")
        self.w_split_txt = w.HTML()
        self.w_split_txt.add_class("llq-split-readout")
        # 2. total budget
        self.w_total = w.BoundedIntText(min=0, max=50_000_000, step=50_000, continuous_update=False,
                                        layout=L(width="95%"))
        self.w_total.add_class("llq-total")
        self.w_total.observe(self._on_change, names="value")
        # 3. strands
        self.w_strands: dict[str, dict[str, Any]] = {}
        strand_rows = []
        for city in CITIES:
            self.w_strands[city] = {}
            strand_rows.append(w.HTML(f"<b>{city}</b>"))
            for s, node in _strands(self.base.tree, city).items():
                sl = w.FloatSlider(min=0.0, max=1.0, step=0.01, readout_format=".1%", continuous_update=False,
                                   description=str(node.get("label", s))[:40], tooltip=str(node.get("label", s)),
                                   style={"description_width": "190px"}, layout=L(width="95%"))
                sl.add_class("llq-strand-share")
                sl.observe(lambda ch, c=city, k=s: self._on_strand(ch, c, k), names="value")
                self.w_strands[city][s] = sl
                strand_rows.append(sl)
        # 4. rule and need weights
        self.w_rule = w.Dropdown(layout=L(width="95%"))
        self.w_rule.add_class("llq-rule")
        self.w_rule.observe(self._on_change, names="value")
        self.w_base_share = slider(w.FloatSlider, "llq-base-share", min=0.0, max=1.0, step=0.05,
                                   readout_format=".0%")
        self.w_need = {}
        for k in NEED_KEYS:
            self.w_need[k] = slider(w.FloatSlider, "llq-need-weight", min=0.0, max=3.0, step=0.25,
                                    readout_format=".2f", style={"description_width": "190px"})
        # 5. floors and caps
        self.w_floor = slider(w.IntSlider, "llq-floor", min=0, max=100_000, step=1_000)
        self.w_cap = slider(w.IntSlider, "llq-cap", min=0, max=500_000, step=5_000)
        # 6. effect and horizon
        self.w_effect = w.ToggleButtons(layout=L(width="95%"))
        self.w_effect.add_class("llq-effect-mode")
        self.w_effect.observe(self._on_change, names="value")
        self.w_effect_src = w.HTML()
        self.w_assumed = {o: slider(w.FloatSlider, "llq-assumed", min=-1.0, max=1.0, step=0.01,
                                    readout_format=".2f", style={"description_width": "190px"})
                          for o in EFFECT_OUTCOMES}
        self.w_assumed_se = slider(w.IntSlider, "llq-assumed-se", min=0, max=200, step=5)
        self.w_returns = w.Dropdown(layout=L(width="95%"))
        self.w_returns.observe(self._on_change, names="value")
        self.w_lag = slider(w.IntSlider, "llq-lag", min=0, max=5, step=1)
        self.w_horizon = slider(w.IntSlider, "llq-horizon", min=0, max=10, step=1)
        self.assumed_box = w.VBox([label("dash.assumed_value"), *self.w_assumed.values(),
                                   label("dash.assumed_se"), self.w_assumed_se])
        # actions
        self.w_reset = w.Button(icon="undo", layout=L(width="auto"))
        self.w_reset.add_class("llq-reset")
        self.w_reset.on_click(lambda _b: self.reset())
        self.w_download = w.HTML()
        self.w_download.add_class("llq-download")
        self.w_lang = w.ToggleButtons(options=[("Deutsch", "de"), ("English", "en")], value=self.lang,
                                      style={"button_width": "80px"})
        self.w_lang.add_class("llq-lang")
        self.w_lang.observe(lambda ch: self.set_lang(ch.new), names="value")
        self.hybrid_box = w.VBox([label("dash.base_share"), self.w_base_share])

        controls = w.VBox([
            label("dash.city_split", "llq-label llq-first"), self.w_split, self.w_split_txt,
            label("dash.total"), self.w_total,
            label("dash.strands"), *strand_rows,
            label("dash.sec_rule", "llq-section"), label("dash.rule"), self.w_rule, label("dash.rule_note", "llq-note"),
            self.hybrid_box, label("dash.need_weights"), *self.w_need.values(),
            label("dash.floor"), self.w_floor, label("dash.cap"), self.w_cap,
            label("dash.sec_effect", "llq-section"), label("dash.effect"), self.w_effect, self.w_effect_src,
            self.assumed_box, label("dash.returns"), self.w_returns, label("dash.lag"), self.w_lag,
            label("dash.horizon"), self.w_horizon,
            w.HBox([self.w_reset, self.w_lang]), self.w_download,
        ], layout=L(width="420px", min_width="340px"))
        controls.add_class("llq-controls")

        # outputs
        self.o_title = w.HTML()
        self.o_sim = w.HTML()
        self.o_sim.add_class("llq-simulated")
        self.o_message = w.HTML(layout=L(display="none"))
        self.o_message.add_class("llq-message")
        self.o_city = {c: w.HTML() for c in (*CITIES, TOTAL)}
        for c, cls in zip((*CITIES, TOTAL), ("llq-bremen-amount", "llq-bremerhaven-amount", "llq-total-amount"),
                          strict=True):
            self.o_city[c].add_class(cls)
            self.o_city[c].add_class("llq-city-card")
        self.o_summary = w.HTML()
        self.o_summary.add_class("llq-summary")
        self.o_projection = w.HTML()
        self.o_projection.add_class("llq-projection-table")
        self.o_chart = w.Image(format="png", layout=L(width="100%", max_width="900px"))
        self.o_chart.add_class("llq-chart")
        self.o_table = w.HTML()
        self.o_table.add_class("llq-quartier-table")
        self.o_notes = w.HTML()
        self.o_notes.add_class("llq-notes")
        outputs = w.VBox([self.o_message, w.HBox(list(self.o_city.values())), self.o_summary,
                          self.o_projection, self.o_chart, self.o_table, self.o_notes],
                         layout=L(flex="1 1 520px", min_width="0", padding="0 0 0 16px"))
        outputs.add_class("llq-outputs")
        style = w.HTML(_CSS)
        self.widget = w.VBox([style, w.HBox([self.o_title, self.o_sim]),
                              w.HBox([controls, outputs], layout=L(flex_flow="row wrap"))])
        self.widget.add_class("llq-explorer")
        self._relabel()

    def _relabel(self) -> None:
        """(Re)write every label in the current language."""
        lang = self.lang
        for wdg, attr, key in self._texts:
            setattr(wdg, attr, t(key, lang))
        self.o_title.value = f"<h2 class='llq-title'>{html.escape(t('dash.title', lang))}</h2>"
        self.o_sim.value = ("<span class='llq-sim-badge' title='{}'>{}</span>".format(
            html.escape(t("dash.sim_note", lang)), html.escape(t("simulated_mark", lang)))
            if self.provenance in ("simulated", "mixed") else "")
        with self._holding():  # new option labels, same values
            for wdg, opts in ((self.w_rule, [(t(f"rule.{r}", lang), r) for r in RULE_CHOICES]),
                              (self.w_returns, [(t(f"returns.{r}", lang), r) for r in RETURNS_CHOICES]),
                              (self.w_effect, [(t("dash.effect_estimated", lang), "estimated"),
                                               (t("dash.effect_assumed", lang), "assumed")])):
                keep = wdg.value
                wdg.options = opts
                if keep is not None:
                    wdg.value = keep
        for k, s in self.w_need.items():
            s.description = t(f"need.{k}", lang)
        for o, s in self.w_assumed.items():
            s.description = t(o, lang).split(" (")[0]
        self.w_reset.description = t("dash.reset", lang)
        self.w_effect_src.value = "<span class='llq-note'>{}</span>".format(html.escape(
            t("dash.effect_source", lang).format(label=self.effects[EFFECT_OUTCOMES[0]].get("label", "?"),
                                                 prov=t("simulated_mark", lang) if self.provenance == "simulated"
                                                 else self.provenance)
            if self.effects else t("dash.effect_missing", lang)))


_CSS = """<style>
.llq-explorer { font-family: system-ui, sans-serif; }
.llq-title { margin: 4px 0 8px 0; }
.llq-sim-badge { display:inline-block; margin:10px 0 0 16px; padding:2px 10px; border:2px solid #b00020;
  color:#b00020; font-weight:bold; border-radius:6px; }
.llq-label { font-weight:600; margin-top:6px; }
.llq-section { font-size:1.1em; font-weight:700; margin-top:14px; border-top:1px solid #ccc; padding-top:6px; }
.llq-note { color:#555; font-size:0.9em; }
.llq-city-card { border:1px solid #ccd; border-radius:8px; padding:6px 12px; margin:0 8px 8px 0; min-width:170px; }
.llq-city-name { font-weight:600; }
.llq-eur { font-size:1.4em; font-weight:700; color:#1f4e79; }
.llq-error { border:2px solid #b00020; background:#fff0f0; padding:8px 12px; border-radius:8px; }
.llq-table { border-collapse:collapse; font-size:0.9em; }
.llq-table th, .llq-table td { border-bottom:1px solid #ddd; padding:2px 8px; text-align:left; }
.llq-table td.num { text-align:right; white-space:nowrap; }
.llq-table-wrap { max-height:420px; overflow:auto; }
.llq-sub { font-weight:700; margin:10px 0 4px 0; }
.llq-download-link { display:inline-block; margin-top:8px; padding:4px 10px; border:1px solid #1f4e79;
  border-radius:4px; text-decoration:none; color:#1f4e79; }
</style>"""
