"""Malformed inputs across API and CLI (issue 14), table-driven: scenario YAML, mapping YAML,
output paths, money, scenario base chains and interrupts.

Each case returns the message the user sees (exception text or stderr) and lists the pieces it
must name: the file, the line (and column where known), the key, and what was expected. No case
may end in a traceback; CLI cases also check the exit code (1, 130 for Ctrl-C)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import pytest

from llq_analysis import paths
from llq_analysis.cli import main
from llq_analysis.data import importing
from llq_analysis.errors import DataValidationError, ScenarioError
from llq_analysis.policy.scenarios import load_scenario

HAVE_BUNDLED = paths.QUARTIERS_CSV.exists() and paths.BASELINE_SCENARIO.exists()
needs_bundled = pytest.mark.skipif(not HAVE_BUNDLED, reason="bundled data not built yet")

EXPORT = ("Ortsteil;Jahr;Einwohner;SGB II-Quote in %\n"
          "Gröpelingen;2021;9.123;32,9\nLindenhof;2021;6.250;30,1\n")
MAPPING = ('city: Bremen\nquartier_column: Ortsteil\nyear_column: Jahr\n'
           'indicators:\n  population: Einwohner\n  sgb2_rate: "SGB II-Quote in %"\n')
LOL = "".join([f"a0: &a0 [{', '.join(['lol'] * 9)}]\n"]
              + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 9)])


def _unwritable_dir(tmp: Path) -> Path:
    """A directory nobody may write into here (chmod for users; /sys for root), else skip."""
    d = tmp / "locked"
    d.mkdir()
    d.chmod(0o500)
    for cand in (d, Path("/sys")):
        try:
            fd, probe = tempfile.mkstemp(dir=cand)
        except OSError:
            return cand
        Path(probe).unlink()
    pytest.skip("no unwritable directory available")


# ---------------------------------------------------------------------------------------- runners
def api(exc_type, fn):
    """Run ``fn()``; it must raise ``exc_type``; the message is returned."""
    with pytest.raises(exc_type) as info:
        fn()
    return str(info.value)


def cli(capsys, argv, code=1):
    """Run ``llq argv``; it must exit with ``code``; stderr is returned."""
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc == code, err
    return err


def scen_file(tmp: Path, name: str, text: str) -> Path:
    f = tmp / name
    f.write_text(text, encoding="utf-8")
    return f


def baseline_text() -> str:
    return paths.BASELINE_SCENARIO.read_text(encoding="utf-8")


def load(tmp, name, text):
    return api(ScenarioError, lambda: load_scenario(scen_file(tmp, name, text)))


def with_change(change):
    return api(ScenarioError, lambda: load_scenario(paths.BASELINE_SCENARIO).with_changes(change))


def build(tmp, capsys, mapping_text, *, out=None, code=1, extra=()):
    src = scen_file(tmp, "export.csv", EXPORT)
    m = scen_file(tmp, "m.yaml", mapping_text)
    return cli(capsys, ["build-panel", *extra, "--mapping", str(m), str(src),
                        "--out", str(out if out is not None else tmp / "panel.csv")], code)


def latin1(tmp):
    f = tmp / "latin1.yaml"
    f.write_bytes("name: Gr\xf6pelingen\n".encode("latin-1"))
    return api(ScenarioError, lambda: load_scenario(f))


def chain(tmp, n):
    """n scenario diffs, each based on the next; the last on the bundled baseline."""
    for i in range(n):
        base = f"s{i + 1}.yaml" if i + 1 < n else str(paths.BASELINE_SCENARIO)
        scen_file(tmp, f"s{i}.yaml", f"name: s{i}\nbase: {base}\nchanges: {{budget.total_eur: {1000 + i}}}\n")
    return load_scenario(tmp / "s0.yaml")


# ---------------------------------------------------------------------------------------- the table
DIFF = "name: x\nchanges:\n"
CASES = {
    # scenario YAML (API)
    "scenario: duplicate key in a full scenario": (
        lambda t, c, m: load(t, "dup.yaml", baseline_text().replace("\nyear: ", "\nyear: 2023\nyear: ", 1)),
        ["dup.yaml", "line", "column 1", "duplicate key 'year'", "first at line"]),
    "scenario: duplicate change path": (
        lambda t, c, m: load(t, "d.yaml", DIFF + "  budget.total_eur: 1000\n  budget.total_eur: 2000\n"),
        ["d.yaml", "line 4", "column 3", "duplicate key 'budget.total_eur'", "first at line 3"]),
    "scenario: billion laughs in a list field": (
        lambda t, c, m: load(t, "lol.yaml", LOL + DIFF
                             + "  cities.Bremen.strands.quartierszentren.eligibility.quartiers: *a8\n"),
        ["lol.yaml", "line 6", "column 5", "anchors/aliases", "200,000"]),
    "scenario: python tag": (
        lambda t, c, m: load(t, "evil.yaml", "name: !!python/object/apply:os.system ['true']\n"),
        ["evil.yaml", "line 1", "column 7", "not valid YAML", "!!python/object/apply:os.system", "not allowed"]),
    "scenario: syntax error": (
        lambda t, c, m: load(t, "syn.yaml", DIFF + "  budget.total_eur: [1, 2\n"),
        ["syn.yaml", "line", "column", "not valid YAML for a scenario"]),
    "scenario: not UTF-8": (lambda t, c, m: latin1(t), ["latin1.yaml", "expected UTF-8 text", "byte 8"]),
    "scenario: top level is a list": (
        lambda t, c, m: load(t, "list.yaml", "- budget\n- cities\n"),
        ["list.yaml", "line 1", "expected a YAML mapping at the top level", "found a list"]),
    "scenario: empty file": (
        lambda t, c, m: load(t, "empty.yaml", "# nothing\n"),
        ["empty.yaml", "expected a YAML mapping", "empty file"]),
    "scenario: 1.0e15 is text to YAML": (
        lambda t, c, m: load(t, "e15.yaml", DIFF + "  budget.total_eur: 1.0e15\n"),
        ["e15.yaml", "budget.total_eur", "line 3", "column 21", "expected an amount in EUR",
         "'1.0e15' is text in YAML", "1.0e+15"]),
    "scenario: decimal comma in a share": (
        lambda t, c, m: load(t, "comma.yaml", DIFF + "  budget.city_share.Bremen: 0,75\n"),
        ["comma.yaml", "budget.city_share.Bremen", "line 3", "expected a share in [0, 1]", "decimal point"]),
    "scenario: several problems, each with its line": (
        lambda t, c, m: load(t, "many.yaml", DIFF + "  budget.total_eur: -5\n"
                             "  cities.Bremen.strands.quartierszentren.share: 1.5\n"),
        ["many.yaml", "2 problem(s)", "budget.total_eur (line 3, column 21): negative money",
         "quartierszentren.share (line 4, column 49): share 1.5 outside [0, 1]"]),
    "scenario: !include is not YAML": (
        lambda t, c, m: load(t, "inc.yaml", "name: i\nchanges: !include other.yaml\n"),
        ["inc.yaml", "line 2", "column 10", "tag '!include' is not allowed"]),
    "scenario: two documents in one file": (
        lambda t, c, m: load(t, "two.yaml", DIFF + "  budget.total_eur: 1000\n---\nname: y\n"),
        ["two.yaml", "line 4", "expected a single document"]),
    "scenario: recursive alias": (
        lambda t, c, m: load(t, "rec.yaml", "name: r\nx: &x [1, *x]\nchanges: {}\n"),
        ["rec.yaml", "line 2", "alias *x", "recursive"]),
    "scenario: a list as a key": (
        lambda t, c, m: load(t, "key.yaml", "name: k\nchanges:\n  ? [budget, total_eur]\n  : 5\n"),
        ["key.yaml", "line 3", "a mapping key must be text or a number"]),
    "scenario: year as text": (
        lambda t, c, m: load(t, "year.yaml", DIFF + "  year: 2e3\n"),
        ["year.yaml", "year (line 3, column 9)", "expected a whole year such as 2024", "'2e3' is text"]),
    # money (API and file)
    "money: 1e18 EUR": (lambda t, c, m: with_change({"budget.total_eur": 1e18}),
                        ["budget.total_eur", "above the maximum of 1,000,000,000,000 EUR"]),
    "money: 1.0e+18 in a file": (
        lambda t, c, m: load(t, "big.yaml", DIFF + "  budget.total_eur: 1.0e+18\n"),
        ["big.yaml", "budget.total_eur", "line 3", "above the maximum"]),
    "money: integer too large for a float": (lambda t, c, m: with_change({"budget.total_eur": 10**400}),
                                             ["budget.total_eur", "above the maximum", "..."]),
    "money: NaN": (lambda t, c, m: with_change({"budget.total_eur": float("nan")}),
                   ["budget.total_eur", "expected an amount in EUR (a finite number)", "nan"]),
    "money: infinite": (lambda t, c, m: with_change({"budget.total_eur": float("inf")}),
                        ["budget.total_eur", "above the maximum"]),
    "money: true is not an amount": (lambda t, c, m: with_change({"budget.total_eur": True}),
                                     ["budget.total_eur", "expected an amount in EUR", "True"]),
    "money: fraction of a cent": (lambda t, c, m: with_change({"budget.total_eur": 10.001}),
                                  ["budget.total_eur", "whole cents", "10.001"]),
    "money: floor too large": (
        lambda t, c, m: with_change({"cities.Bremen.strands.quartierszentren.floor_eur": 2e12}),
        ["quartierszentren.floor_eur", "above the maximum"]),
    "money: cap per resident as text": (
        lambda t, c, m: with_change({"cities.Bremen.strands.quartierszentren.cap_eur_per_capita": "1e3"}),
        ["cap_eur_per_capita", "expected EUR per resident", "'1e3' is text in YAML"]),
    # scenario base chains
    "base: refers to itself": (
        lambda t, c, m: load(t, "self.yaml", "name: self\nbase: self.yaml\nchanges: {budget.total_eur: 1}\n"),
        ["self.yaml", "key 'base'", "cycle", "self.yaml -> ", "self.yaml"]),
    "base: two files in a cycle": (
        lambda t, c, m: (scen_file(t, "b.yaml", "name: b\nbase: a.yaml\nchanges: {budget.total_eur: 2}\n"),
                         load(t, "a.yaml", "name: a\nbase: b.yaml\nchanges: {budget.total_eur: 1}\n"))[1],
        ["b.yaml", "key 'base'", "cycle", "a.yaml -> ", "b.yaml -> ", "a.yaml)"]),
    "base: chain longer than 20 files": (
        lambda t, c, m: api(ScenarioError, lambda: chain(t, 25)),
        ["key 'base'", "more than 20 scenario files", "s0.yaml", "expected a shorter chain"]),
    "base: file missing": (
        lambda t, c, m: load(t, "m.yaml", "name: m\nbase: nope.yaml\nchanges: {budget.total_eur: 1}\n"),
        ["m.yaml", "base (line 2, column 7)", "nope.yaml not found"]),
    "base: not a file name": (
        lambda t, c, m: load(t, "n.yaml", "name: n\nbase: [a, b]\nchanges: {budget.total_eur: 1}\n"),
        ["n.yaml", "base (line 2, column 7)", "expected the file name of the base scenario"]),
    # mapping YAML (API and CLI)
    "mapping: duplicate indicator (API)": (
        lambda t, c, m: api(DataValidationError, lambda: importing.load_mapping(scen_file(
            t, "m.yaml", MAPPING + '  sgb2_rate: "Einwohner"\n'))),
        ["m.yaml", "line 7", "duplicate key 'sgb2_rate'", "first at line 6", "valid YAML"]),
    "mapping: duplicate indicator (CLI)": (
        lambda t, c, m: build(t, c, MAPPING + '  sgb2_rate: "Einwohner"\n'),
        ["llq build-panel", "m.yaml", "line 7", "duplicate key 'sgb2_rate'"]),
    "mapping: billion laughs (CLI)": (
        lambda t, c, m: build(t, c, LOL + MAPPING + "exclude_rows: *a8\n"),
        ["llq build-panel", "m.yaml", "line 6", "anchors/aliases"]),
    "mapping: python tag (CLI)": (
        lambda t, c, m: build(t, c, "indicators: !!python/object/apply:os.system ['true']\n"),
        ["llq build-panel", "m.yaml", "line 1", "python/object", "safe_load"]),
    # output paths (CLI), checked before any work
    "out: an existing directory": (
        lambda t, c, m: build(t, c, MAPPING, out=t),
        ["--out", "is a directory", "expected a file name"]),
    "out: parent is a file": (
        lambda t, c, m: build(t, c, MAPPING, out=scen_file(t, "f.txt", "x") / "panel.csv"),
        ["--out", "f.txt is a file, not a directory"]),
    "out: same as the input": (
        lambda t, c, m: build(t, c, MAPPING, out=t / "export.csv"),
        ["--out", "export.csv", "would overwrite an input file"]),
    "out: directory not writable (build-panel)": (
        lambda t, c, m: build(t, c, MAPPING, out=_unwritable_dir(t) / "sub" / "panel.csv"),
        ["--out", "panel.csv", "cannot write into directory", "expected a writable directory"]),
    "scenario (CLI report): base cycle, before any work": (
        lambda t, c, m: (scen_file(t, "b.yaml", "name: b\nbase: a.yaml\nchanges: {budget.total_eur: 2}\n"),
                         scen_file(t, "a.yaml", "name: a\nbase: b.yaml\nchanges: {budget.total_eur: 1}\n"),
                         m.setattr("llq_analysis.outputs.report.render._execute",
                                   lambda *a, **k: pytest.fail("the report notebook ran")),
                         cli(c, ["report", "--no-pdf", "--scenario", str(t / "a.yaml"), "--out", str(t / "r")]))[3],
        ["llq report", "a.yaml", "key 'base'", "cycle", "b.yaml -> "]),
    "out: empty path": (
        lambda t, c, m: build(t, c, MAPPING, out=""),
        ["--out", "empty path", "expected a file name"]),
    "out: overview into an unwritable directory, before any work": (
        lambda t, c, m: (m.setattr("llq_analysis.outputs.overview.write_overview",
                                   lambda *a, **k: pytest.fail("write_overview ran")),
                         cli(c, ["overview", "--out", str(_unwritable_dir(t) / "ov")]))[1],
        ["llq overview", "--out", "cannot write into directory", "permission denied"]),
    "out: report over its own scenario file": (
        lambda t, c, m: (m.setattr("llq_analysis.outputs.report.render.render_report",
                                   lambda **kw: pytest.fail("render_report ran")),
                         cli(c, ["report", "--no-pdf", "--scenario", str(paths.BASELINE_SCENARIO),
                                 "--out", str(paths.BASELINE_SCENARIO)]))[1],
        ["llq report", "baseline.yaml would overwrite an input file"]),
    "out: overview into a file": (
        lambda t, c, m: cli(c, ["overview", "--out", str(scen_file(t, "o.html", "x"))]),
        ["llq overview", "o.html exists and is a file", "expected a directory"]),
    "out: report into an unwritable directory, before any work": (
        lambda t, c, m: (m.setattr("llq_analysis.outputs.report.render.render_report",
                                   lambda **kw: pytest.fail("render_report ran")),
                         cli(c, ["report", "--no-pdf", "--out", str(_unwritable_dir(t) / "r")]))[1],
        ["llq report", "--out", "cannot write into directory", "expected a writable directory"]),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_malformed_input_gets_a_precise_message(case, tmp_path, capsys, monkeypatch):
    if not HAVE_BUNDLED and ("scenario" in case or "money" in case or "base" in case):
        pytest.skip("bundled baseline not available")
    run, expected = CASES[case]
    msg = run(tmp_path, capsys, monkeypatch)
    missing = [e for e in expected if e not in msg]
    assert not missing, f"{missing} not in:\n{msg}"
    assert "Traceback" not in msg and len(msg) < 3000


# ---------------------------------------------------------------------------------------- interrupts
def test_ctrl_c_during_build_panel_exits_130_and_leaves_nothing(tmp_path, capsys, monkeypatch):
    def interrupted(self, fh, **kw):
        fh.write("quartier_id,city,ye")
        raise KeyboardInterrupt

    monkeypatch.setattr(pd.DataFrame, "to_csv", interrupted)
    out = tmp_path / "o"
    out.mkdir()
    err = build(tmp_path, capsys, MAPPING, out=out / "p.csv", code=130)
    assert "interrupted (Ctrl-C)" in err and "Traceback" not in err
    assert list(out.iterdir()) == []  # the temporary file is gone
    with pytest.raises(KeyboardInterrupt):  # --debug: the traceback, for bug reports
        build(tmp_path, capsys, MAPPING, out=out / "p.csv", extra=["--debug"])
    assert list(out.iterdir()) == []


def test_sigterm_during_build_panel_exits_143_and_leaves_nothing(tmp_path, capsys, monkeypatch):
    import os
    import signal

    def terminated(self, fh, **kw):
        fh.write("quartier_id,city,ye")
        os.kill(os.getpid(), signal.SIGTERM)  # e.g. a service manager stopping the job
        fh.write("ar\n")  # the handler raises at the latest here

    monkeypatch.setattr(pd.DataFrame, "to_csv", terminated)
    before = signal.getsignal(signal.SIGTERM)
    out = tmp_path / "o"
    out.mkdir()
    err = build(tmp_path, capsys, MAPPING, out=out / "p.csv", code=128 + signal.SIGTERM)
    assert "stopped by SIGTERM" in err and "Traceback" not in err
    assert list(out.iterdir()) == []
    assert signal.getsignal(signal.SIGTERM) is before  # handler restored


@needs_bundled
def test_ctrl_c_during_report_removes_its_temporary_directory(tmp_path, capsys, monkeypatch):
    def interrupted(nb_out, *a, **k):
        Path(nb_out).write_text("{}", encoding="utf-8")  # the notebook is half-way
        raise KeyboardInterrupt

    monkeypatch.setattr("llq_analysis.outputs.report.render._execute", interrupted)
    err = cli(capsys, ["report", "--no-pdf", "--out", str(tmp_path / "r")], code=130)
    assert "interrupted (Ctrl-C)" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no report dir, no .llq-report-* staging dir


@pytest.mark.slow
@needs_bundled
def test_real_ctrl_c_while_the_report_notebook_runs(tmp_path):
    """A real SIGINT to ``llq report`` (asyncio must not swallow it): exit 130, nothing left behind."""
    import signal
    import subprocess
    import sys
    import time

    proc = subprocess.Popen([sys.executable, "-m", "llq_analysis.cli", "report", "--no-pdf", "--out",
                             str(tmp_path / "r")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        t0 = time.monotonic()
        for line in proc.stdout:  # wait until the notebook runs (a kernel is up)
            if "Notebook" in line or time.monotonic() - t0 > 120:
                break
        time.sleep(2)
        proc.send_signal(signal.SIGINT)
        rc = proc.wait(timeout=60)
        err = proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert rc == 130, err
    assert "interrupted (Ctrl-C)" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # neither the report directory nor its staging directory


def test_unexpected_error_is_one_message_unless_debug(tmp_path, capsys, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("something nobody expected")

    monkeypatch.setattr("llq_analysis.data.importing.build_panel", boom)
    err = build(tmp_path, capsys, MAPPING)
    assert "unexpected error (RuntimeError: something nobody expected)" in err and "--debug" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    with pytest.raises(RuntimeError):
        build(tmp_path, capsys, MAPPING, extra=["--debug"])


def test_usage_error_exits_2():
    with pytest.raises(SystemExit) as info:
        main(["report", "--lang", "fr"])
    assert info.value.code == 2


# ---------------------------------------------------------------------------------------- money is exact
@needs_bundled
def test_largest_budget_is_split_to_the_cent():
    import llq_analysis as llq

    s = load_scenario(paths.BASELINE_SCENARIO).with_changes({"budget.total_eur": 999_999_999_999.99})
    a = llq.allocate(s, llq.load_quartiers(), panel=llq.load_demo_panel())
    assert int(a["amount_cents"].sum()) == 99_999_999_999_999
    b = s.strand_budgets()
    assert round(b["budget_eur"].sum() * 100) == 99_999_999_999_999
