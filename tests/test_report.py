"""The evaluation report: errors before writing, rendered HTML/PDF, disclosure scan, determinism.

Input errors are reported before any PDF engine is looked at, so these tests pass on a machine
without chromium and without WeasyPrint. The PDF is printed with WeasyPrint (the default engine);
the chromium PDF is a browser test (skipped without chromium unless ``LLQ_REQUIRE_BROWSER=1``).

The full report is rendered once per test session (``rendered`` fixture, marked slow). The
disclosure scan reads the published files (CSV and HTML) the way a reader would and checks them
independently of the disclosure code: no count below 3 persons in a person-count column, no rate
whose numerator (recomputed from the panel) is below 3 persons, no total line with exactly one
hidden cell.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest

from llq_analysis import paths

PERSON_SUFFIXES = (" (Personen)", " (persons)")
REQUIRE_BROWSER = os.environ.get("LLQ_REQUIRE_BROWSER") == "1"


def _need_browser():
    from llq_analysis.outputs.report.pdf import find_chromium

    if find_chromium() is None:
        if REQUIRE_BROWSER:
            pytest.fail("chromium is missing but LLQ_REQUIRE_BROWSER=1 (CI must print the chromium PDF)")
        pytest.skip("chromium not installed or hidden by LLQ_CHROMIUM (set LLQ_REQUIRE_BROWSER=1 "
                    "to make this a failure)")


def _need_weasyprint():
    from llq_analysis.outputs.report.pdf import engine_problem

    problem = engine_problem("weasyprint")
    if problem is not None:
        pytest.skip(problem)


@pytest.fixture
def no_pdf_engine(monkeypatch, tmp_path):
    """Neither engine available: chromium hidden (LLQ_CHROMIUM), WeasyPrint not importable."""
    monkeypatch.setenv("LLQ_CHROMIUM", str(tmp_path / "no-such-chromium"))
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # `import weasyprint` -> ImportError


# ----------------------------------------------------------------------------- errors first
def _assert_nothing_written(out: Path):
    assert not out.exists(), f"{out} was created although the run failed"
    leftovers = [p for p in out.parent.iterdir() if p.name.startswith(".llq-report-")]
    assert not leftovers, f"temporary directories left behind: {leftovers}"


@pytest.mark.parametrize("engine", ["weasyprint", "chromium"])
def test_input_errors_come_before_any_engine_check(tmp_path, no_pdf_engine, engine):
    from llq_analysis.outputs.report import ReportError, render_report

    out = tmp_path / "out"
    with pytest.raises(ReportError, match=r"does not exist") as err:
        render_report(scenarios=[tmp_path / "nope.yaml"], out_dir=out, progress=False, pdf_engine=engine)
    assert "chromium" not in str(err.value) and "WeasyPrint" not in str(err.value)
    _assert_nothing_written(out)


def test_unknown_pdf_engine_is_refused_before_writing(tmp_path):
    from llq_analysis.outputs.report import ReportError, render_report

    out = tmp_path / "out"
    with pytest.raises(ReportError, match=r"weasyprint, chromium.*'prince'"):
        render_report(out_dir=out, progress=False, pdf_engine="prince")
    _assert_nothing_written(out)


def test_engine_problems_say_how_to_get_the_pdf(monkeypatch, tmp_path):
    from llq_analysis.outputs.report import pdf

    monkeypatch.setenv("LLQ_CHROMIUM", str(tmp_path / "no-such-chromium"))
    assert pdf.find_chromium() is None
    msg = pdf.engine_problem("chromium")
    assert "apt-get install chromium" in msg and "LLQ_CHROMIUM" in msg and "weasyprint" in msg
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    msg = pdf.engine_problem("weasyprint")
    assert "pip install weasyprint" in msg and "--pdf-engine chromium" in msg


def test_missing_pango_is_named(monkeypatch):
    """The Python package present but its system library missing (WeasyPrint raises OSError)."""
    import importlib.abc
    import importlib.machinery

    from llq_analysis.outputs.report import pdf

    class _NoPango(importlib.abc.MetaPathFinder, importlib.abc.Loader):
        def find_spec(self, name, path=None, target=None):
            return importlib.machinery.ModuleSpec(name, self) if name == "weasyprint" else None

        def create_module(self, spec):
            return None

        def exec_module(self, module):
            raise OSError("cannot load library 'libpango-1.0-0': no such file")

    monkeypatch.delitem(sys.modules, "weasyprint", raising=False)
    monkeypatch.setattr(sys, "meta_path", [_NoPango(), *sys.meta_path])
    msg = pdf.engine_problem("weasyprint")
    assert "Pango" in msg and "libpango-1.0-0" in msg and "apt-get install" in msg


def test_cli_exit_codes_when_the_pdf_is_missing(monkeypatch, tmp_path, capsys):
    """`llq report` exits 1 when the PDF could not be printed (the rest was written), 0 with --no-pdf."""
    from llq_analysis.cli import main
    from llq_analysis.outputs.report import PdfNotWritten, render

    calls = []

    def fake(**kw):
        calls.append(kw)
        if kw["pdf"]:
            raise PdfNotWritten("no PDF: WeasyPrint is not installed (install it: `pip install weasyprint`)")

    monkeypatch.setattr(render, "render_report", fake)
    assert main(["report", "--out", str(tmp_path / "r")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pip install weasyprint" in err
    assert main(["report", "--out", str(tmp_path / "r"), "--no-pdf"]) == 0
    assert main(["report", "--out", str(tmp_path / "r"), "--pdf-engine", "chromium"]) == 1
    assert [c["pdf_engine"] for c in calls] == ["weasyprint", "weasyprint", "chromium"]
    assert [c["pdf"] for c in calls] == [True, False, True]


def test_bad_scenario_stops_before_writing(tmp_path):
    from llq_analysis.outputs.report import ReportError, render_report

    bad = tmp_path / "bad.yaml"
    bad.write_text("budget.city_share.Bremen: 1.7\nbudget.city_share.Bremerhaven: -0.7\n", encoding="utf-8")
    out = tmp_path / "out"
    with pytest.raises(ReportError, match=r"bad\.yaml.*(invalid|cannot be read)"):
        render_report(scenarios=[bad], out_dir=out, progress=False)
    _assert_nothing_written(out)


def test_missing_scenario_file_names_the_available_ones(tmp_path):
    from llq_analysis.outputs.report import ReportError, render_report

    out = tmp_path / "out"
    with pytest.raises(ReportError, match=r"does not exist.*baseline\.yaml"):
        render_report(scenarios=[tmp_path / "nope.yaml"], out_dir=out, progress=False)
    _assert_nothing_written(out)


def test_bad_panel_stops_with_what_to_do(tmp_path):
    from llq_analysis.outputs.report import ReportError, render_report

    lines = paths.PANEL_CSV.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    row = next(csv.reader([lines[1]]))
    row[header.index("sgb2_rate")] = "150"  # a rate above 100 %
    bad = tmp_path / "panel.csv"
    with open(bad, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerow(row)
        for line in lines[2:40]:
            fh.write(line + "\n")
    out = tmp_path / "out"
    with pytest.raises(ReportError, match=r"not a valid panel(.|\n)*sgb2_rate(.|\n)*llq validate"):
        render_report(data=bad, out_dir=out, progress=False)
    _assert_nothing_written(out)


@pytest.mark.slow
def test_without_any_pdf_engine_the_rest_is_written_then_it_fails(tmp_path, no_pdf_engine):
    from llq_analysis.outputs.report import PdfNotWritten, render_report

    out = tmp_path / "out"
    with pytest.raises(PdfNotWritten, match=r"no PDF: WeasyPrint is not installed.*pip install "
                                            r"weasyprint.*--no-pdf") as err:
        render_report(out_dir=out, progress=False, fast=True)
    files = err.value.files
    assert files.pdf is None and not (out / "report.pdf").exists()
    assert (out / "report.html").stat().st_size > 50_000 and len(files.tables) >= 10
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert "WeasyPrint is not installed" in m["pdf_not_written"] and m["pdf_pages"] is None
    assert not list(tmp_path.glob(".llq-report-*"))


def test_cli_reports_errors_with_exit_code_1(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "llq_analysis.cli", "report", "--scenario",
                           str(tmp_path / "missing.yaml"), "--out", str(out)],
                          capture_output=True, text=True, cwd=paths.PROJECT_DIR, timeout=120)
    assert proc.returncode == 1
    assert "llq report:" in proc.stderr and "does not exist" in proc.stderr
    _assert_nothing_written(out)


def test_bad_language_is_refused(tmp_path):
    from llq_analysis.outputs.report import ReportError, render_report

    with pytest.raises(ReportError, match="'de' or 'en'"):
        render_report(lang="fr", out_dir=tmp_path / "out", progress=False)


# ----------------------------------------------------------------------------- notebook hygiene
def test_notebook_template_is_stripped_and_bilingual():
    import nbformat

    nb = nbformat.read(str(paths.NOTEBOOK_DIR / "06_bericht.ipynb"), as_version=4)
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    for name in ("scenarios", "data", "lang", "seed", "out_dir"):
        assert re.search(rf"^{name} = ", params[0].source, re.M), name
    for c in nb.cells:
        if c.cell_type == "code":
            assert not c.get("outputs") and c.get("execution_count") is None, "outputs must be stripped"
            assert "def " not in c.source and "class " not in c.source
    de = sum("de" in c.metadata.get("tags", []) for c in nb.cells if c.cell_type == "markdown")
    en = sum("en" in c.metadata.get("tags", []) for c in nb.cells if c.cell_type == "markdown")
    assert de == en > 5


def test_language_filter_keeps_one_language_and_drops_stderr():
    import nbformat

    from llq_analysis.outputs.report import _prepare_notebook

    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("Hallo", metadata={"tags": ["de"]}),
        nbformat.v4.new_markdown_cell("Hello", metadata={"tags": ["en"]}),
        nbformat.v4.new_code_cell("x", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("y", outputs=[
            nbformat.v4.new_output("stream", name="stderr", text="warn"),
            nbformat.v4.new_output("stream", name="stdout", text="ok")]),
    ])
    out, n_err = _prepare_notebook(nb, "en")
    assert [c.source for c in out.cells] == ["Hello", "y"]
    assert n_err == 1 and [o["name"] for o in out.cells[1].outputs] == ["stdout"]
    assert [c["id"] for c in out.cells] == ["c000", "c001"]


def test_english_sections_use_english_labels(panel):
    import llq_analysis.outputs.report.content as rc

    ctx = rc.start(lang="en")
    html = rc.programme(ctx).html + rc.quartier_annex(ctx).html
    assert "Simulated data" in html and "(persons)" in html and "State of Bremen" in html
    assert "Personen" not in html and "Simulierte Daten" not in html


# ----------------------------------------------------------------------------- full report
@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """The full report from the bundled data and every shipped scenario (HTML, and the PDF with
    WeasyPrint when it is installed; without it the rest is still written)."""
    from llq_analysis.outputs.report import PdfNotWritten, render_report

    out = tmp_path_factory.mktemp("report") / "reports"
    try:
        files = render_report(out_dir=out, progress=True)
    except PdfNotWritten as exc:
        files = exc.files
    manifest = json.loads(files.manifest.read_text(encoding="utf-8"))
    return files, manifest


def _pdf_text(pdf: Path, first: int | None = None, last: int | None = None) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) not installed")
    rng = [] if first is None else ["-f", str(first), "-l", str(last or first)]
    return subprocess.run(["pdftotext", "-layout", *rng, str(pdf), "-"], capture_output=True, text=True,
                          check=True, timeout=60).stdout


class _Tables(HTMLParser):
    """Every <table> of an HTML page as (caption, header, rows) with cell text."""

    def __init__(self):
        super().__init__()
        self.tables, self._cap, self._cell, self._row, self._in = [], "", None, None, None

    def handle_starttag(self, tag, attrs):
        if tag == "figcaption":
            self._in, self._cap = "cap", ""
        elif tag == "table":
            self.tables.append({"caption": self._cap, "header": [], "rows": []})
        elif tag == "tr" and self.tables:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = ""

    def handle_endtag(self, tag):
        if tag == "figcaption":
            self._in = None
        elif tag in ("td", "th") and self._cell is not None:
            self._row.append(self._cell.replace("\u00ad", "").strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            tab = self.tables[-1]
            (tab["rows"] if tab["header"] else tab["header"]).extend(
                [self._row] if tab["header"] else self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data
        if self._in == "cap":
            self._cap += data


def _number(text: str, lang: str = "de") -> float | None:
    t = text.strip().replace("\u2212", "-")
    if t in ("", "–", "x"):
        return None
    t = t.replace(".", "").replace(",", ".") if lang == "de" else t.replace(",", "")
    return float(t)


@pytest.mark.slow
def test_report_files_and_manifest(rendered):
    import hashlib

    files, m = rendered
    out = files.out_dir
    assert files.html.exists() and files.html.stat().st_size > 50_000
    html = files.html.read_text(encoding="utf-8")
    assert "<pre" not in html or "llq_analysis.outputs.report.content" not in html  # no code
    assert "import llq_analysis" not in html and "rc.start(" not in html
    for name, info in m["inputs"].items():
        p = paths.PROJECT_DIR / name
        if p.exists():
            assert hashlib.sha256(p.read_bytes()).hexdigest() == info["sha256"], name
    assert {"data/panel.csv", "scenarios/baseline.yaml"} <= set(m["inputs"])
    assert len([k for k, v in m["inputs"].items() if v["role"] == "scenario"]) >= 3
    assert m["parameters"]["seed"] and m["parameters"]["lang"] == "de"
    assert m["versions"]["pandas"] and m["versions"]["llq_analysis"]
    assert m["git"] is None or "commit" in m["git"]
    tables = sorted((out / "tables").glob("*.csv"))
    assert len(tables) == len(m["tables"]) >= 10
    for t in m["tables"]:
        for f in t["files"]:
            assert (out / f).exists(), f
    for rel, digest in m["outputs"].items():
        assert hashlib.sha256((out / rel).read_bytes()).hexdigest() == digest, rel
    assert not list(out.parent.glob(".llq-report-*"))


@pytest.mark.slow
def test_pdf_is_printed(rendered):
    _need_weasyprint()
    files, m = rendered
    assert files.pdf_engine == "weasyprint" and m["parameters"]["pdf_engine"] == "weasyprint"
    data = files.pdf.read_bytes()
    assert data[:5] == b"%PDF-" and len(data) > 100_000
    if m["pdf_pages"] is not None:
        assert 12 <= m["pdf_pages"] <= 40
    if shutil.which("pdftoppm"):
        png = files.out_dir / "page1"
        subprocess.run(["pdftoppm", "-png", "-r", "30", "-f", "1", "-l", "1", str(files.pdf), str(png)],
                       check=True, timeout=60)
        assert list(files.out_dir.glob("page1*.png"))


@pytest.mark.slow
def test_pdf_pages_have_numbers_headers_and_visible_stamps(rendered):
    """Read back from the printed PDF: "page / pages" and the footer title on every page, the
    current chapter as running header, and a "Simulierte Daten" stamp for every stamped figure
    (WeasyPrint drops some translucent SVG text: the stamp must survive) and table banner."""
    _need_weasyprint()
    files, m = rendered
    n = m["pdf_pages"] or int(re.search(rb"/Count (\d+)", files.pdf.read_bytes()).group(1))
    html = files.html.read_text(encoding="utf-8")
    chapters = [unescape(re.sub(r"<[^>]+>", "", h)).replace("\u00ad", "").strip()
                for h in re.findall(r"<h2[^>]*>(.*?)</h2>", html, re.S)]
    for page in range(1, n + 1):
        text = _pdf_text(files.pdf, page)
        lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
        assert re.search(rf"\b{page} / {n}\b", lines[-1]), f"page {page}: footer {lines[-1]!r}"
        assert "LLQ – Evaluationsbericht" in lines[-1], f"page {page}: footer {lines[-1]!r}"
        if page > 1:
            assert any(lines[0].endswith(c) for c in chapters), f"page {page}: header {lines[0]!r}"
    stamped = sum(f["simulated"] for f in m["figures"]) + sum(t["simulated"] for t in m["tables"])
    assert _pdf_text(files.pdf).count("Simulierte Daten") >= stamped


@pytest.mark.slow
@pytest.mark.browser
def test_chromium_prints_the_same_report(rendered, tmp_path):
    _need_browser()
    from llq_analysis.outputs.report.pdf import html_to_pdf

    files, m = rendered
    out = tmp_path / "chromium.pdf"
    html_to_pdf(files.html, out, engine="chromium")
    assert out.read_bytes()[:5] == b"%PDF-"
    stamped = sum(f["simulated"] for f in m["figures"])
    assert _pdf_text(out).count("Simulierte Daten") >= stamped


@pytest.mark.slow
def test_simulated_tables_and_figures_are_marked(rendered):
    files, m = rendered
    html = files.html.read_text(encoding="utf-8")
    captions = re.findall(r"<figure class=\"([^\"]*)\"[^>]*><figcaption>(.*?)</figcaption>", html, re.S)
    sim_tables = [t for t in m["tables"] if t["simulated"]]
    assert len(sim_tables) >= 6
    for t in sim_tables:
        cap = [c for cls, c in captions if "llq-table" in cls and f"Tabelle {t['number']}:" in c]
        assert cap and "Simulierte Daten" in cap[0], t["name"]
    for f in m["figures"]:
        if f["simulated"]:
            svg = (files.out_dir / f["files"][0]).read_text(encoding="utf-8")
            assert "Simulierte Daten" in svg, f["name"]
    assert sum(f["simulated"] for f in m["figures"]) >= 3


@pytest.mark.slow
def test_disclosure_scan_of_published_csv_and_html(rendered, panel):
    files, m = rendered
    out = files.out_dir
    n_hidden = 0
    # --- CSV: person counts >= 3 or 'x'; shown rates need a shown numerator and base >= 3
    for t in m["tables"]:
        rows = list(csv.DictReader(open(out / f"tables/{t['name']}.csv", encoding="utf-8")))
        cols = rows[0].keys() if rows else []
        person_cols = [c for c in cols if c.endswith(PERSON_SUFFIXES)]
        assert set(person_cols) == set(t["disclosure"]["count_columns"]), t["name"]
        for r in rows:
            for c in person_cols:
                v = r[c]
                if v == "x":
                    n_hidden += 1
                elif v != "":
                    assert float(v) >= 3, f"{t['name']}: {c} = {v}"
            for rate, spec in t["disclosure"]["rate_columns"].items():
                if r[rate] in ("x", ""):
                    continue
                assert r[spec["numerator"]] not in ("x", ""), f"{t['name']}: rate shown, numerator hidden"
                assert float(r[spec["numerator"]]) >= 3 and float(r[spec["base"]]) >= 3
    assert n_hidden >= 3, "the scan found no suppressed cell: the tiny Häfen quartiers must be protected"

    # --- the quartier table against the panel: recompute every numerator independently
    qt = next(t for t in m["tables"] if t["name"].endswith("_quartiers"))
    rows = list(csv.DictReader(open(out / f"tables/{qt['name']}.csv", encoding="utf-8")))
    last = panel[panel["year"] == panel["year"].max()]
    by_name = {}
    q = __import__("llq_analysis").load_quartiers().set_index("quartier_id")
    for _, r in last.iterrows():
        by_name[f"{q.loc[r['quartier_id'], 'ortsteil']} ({q.loc[r['quartier_id'], 'stadtteil']})"] = r
    checked = 0
    for r in rows:
        src = by_name.get(r["Quartier"])
        if src is None:
            continue
        for rate, num_col, base_col in (("SGB-II-Quote (%)", "sgb2_rate", "population_below_retirement_age"),
                                        ("SGB-II-Quote Kinder unter 15 (%)", "sgb2_rate_u15", "population_u15")):
            persons = float(src[num_col]) * float(src[base_col]) / 100
            if persons < 2.5:  # below 3 persons once rounded
                assert r[rate] == "x", f"{r['Quartier']}: {rate} shown with {persons:.1f} persons"
                checked += 1
    assert checked >= 1
    # --- secondary suppression: no total line with exactly one hidden cell
    totals = {"Bremen insgesamt": "Bremen", "Bremerhaven insgesamt": "Bremerhaven"}
    for c in qt["disclosure"]["count_columns"]:
        for tot, city in totals.items():
            members = [r[c] for r in rows if r["Stadt"] == city and r["Quartier"] not in totals]
            total = [r[c] for r in rows if r["Quartier"] == tot]
            hidden = sum(v == "x" for v in members + total)
            assert hidden != 1, f"{tot}, {c}: one hidden cell can be recovered from the total"

    # --- HTML: the same rules on what a reader of the report sees
    parser = _Tables()
    parser.feed(files.html.read_text(encoding="utf-8"))
    assert len(parser.tables) == len(m["tables"])
    for tab, t in zip(parser.tables, m["tables"], strict=True):
        assert tab["header"] == t["columns"], t["name"]
        idx = {h: i for i, h in enumerate(tab["header"])}
        for row in tab["rows"]:
            for c in t["disclosure"]["count_columns"]:
                v = _number(row[idx[c]])
                assert v is None or v >= 3, f"HTML {t['name']}: {c} = {row[idx[c]]}"
            for rate, spec in t["disclosure"]["rate_columns"].items():
                if row[idx[rate]] in ("x", "", "–"):
                    continue
                assert (_number(row[idx[spec["numerator"]]]) or 0) >= 3, f"HTML {t['name']}: {rate}"


@pytest.mark.slow
def test_tables_are_deterministic(rendered, tmp_path):
    """The tables, workbooks and figures of the notebook run equal, byte for byte, those of a second,
    independent run of the content functions in this process (same inputs and seed)."""
    import llq_analysis.outputs.report.content as rc

    files, m = rendered
    ctx = rc.start(out_dir=tmp_path, seed=m["parameters"]["seed"],
                   scenarios=[paths.PROJECT_DIR / s for s in m["parameters"]["scenarios"]])
    from llq_analysis.outputs.report.content import published_sections as ps

    # the notebook's order: Part A (published data) first, then Part B (demo panel)
    for section in (rc.front_matter, ps.key_findings, ps.part_a, rc.summary, rc.programme,
                    rc.data_coverage, rc.before_after, rc.impact, rc.diagnostics, rc.scenarios,
                    rc.quartier_annex, rc.reproducibility):
        section(ctx)
    a = sorted(p.relative_to(files.out_dir) for d in ("tables", "figures")
               for p in (files.out_dir / d).iterdir())
    b = sorted(p.relative_to(tmp_path) for d in ("tables", "figures") for p in (tmp_path / d).iterdir())
    assert a == b
    different = [str(p) for p in a if (files.out_dir / p).read_bytes() != (tmp_path / p).read_bytes()]
    if different:
        import difflib

        first = different[0]
        diff = list(difflib.unified_diff((files.out_dir / first).read_text(encoding="utf-8", errors="replace")
                                         .splitlines(), (tmp_path / first).read_text(encoding="utf-8",
                                                                                      errors="replace")
                                         .splitlines(), lineterm="", n=0))[:12]
        pytest.fail(f"not byte-identical: {different}\n" + "\n".join(diff))
    html = files.html.read_text(encoding="utf-8")
    assert not re.search(r"20\d\d-\d\d-\d\dT\d\d:\d\d", html), "timestamp in the HTML"
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-", html), "random id in the HTML"


@pytest.mark.slow
def test_no_section_is_a_placeholder(rendered):
    """Every section is built from real package results: a placeholder ("noch nicht verfügbar",
    waiting for a package function) does not count as done."""
    files, m = rendered
    assert m["pending_sections"] == [], m["pending_sections"]
    html = files.html.read_text(encoding="utf-8")
    assert "noch nicht verfügbar" not in html and '<div class="callout callout-pending">' not in html
    for needed in ("Kurzfassung", "Programm und sein Budget", "Abdeckung und Herkunft", "Vorher-Nachher",
                   "Wirkungsschätzungen", "Diagnostik und Sensitivität", "Synthetische Kontrolle",
                   "Szenarien", "Methoden", "Glossar", "Callaway", "Rambachan", "Abadie", "Goodman-Bacon",
                   "Borusyak", "Arkhangelsky", "Roodman", "Webb"):
        assert needed in html, needed
