"""The explorer's outputs: numbers per city, the summary sentence, the projection and quartier
tables, the chart and the notes (German or English), written into the output widgets.

:class:`_DisplayMixin` is mixed into :class:`~.explorer.ScenarioExplorer`; it only formats what
``allocate`` and ``project`` returned (and draws with :func:`llq_analysis.outputs.plots.explorer_plot`).
"""

from __future__ import annotations

import base64
import html
import math
import re
import threading

from ...i18n import format_number, t
from .controls import CITIES, EFFECT_OUTCOMES, TOTAL, Controls, _strands, export_yaml

# ============================================================================ formatting


def _num(x: float, lang: str, digits: int = 0) -> str:
    return format_number(x, digits, lang)


def _eur(x: float, lang: str, digits: int = 0) -> str:
    return f"{_num(x, lang, digits)} €"


def _pct(x: float, lang: str) -> str:
    return f"{_num(100 * x, lang, 0)} %"


def _sig(x: float, lang: str) -> str:
    """Small changes (pp) with two significant decimals."""
    if x is None or math.isnan(x):
        return "–"
    d = 2 if abs(x) >= 0.1 or x == 0 else min(6, 1 - int(math.floor(math.log10(abs(x)))))
    return _num(x, lang, d)



class _DisplayMixin:
    """Output methods of :class:`~.explorer.ScenarioExplorer` (needs its widgets and state)."""

    def _german(self, msg: str) -> str:
        """A German (or English) explanation of an engine error, naming the strand."""
        m = re.search(r"cities\.(\w+)\.strands\.(\w+)", msg)
        city, strand = (m.group(1), m.group(2)) if m else ("", "")
        node = _strands(self.base.tree, city).get(strand, {}) if m else {}
        fmt = {"city": city, "strand": node.get("label", strand)}
        if "floors sum" in msg:
            return t("dash.err.floors", self.lang).format(**fmt)
        if "caps allow" in msg or "every quartier is at its cap" in msg:
            return t("dash.err.caps", self.lang).format(**fmt)
        if "cap below floor" in msg or "below floor" in msg:
            return t("dash.err.cap_floor", self.lang)
        if "no eligible quartier" in msg or "all weights are zero" in msg or "weights (all zero)" in msg:
            return t("dash.err.no_eligible", self.lang).format(**fmt)
        if "all weights are 0" in msg:
            return t("dash.err.weights", self.lang)
        return t("dash.err.generic", self.lang)

    def _note(self, msg: str) -> str:
        """An engine warning in the user's language (known ones translated, others as they are)."""
        lang = self.lang
        name = self.names.get
        if m := re.match(r"(\d+) quartier\(s\) get more EUR per resident than observed in the data "
                         r"\(max ([\d.]+)\): (.*?) - the projection", msg):
            which = re.sub(r"([A-Z]+-[\w-]+)", lambda q: name(q.group(1), q.group(1)), m.group(3))
            which = re.sub(r"\(([\d.]+)\)", lambda v: f"({_num(float(v.group(1)), lang, 1)} €)", which)
            return t("dash.note.above", lang).format(n=m.group(1), max=_num(float(m.group(2)), lang, 2),
                                                     which=which)
        if m := re.match(r"(\d+) quartier\(s\) get less than the smallest observed positive dose \(([\d.]+)",
                         msg):
            return t("dash.note.below", lang).format(n=m.group(1), min=_num(float(m.group(2)), lang, 2))
        if re.match(r"horizon \d+ < lag \d+", msg):
            return t("dash.note.lag", lang)
        if m := re.match(r"([\d,]+\.\d+) EUR are not attributed to quartiers", msg):
            return t("dash.note.unattributed", lang).format(eur=_eur(float(m.group(1).replace(",", "")), lang))
        if m := re.search(r"no need index for \[(.*?)\]", msg):
            ids = re.findall(r"'([^']+)'", m.group(1))
            return t("dash.note.no_need", lang).format(which=", ".join(name(q, q) for q in ids))
        return msg

    def _show_error(self, text: str, detail: str) -> None:
        self.scenario = self.allocation = self.projection = None
        self.error = text
        lang = self.lang
        det = (f"<details><summary>{t('dash.err.detail', lang)}</summary><pre>{html.escape(detail)}</pre>"
               "</details>") if detail else ""
        self.o_message.value = f"<div class='llq-error'><b>{html.escape(t('dash.invalid', lang))}</b><br>" \
                               f"{html.escape(text)}{det}</div>"
        self.o_message.layout.display = ""
        for c, o in self.o_city.items():
            name = t("dash.both", lang) if c == TOTAL else c
            o.value = (f"<div class='llq-city-name' data-gen='{self._gen}'>{html.escape(name)}</div>"
                       "<div class='llq-eur' data-eur=''>–</div>")
        for o in (self.o_summary, self.o_projection, self.o_table):  # empty, but marked with the generation
            o.value = f"<div data-gen='{self._gen}'></div>"
        self.o_notes.value = ""
        self.o_chart.layout.display = "none"
        self.w_download.value = ""

    def _show(self, c: Controls, scen, alloc, proj, notes: list[str]) -> None:
        lang = self.lang
        self.o_message.layout.display = "none"
        self.o_message.value = ""
        cents = alloc.groupby("city")["amount_cents"].sum()
        money = {city: int(cents.get(city, 0)) / 100 for city in CITIES}
        money[TOTAL] = sum(money.values())
        pop = {**self.city_pop, TOTAL: sum(self.city_pop.values())}
        base = {**self.base_money, TOTAL: sum(self.base_money.values())}
        for city, o in self.o_city.items():  # the numbers first: the browser sees them at once
            pc = money[city] / pop[city] if pop[city] > 0 else float("nan")
            delta = money[city] - base[city]
            name = t("dash.both", lang) if city == TOTAL else city
            o.value = (f"<div class='llq-city-name' data-gen='{self._gen}'>{html.escape(name)}</div>"
                       f"<div class='llq-eur' data-eur='{money[city]:.2f}'>{_eur(money[city], lang)}</div>"
                       f"<div class='llq-pc' data-eur-pc='{pc:.4f}'>{_eur(pc, lang, 2)} "
                       f"{t('dash.per_resident', lang)}</div>"
                       f"<div class='llq-delta'>{'+' if delta > 0 else ''}{_eur(delta, lang)} "
                       f"{t('dash.vs_base', lang)}</div>")
        self.o_summary.value = f"<p data-gen='{self._gen}'>{html.escape(self._sentence(money, pop, proj, c))}</p>"
        self.o_projection.value = self._projection_html(proj, c)
        self.o_table.value = self._table_html(alloc, proj)
        extra = [t("dash.only_effect_unc", lang)]
        if c.effect_mode == "assumed" or not self.effects:
            extra.insert(0, t("dash.assumption_mark", lang))
        if self.provenance in ("simulated", "mixed"):
            extra.append(t("dash.sim_note", lang))
        self.o_notes.value = ("<div class='llq-note'><b>{}</b><ul>{}</ul></div>".format(
            t("dash.notes", lang), "".join(f"<li>{html.escape(n)}</li>" for n in [*extra, *notes])))
        yml = export_yaml(scen, controls=c, lang=lang)
        uri = "data:text/yaml;charset=utf-8;base64," + base64.b64encode(yml.encode()).decode()
        self.w_download.value = (f"<a class='llq-download-link' download='llq_szenario.yaml' href='{uri}'>"
                                 f"⬇ {html.escape(t('dash.download', lang))}</a>")
        if self._chart_on:
            self._schedule_chart(proj)

    def _schedule_chart(self, proj) -> None:
        """Redraw the chart ``chart_delay`` s after the last change, in a background thread.

        Inside a kernel (a running event loop) the numbers reach the page at once and the chart
        follows: a quick series of key presses draws once, and a redraw never blocks the next
        recompute. Without a running loop (scripts, tests) the chart is drawn at once.
        """
        import asyncio

        self._chart_proj = proj
        if self._chart_handle is not None:
            self._chart_handle.cancel()
            self._chart_handle = None
        try:
            asyncio.get_running_loop()
            in_kernel = True
        except RuntimeError:
            in_kernel = False
        if not in_kernel or self.chart_delay <= 0:
            self._draw_chart(proj)
            return
        # the first chart (matplotlib import + draw: ~1 s CPU) waits longer, so that it does not
        # compete with the browser that is just loading the page and connecting the widgets
        first = not getattr(self, "_chart_drawn", False)
        delay = max(self.chart_delay, getattr(self, "first_chart_delay", 0.0)) if first else self.chart_delay
        timer = threading.Timer(delay, self._flush_chart)
        timer.daemon = True
        self._chart_handle = timer
        timer.start()

    def _flush_chart(self) -> None:
        with self._chart_lock:  # one drawing at a time (matplotlib figures are not shared)
            proj = self._chart_proj
            if proj is not None and proj is self.projection:
                self._draw_chart(proj)

    def _draw_chart(self, proj) -> None:
        import io

        from ..plots import explorer_plot

        fig = explorer_plot(proj, outcome=EFFECT_OUTCOMES[0], names=self.names, lang=self.lang)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=72)  # a bare Figure (no pyplot): nothing to close
        if proj is self.projection:  # still current (not replaced or invalid meanwhile)
            self.o_chart.value = buf.getvalue()
            self.o_chart.layout.display = ""
            self._chart_drawn = True

    def _sentence(self, money, pop, proj, c: Controls) -> str:
        lang = self.lang
        r = proj.cities[(proj.cities["outcome"] == EFFECT_OUTCOMES[0]) & (proj.cities["city"] == TOTAL)].iloc[0]
        down = r["change_pp"] <= 0
        return t("dash.summary", lang).format(
            hb=_eur(money["Bremen"], lang), hb_pc=_eur(money["Bremen"] / pop["Bremen"], lang, 2),
            bhv=_eur(money["Bremerhaven"], lang), bhv_pc=_eur(money["Bremerhaven"] / pop["Bremerhaven"], lang, 2),
            h=c.horizon, verb=t("dash.verb_down" if down else "dash.verb_up", lang),
            pp=_sig(abs(r["change_pp"]), lang), lo=_sig(r["change_pp_low"], lang), hi=_sig(r["change_pp_high"], lang),
            persons=_num(abs(r["persons"]), lang), fewer=t("dash.fewer" if down else "dash.more", lang))

    def _projection_html(self, proj, c: Controls) -> str:
        lang = self.lang
        cols = [t("dash.col.outcome", lang), *[t("dash.both", lang).split(" (")[0] if x == TOTAL else x
                                               for x in (*CITIES, TOTAL)]]
        rows = []
        for o in EFFECT_OUTCOMES:
            cells = []
            for city in (*CITIES, TOTAL):
                r = proj.cities[(proj.cities["outcome"] == o) & (proj.cities["city"] == city)]
                if not len(r):
                    cells.append("<td>–</td>")
                    continue
                r = r.iloc[0]
                pers = "" if math.isnan(r["persons"]) else \
                    f"<br><small>{_num(r['persons'], lang)} {t('dash.col.persons', lang)} " \
                    f"[{_num(r['persons_low'], lang)}; {_num(r['persons_high'], lang)}]</small>"
                cells.append(f"<td>{_sig(r['change_pp'], lang)} [{_sig(r['change_pp_low'], lang)}; "
                             f"{_sig(r['change_pp_high'], lang)}]{pers}</td>")
            rows.append(f"<tr><th>{html.escape(t(o, lang))}</th>{''.join(cells)}</tr>")
        head = "".join(f"<th>{html.escape(x)}</th>" for x in cols)
        title = t("dash.projection_title", lang).format(h=c.horizon)
        return (f"<div class='llq-sub' data-gen='{self._gen}'>{html.escape(title)}</div><table class='llq-table'>"
                f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")

    def _table_html(self, alloc, proj) -> str:
        lang = self.lang
        q = alloc.groupby(["city", "quartier_id"], sort=False).agg(
            amount=("amount_cents", "sum"), pop=("population", "first"), need=("need_index", "first"),
            strands=("label", lambda s: ", ".join(dict.fromkeys(s)))).reset_index()
        q["amount"] = q["amount"] / 100
        pq = proj.quartiers[proj.quartiers["outcome"] == EFFECT_OUTCOMES[0]].set_index("quartier_id")
        funded = q[(q["amount"] > 0) & (q["quartier_id"] != "")].sort_values("amount", ascending=False)
        unat = q[(q["quartier_id"] == "") & (q["amount"] > 0)]
        head = [t("quartier", lang), t("city", lang), t("amount_eur", lang), t("eur_per_capita", lang),
                t("dash.col.need", lang), t("dash.col.change", lang), t("dash.col.strands", lang)]
        rows = []
        for r in funded.itertuples():
            ch = pq.loc[r.quartier_id] if r.quartier_id in pq.index else None
            chs = "–" if ch is None else (f"{_sig(ch['change_pp'], lang)} [{_sig(ch['change_pp_low'], lang)}; "
                                          f"{_sig(ch['change_pp_high'], lang)}]")
            rows.append(f"<tr data-qid='{html.escape(r.quartier_id)}' data-eur='{r.amount:.2f}'>"
                        f"<td>{html.escape(self.names.get(r.quartier_id, r.quartier_id))}</td><td>{r.city}</td>"
                        f"<td class='num'>{_eur(r.amount, lang)}</td>"
                        f"<td class='num'>{_num(r.amount / r.pop, lang, 2) if r.pop > 0 else '–'}</td>"
                        f"<td class='num'>{_num(r.need, lang, 2)}</td><td class='num'>{chs}</td>"
                        f"<td><small>{html.escape(r.strands)}</small></td></tr>")
        for r in unat.itertuples():
            rows.append(f"<tr class='llq-unattributed' data-qid='' data-eur='{r.amount:.2f}'>"
                        f"<td>{t('dash.unattributed', lang)}</td><td>{r.city}</td>"
                        f"<td class='num'>{_eur(r.amount, lang)}</td><td></td><td></td><td></td>"
                        f"<td><small>{html.escape(r.strands)}</small></td></tr>")
        n_zero = int(len(self.quartiers)) - len(funded)
        foot = f"<div class='llq-note'>{t('dash.more_rows', lang).format(n=n_zero)}</div>" if n_zero > 0 else ""
        return (f"<div class='llq-sub'>{html.escape(t('dash.table_title', lang))}</div>"
                f"<div class='llq-table-wrap' data-gen='{self._gen}'><table class='llq-table'><thead><tr>"
                + "".join(f"<th>{html.escape(h)}</th>" for h in head)
                + f"</tr></thead><tbody>{''.join(rows)}</tbody></table></div>{foot}")
