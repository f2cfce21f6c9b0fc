"""Scenario explorer logic without a browser: controls -> scenario diff -> allocation -> outputs."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import llq_analysis as llq
from llq_analysis import dashboard as dash
from llq_analysis import paths
from llq_analysis.i18n import t

EFFECTS = {  # effect per EUR per resident (pp); illustrative values for the tests, not estimates
    "sgb2_rate": {"estimate": -0.2, "se": 0.01, "provenance": "simulated", "label": "test"},
    "sgb2_rate_u15": {"estimate": -0.4, "se": 0.02, "provenance": "simulated", "label": "test"},
    "turnout_buergerschaft": {"estimate": 0.3, "se": 0.03, "provenance": "simulated", "label": "test"},
}


@pytest.fixture(scope="module")
def base():
    return llq.load_scenario(paths.BASELINE_SCENARIO)


@pytest.fixture()
def ex(quartiers, panel, base):
    return dash.ScenarioExplorer(base, quartiers=quartiers, panel=panel, effects=EFFECTS, draws=200,
                                 chart=False)


def _eur(widget) -> float | None:
    m = re.search(r"data-eur='([^']*)'", widget.value)
    return float(m.group(1)) if m and m.group(1) else None


def _shown(ex) -> dict[str, float]:
    return {c: _eur(ex.o_city[c]) for c in ("Bremen", "Bremerhaven", dash.TOTAL)}


def _table(ex) -> dict[str, float]:
    return {q: float(v) for q, v in re.findall(r"data-qid='([^']+)' data-eur='([^']+)'", ex.o_table.value)}


# ----------------------------------------------------------------------------- pure functions


@given(shares=st.lists(st.floats(0, 1), min_size=2, max_size=6), value=st.floats(-0.5, 1.5),
       k=st.integers(0, 5))
def test_link_shares_sums_to_one_and_keeps_proportions(shares, value, k):
    d = {f"s{i}": v for i, v in enumerate(shares)}
    key = f"s{k % len(shares)}"
    out = dash.link_shares(d, key, value)
    assert set(out) == set(d) and out is not d
    assert sum(out.values()) == pytest.approx(1.0, abs=1e-12)
    assert out[key] == min(1.0, max(0.0, value))
    others = {s: v for s, v in d.items() if s != key}
    if sum(others.values()) > 1e-12 and out[key] < 1:
        ratio = [out[s] / v for s, v in others.items() if v > 1e-9]
        if ratio:
            assert max(ratio) == pytest.approx(min(ratio), rel=1e-9)  # proportional rescaling
    assert all(v >= 0 for v in out.values())


def test_exact_shares_pass_the_scenario_check():
    out = dash._exact_shares({"a": 0.6, "b": 0.168421052631579, "c": 0.07894736842105264, "d": 0.1526})
    assert abs(sum(out.values()) - 1) < 1e-12


def test_unchanged_controls_give_exactly_the_baseline(base, quartiers, panel):
    c = dash.controls_from_scenario(base, effects=EFFECTS)
    assert dash.scenario_changes(c, base) == {}
    assert c.bremen_share == 0.8 and c.total_eur == 2_000_000


def test_changes_are_dotted_paths_the_engine_accepts(base, quartiers, panel):
    c = dash.controls_from_scenario(base, effects=EFFECTS)
    c = replace(c, bremen_share=0.75, rule="hybrid", base_share=0.3, floor_eur=1000, cap_eur=200_000,
                     need_weights={**c.need_weights, "sgb2_rate": 2.0})
    ch = dash.scenario_changes(c, base)
    assert ch["budget.city_share.Bremen"] == 0.75 and ch["budget.city_share.Bremerhaven"] == 0.25
    assert ch["cities.Bremen.strands.quartierszentren.rule"] == "hybrid"
    assert ch["need_index.indicators.sgb2_rate"] == 2.0
    # city-wide pots without quartiers keep their rule
    assert "cities.Bremen.strands.aeltere_menschen.rule" not in ch
    assert "cities.Bremerhaven.strands.innovationstopf.rule" not in ch
    s = base.with_changes(ch)
    a = llq.allocate(s, quartiers, panel=panel)
    assert a.groupby("city")["amount_cents"].sum().to_dict() == {"Bremen": 150_000_000, "Bremerhaven": 50_000_000}


# ----------------------------------------------------------------------------- the widget


def test_first_control_is_the_city_split(ex):
    import ipywidgets as w

    def walk(node):
        yield node
        for ch in getattr(node, "children", ()):
            yield from walk(ch)

    controls = [n for n in walk(ex.widget) if isinstance(n, (w.FloatSlider, w.IntSlider, w.Dropdown,
                                                             w.BoundedIntText, w.ToggleButtons))]
    assert controls[0] is ex.w_split
    sliders = [n for n in walk(ex.widget) if isinstance(n, (w.FloatSlider, w.IntSlider))]
    assert all(not s.continuous_update for s in sliders)


def test_baseline_shows_the_published_split(ex, panel):
    # published: 2 Mio EUR a year, 1.6 Mio Bremen, 0.4 Mio Bremerhaven (DOMAIN.md 1.1)
    assert _shown(ex) == {"Bremen": 1_600_000.0, "Bremerhaven": 400_000.0, dash.TOTAL: 2_000_000.0}
    pop = panel[panel["year"] == 2024].groupby("city")["population"].sum()
    pc = float(re.search(r"data-eur-pc='([^']+)'", ex.o_city["Bremen"].value).group(1))
    assert pc == pytest.approx(1_600_000 / pop["Bremen"], abs=1e-4)
    assert "1.600.000 €" in ex.o_summary.value and "400.000 €" in ex.o_summary.value
    assert t("simulated_mark", "de") in ex.o_sim.value  # the bundled panel is simulated
    assert ex.error is None and ex.o_message.layout.display == "none"


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(share=st.integers(0, 100), total=st.integers(0, 400).map(lambda k: k * 25_000))
def test_city_amounts_always_add_up_to_the_budget(ex, share, total):
    ex.set(bremen_share=share / 100, total_eur=total)
    shown = _shown(ex)
    assert shown["Bremen"] + shown["Bremerhaven"] == pytest.approx(total, abs=0.001)
    assert shown[dash.TOTAL] == pytest.approx(total, abs=0.001)
    assert shown["Bremen"] == pytest.approx(total * share / 100, abs=0.01)
    assert sum(_table(ex).values()) + sum(
        float(v) for v in re.findall(r"class='llq-unattributed' data-qid='' data-eur='([^']+)'",
                                     ex.o_table.value)) == pytest.approx(total, abs=0.01)


def test_slider_callback_updates_the_numbers(ex):
    ex.w_split.value = 0.75  # as the browser does: a trait change runs the callback
    assert _shown(ex)["Bremen"] == 1_500_000.0 and _shown(ex)["Bremerhaven"] == 500_000.0
    assert ex.scenario.changes["budget.city_share.Bremen"] == 0.75
    assert "Bremen 75 %" in ex.w_split_txt.value and "Bremerhaven 25 %" in ex.w_split_txt.value


def test_strand_sliders_are_linked(ex):
    ex.w_strands["Bremen"]["quartierszentren"].value = 0.7
    vals = {s: w.value for s, w in ex.w_strands["Bremen"].items()}
    assert sum(vals.values()) == pytest.approx(1.0, abs=1e-9)
    assert ex.error is None
    assert ex.allocation.groupby("strand")["amount_cents"].sum()["quartierszentren"] == 112_000_000
    assert ex.allocation["amount_cents"].sum() == 200_000_000


def test_rule_switch_changes_the_table_not_the_city_money(ex):
    before = _table(ex)
    for rule in ("equal", "population", "need", "hybrid"):
        ex.w_rule.value = rule
        assert ex.error is None, ex.error
        after = _table(ex)
        assert after != before, rule
        assert _shown(ex)["Bremen"] == 1_600_000.0
    ex.w_rule.value = "need"
    need = ex.allocation.groupby("quartier_id")["need_index"].first()
    funded = ex.allocation[ex.allocation["amount_cents"] > 0]["quartier_id"]
    # need rule ('positive' transform): only quartiers with above-average need get money
    assert (need.reindex(funded[funded != ""]).dropna() > 0).all()
    assert ex.w_rule.value == "need" and ex.hybrid_box.layout.display == "none"
    ex.w_rule.value = "hybrid"
    assert ex.hybrid_box.layout.display == ""


@pytest.mark.parametrize("setting, words", [
    ({"rule": "need", "need_weights": dict.fromkeys(dash.NEED_KEYS, 0.0)}, "Gewichte des Bedarfsindex sind 0"),
    ({"floor_eur": 60_000}, "Mindestbeträge passen nicht ins Budget"),
    ({"cap_eur": 5_000}, "Höchstbeträge sind zu niedrig"),
    ({"floor_eur": 20_000, "cap_eur": 10_000}, "Höchstbetrag liegt unter dem Mindestbetrag"),
])
def test_invalid_settings_show_a_german_message_instead_of_numbers(ex, setting, words):
    ex.set(**setting)
    assert ex.error is not None and words in ex.error
    assert words in ex.o_message.value and ex.o_message.layout.display == ""
    assert all(v is None for v in _shown(ex).values())
    assert ex.city_amounts() is None and ex.export_yaml() is None
    assert "data-eur" not in ex.o_table.value and ex.w_download.value == ""
    ex.reset()
    assert ex.error is None and _shown(ex)["Bremen"] == 1_600_000.0


def test_reset_restores_every_control(ex):
    c0 = ex.controls()
    ex.set(bremen_share=0.5, total_eur=3_000_000, rule="population", floor_eur=1000, lag=2, horizon=6,
           effect_mode="assumed", returns="log")
    ex.w_strands["Bremerhaven"]["innovationstopf"].value = 0.5
    assert ex.controls() != c0
    ex.reset()
    assert ex.controls() == c0 and ex.scenario.changes == {}


def test_export_is_a_yaml_diff_that_load_scenario_reads_back(ex, tmp_path, quartiers, panel):
    ex.set(bremen_share=0.7, total_eur=2_500_000, rule="hybrid", base_share=0.4, cap_eur=150_000)
    ex.w_strands["Bremen"]["kleinst_sondergebiete"].value = 0.3
    yml = ex.export_yaml()
    f = tmp_path / "szenario.yaml"
    f.write_text(yml, encoding="utf-8")
    s = llq.load_scenario(f)
    assert dict(s.changes) == dict(ex.scenario.changes)
    a = llq.allocate(s, quartiers, panel=panel)
    assert a["amount_cents"].tolist() == ex.allocation["amount_cents"].tolist()
    # the download link carries the same text
    import base64

    href = re.search(r"href='([^']+)'", ex.w_download.value).group(1)
    assert base64.b64decode(href.split("base64,", 1)[1]).decode() == yml


def test_baseline_export_has_no_changes(ex, tmp_path):
    f = tmp_path / "b.yaml"
    f.write_text(ex.export_yaml(), encoding="utf-8")
    assert dict(llq.load_scenario(f).changes) == {}


def test_effect_modes(ex):
    est = ex.projection.spec["effects"]["sgb2_rate"]
    assert est["estimate"] == EFFECTS["sgb2_rate"]["estimate"] and est["provenance"] == "simulated"
    ex.set(effect_mode="assumed", assumed={o: 0.0 for o in dash.EFFECT_OUTCOMES})
    assert ex.projection.spec["effects"]["sgb2_rate"]["provenance"] == "assumed"
    assert (ex.projection.cities["change_pp"] == 0).all()
    assert t("dash.assumption_mark", "de") in ex.o_notes.value
    assert ex.assumed_box.layout.display == ""
    ex.set(assumed={**{o: 0.0 for o in dash.EFFECT_OUTCOMES}, "sgb2_rate": -0.1}, horizon=1, lag=2)
    assert (ex.projection.cities["change_pp"] == 0).all()  # horizon before the lag: no effect yet
    ex.set(horizon=3)
    land = ex.projection.cities.query("outcome == 'sgb2_rate' and city == @dash.TOTAL").iloc[0]
    assert land["change_pp"] < 0
    assert "sinkt" in ex.o_summary.value


def test_without_cached_effect_the_explorer_uses_an_assumption(quartiers, panel, base, tmp_path):
    ex = dash.ScenarioExplorer(base, quartiers=quartiers, panel=panel, cache_dir=tmp_path, draws=50,
                               chart=False)
    assert ex.effects is None and ex.w_effect.disabled and ex.controls().effect_mode == "assumed"
    assert t("dash.effect_missing", "de")[:30] in ex.w_effect_src.value
    assert ex.error is None and _shown(ex)["Bremen"] == 1_600_000.0


def test_english_switch(ex):
    ex.w_lang.value = "en"
    assert ex.lang == "en"
    assert "Bremen receives 1,600,000 €" in ex.o_summary.value
    assert ex.w_reset.description == "Reset to baseline"
    assert ex.w_rule.value == "fixed" and ex.w_rule.options[0][0] == t("rule.fixed", "en")
    assert "Simulated data" in ex.o_sim.value
    ex.set_lang("de")
    assert ex.w_reset.description == "Zurück zum Basisszenario"


def test_chart_is_a_png(quartiers, panel, base):
    ex = dash.ScenarioExplorer(base, quartiers=quartiers, panel=panel, effects=EFFECTS, draws=50)
    assert bytes(ex.o_chart.value[:8]) == b"\x89PNG\r\n\x1a\n"
    old = bytes(ex.o_chart.value)
    ex.w_rule.value = "population"  # no event loop here: drawn at once
    assert bytes(ex.o_chart.value) != old


def test_first_chart_in_a_kernel_waits_for_the_page(quartiers, panel, base):
    """Inside a running event loop (a kernel) the first chart waits ``first_chart_delay`` (the page
    and its sliders first), later redraws only ``chart_delay``; numbers are there at once."""
    import asyncio

    async def build():
        ex = dash.ScenarioExplorer(base, quartiers=quartiers, panel=panel, effects=EFFECTS, draws=50,
                                   chart_delay=0.3, first_chart_delay=2.0)
        first = ex._chart_handle.interval
        assert _eur(ex.o_city["Bremen"]) is not None and not ex.o_chart.value
        ex._chart_handle.cancel()
        ex._draw_chart(ex.projection)  # as the timer would
        ex.w_rule.value = "population"
        later = ex._chart_handle.interval
        ex._chart_handle.cancel()
        return first, later

    assert asyncio.run(build()) == (2.0, 0.3)


# ----------------------------------------------------------------------------- effect cache


def test_effect_cache_roundtrip(panel, tmp_path, monkeypatch):
    assert dash.cached_effects(panel, cache_dir=tmp_path) is None
    calls = []

    class Fake:
        def __init__(self, o):
            self.estimate, self.se, self.ci, self.n_obs, self.n_clusters = -0.1, 0.01, (-0.12, -0.08), 10, 5
            self.provenance = "simulated"
            calls.append(o)

    import llq_analysis.impact.dose as dose

    monkeypatch.setattr(dose, "dose_response", lambda df, *, outcome, **kw: Fake(outcome))
    eff = dash.estimate_effects(panel, cache_dir=tmp_path)
    assert calls == list(dash.EFFECT_OUTCOMES)
    assert dash.cached_effects(panel, cache_dir=tmp_path) == eff
    files = list(tmp_path.glob("dose_effects_*.json"))
    assert len(files) == 1 and json.loads(files[0].read_text())["effects"] == eff
    dash.estimate_effects(panel, cache_dir=tmp_path)  # a cache hit: no new estimation
    assert len(calls) == 3
    other = panel.assign(sgb2_rate=panel["sgb2_rate"] + 0.1)  # other data: other fingerprint
    assert dash.cached_effects(other, cache_dir=tmp_path) is None


def test_start_path_runs_no_estimator(tmp_path):
    code = ("import sys\nfrom llq_analysis.outputs.dashboard import ScenarioExplorer\n"
            "ex = ScenarioExplorer(draws=50, chart=False)\n"
            "print(sorted(m for m in ('pyfixest', 'diff_diff', 'pysyncon', 'statsmodels') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         env={**__import__("os").environ, "LLQ_CACHE_DIR": str(tmp_path)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


# ----------------------------------------------------------------------------- app command


def test_voila_command(tmp_path):
    argv = dash.voila_argv(port=9999, base_url="llq")
    assert argv[1:3] == ["-m", "voila"] and argv[3].endswith("notebooks/app.ipynb")
    assert "--port=9999" in argv and "--Voila.ip=127.0.0.1" in argv and "--base_url=/llq/" in argv
    assert not any("token" in a for a in argv)
    assert "--Voila.open_browser=False" in argv
    with pytest.raises(FileNotFoundError):
        dash.voila_argv(notebook=tmp_path / "missing.ipynb")


def test_app_notebook_is_one_cell_without_outputs():
    import nbformat

    nb = nbformat.read(paths.NOTEBOOK_DIR / "app.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert len(code) == 1 and "ScenarioExplorer()" in code[0].source
    assert not code[0].outputs and "def " not in code[0].source


def test_cli_app_help():
    from llq_analysis.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["app", "--help"])
    assert exc.value.code == 0


def test_engine_notes_are_shown_in_german(ex):
    ex.set(rule="equal", lag=3, horizon=2)
    notes = ex.o_notes.value
    assert "keinem Quartier zugeordnet" in notes and "extrapoliert" in notes and "endet, bevor" in notes
    assert "EUR are not attributed" not in notes and "quartier(s)" not in notes
