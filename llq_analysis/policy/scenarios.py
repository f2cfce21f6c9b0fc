"""Scenarios as data and their allocation to quartiers, to the cent.

A :class:`Scenario` is a frozen, validated tree (read from YAML with ``yaml.safe_load`` only):

.. code-block:: yaml

    budget:
      total_eur: {value: 2000000, unit: EUR/Jahr, source: "..."}
      city_share: {Bremen: 0.8, Bremerhaven: 0.2}
    need_index: {indicators: {sgb2_rate: 1, ...}, standardise: all}
    cities:
      Bremen:
        strands:
          quartierszentren: {share: 0.525, rule: fixed, amounts: {04011373: 60000, ...}}

Every number may be written plainly or as ``{value, unit, source, illustrative, note}`` (like a
PolicyEngine parameter). Another scenario lists only its *changes* by dotted path
(``budget.city_share.Bremen: 0.75``); :meth:`Scenario.with_changes` applies such a diff after
validating everything (no partial change is ever applied).

Allocating a scenario to quartiers (to the cent) is :mod:`llq_analysis.policy.allocation`. The
key schema and helpers are in :mod:`.scenario_tree`, the checks in :mod:`.scenario_validation`,
the text in :mod:`.scenario_describe` and the budget split in :mod:`.budget`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from ..errors import ScenarioError
from .budget import _city_cents, _strand_cents, largest_remainder
from .scenario_describe import _describe
from .scenario_files import base_chain, locate, read_scenario_yaml, scenario_error
from .scenario_tree import (  # the key schema (public names re-exported, see __all__)
    BASE_RULES,
    BUDGET_KEYS,
    CITIES,
    CITY_KEYS,
    DEFAULT_NEED_INDICATORS,
    ELIGIBILITY_KEYS,
    FILE_KEYS,
    NEED_INDICATORS,
    NEED_KEYS,
    NEED_TRANSFORMS,
    PARAM_KEYS,
    RULES,
    STRAND_KEYS,
    TOP_KEYS,
    UNATTRIBUTED,
    UNATTRIBUTED_ID,
    _freeze,
    _hint,
    _thaw,
    _v,
)
from .scenario_validation import _apply_changes, _check_change_path, _validate_tree

__all__ = ["Scenario", "load_scenario", "largest_remainder", "CITIES", "RULES", "DEFAULT_NEED_INDICATORS", "UNATTRIBUTED",
           # defined in .scenario_tree
           "BASE_RULES", "BUDGET_KEYS", "CITY_KEYS", "ELIGIBILITY_KEYS", "NEED_INDICATORS", "NEED_KEYS",
           "NEED_TRANSFORMS", "PARAM_KEYS", "STRAND_KEYS", "TOP_KEYS", "UNATTRIBUTED_ID"]


# ============================================================================ Scenario


@dataclass(frozen=True)
class Scenario:
    """A validated, immutable funding scenario (a tree of values, each optionally with unit/source).

    Build with :func:`load_scenario`, :meth:`from_dict` or :meth:`with_changes`; never edited in
    place. ``changes`` records the dotted-path diff against ``base_tree`` (the baseline).
    """

    name: str
    title: str
    description: str
    tree: Mapping[str, Any]
    changes: Mapping[str, Any] = field(default_factory=dict)
    base_tree: Mapping[str, Any] | None = None
    base_title: str | None = None
    source_file: str | None = None
    known_quartiers: Mapping[str, str] | None = None

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, d: Mapping[str, Any], *, base: Scenario | str | Path | None = None,
                  quartiers: pd.DataFrame | Mapping[str, str] | Iterable[str] | None = None,
                  source_file: str | None = None) -> Scenario:
        """A scenario from a full tree, or from a diff ``{name, description, changes: {...}}``.

        A diff is applied to ``base`` (a Scenario or a YAML path; default: the bundled baseline).
        ``quartiers`` (table, id -> city mapping or ids) is used to check quartier ids; default:
        the bundled ``data/quartiers.csv`` when it exists.
        """
        if not isinstance(d, Mapping):
            raise ScenarioError(f"scenario: expected a mapping, found {type(d).__name__}")
        known = _known_quartiers(quartiers)
        if "changes" in d:
            bad = [k for k in d if k not in FILE_KEYS]
            if bad:
                probs = [f"{k}: unknown key in a scenario diff; {_hint(k, FILE_KEYS)}" for k in bad]
                raise scenario_error(probs, "\n".join(probs))
            changes = d.get("changes") or {}
            if not isinstance(changes, Mapping):
                raise scenario_error(["changes: expected dotted path -> value"], "changes: expected dotted path -> value")
            if isinstance(base, Scenario):
                base_s = base
            else:
                bpath = base if base is not None else d.get("base")
                if bpath is None:
                    from .. import paths
                    bpath = paths.BASELINE_SCENARIO
                elif not isinstance(bpath, (str, Path)) or not str(bpath).strip():
                    msg = f"base: expected the file name of the base scenario (text), found {bpath!r}"
                    raise scenario_error([msg], msg)
                elif source_file is not None and not Path(bpath).is_absolute():
                    bpath = Path(source_file).parent / bpath
                try:
                    base_s = load_scenario(bpath, quartiers=quartiers)
                except FileNotFoundError:
                    msg = f"base: scenario file {bpath} not found (a path relative to the scenario file)"
                    raise scenario_error([msg], msg) from None
            if known is not None:
                base_s = _replace(base_s, known_quartiers=MappingProxyType(dict(known)))
            out = base_s.with_changes(changes, name=d.get("name"), title=d.get("title"),
                                      description=d.get("description"))
            return _replace(out, source_file=source_file)
        problems = _validate_tree(d, known)
        if problems:
            raise scenario_error(problems, _problems_text(problems, d.get("name")))
        tree = _freeze(_thaw(d))
        name = str(d.get("name", "scenario"))
        base_tree = tree if base is None else (base.tree if isinstance(base, Scenario)
                                               else load_scenario(base).tree)
        return cls(name=name, title=str(d.get("title", name)), description=str(d.get("description", "")),
                   tree=tree, changes=MappingProxyType({}), base_tree=base_tree,
                   base_title=str(d.get("title", name)) if base is None else None,
                   source_file=source_file,
                   known_quartiers=None if known is None else MappingProxyType(dict(known)))

    def with_changes(self, changes: Mapping[str, Any], *, name: str | None = None,
                     title: str | None = None, description: str | None = None) -> Scenario:
        """A new scenario with ``changes`` (dotted path -> value; ``None`` deletes) applied.

        Every path and the resulting tree are validated first; on any problem a
        :class:`ScenarioError` lists all of them and nothing is applied.
        """
        if not isinstance(changes, Mapping):
            raise ScenarioError(f"changes: expected a mapping of dotted path -> value, found {type(changes).__name__}")
        problems: list[str] = []
        for p, v in changes.items():
            problems += _check_change_path(self.tree, p, v, changes, self.known_quartiers)
        new_name = name or (self.name if not changes else f"{self.name}*")
        if problems:
            raise scenario_error(problems, _problems_text(problems, new_name))
        if not changes:
            return _replace(self, name=new_name, title=title or self.title,
                            description=description if description is not None else self.description)
        new_tree = _apply_changes(_thaw(self.tree), changes, new_name)
        problems = _validate_tree(new_tree, self.known_quartiers)
        if problems:
            raise scenario_error(problems, _problems_text(problems, new_name))
        merged = {k: v for k, v in self.changes.items()
                  if not any(k == p or k.startswith(p + ".") for p in changes)}
        merged.update({k: _freeze(_thaw(v)) for k, v in changes.items()})
        return Scenario(name=new_name, title=title or new_name,
                        description=description if description is not None else self.description,
                        tree=_freeze(new_tree), changes=MappingProxyType(merged),
                        base_tree=self.base_tree if self.base_tree is not None else self.tree,
                        base_title=self.base_title or self.title, source_file=None,
                        known_quartiers=self.known_quartiers)

    # -- access ---------------------------------------------------------------------------------
    def get(self, path: str, default: Any = None) -> Any:
        """The value at a dotted path (parameter leaves give their ``value``)."""
        node: Any = self.tree
        for key in path.split("."):
            if not isinstance(node, Mapping) or key not in node:
                return default
            node = node[key]
        return _thaw(_v(node))

    def to_dict(self) -> dict[str, Any]:
        """The full tree as plain (mutable) Python objects; a copy."""
        return _thaw(self.tree)

    @property
    def total_eur(self) -> float:
        """Total budget (EUR per year)."""
        return float(self.get("budget.total_eur"))

    def city_budgets(self) -> dict[str, float]:
        """EUR per city after largest-remainder rounding to whole cents."""
        cents = _city_cents(self.tree)
        return {c: v / 100 for c, v in cents.items()}

    def strand_budgets(self) -> pd.DataFrame:
        """One row per city and strand: label, rule, share and budget in EUR (whole cents)."""
        rows = []
        cc = _city_cents(self.tree)
        for c in CITIES:
            for s, node, cents in _strand_cents(self.tree, c, cc[c]):
                rows.append({"city": c, "strand": s, "label": node.get("label", s), "rule": node["rule"],
                             "share": float(_v(node["share"])), "budget_eur": cents / 100})
        return pd.DataFrame(rows, columns=["city", "strand", "label", "rule", "share", "budget_eur"])

    # -- text -----------------------------------------------------------------------------------
    def describe(self, lang: str = "de") -> str:
        """In words: what differs from the baseline (German by default, ``lang="en"``)."""
        return _describe(self, lang)

    def __repr__(self) -> str:
        return f"Scenario(name={self.name!r}, changes={len(self.changes)})"

    def _repr_html_(self) -> str:
        txt = self.describe("de").replace("\n", "<br>")
        return f"<div><b>{self.title}</b><br>{txt}</div>{self.strand_budgets().to_html(index=False)}"


def _replace(s: Scenario, **kw) -> Scenario:
    from dataclasses import replace

    return replace(s, **kw)


def _problems_text(problems: list[str], name: Any) -> str:
    head = f"{len(problems)} problem(s) in scenario {name!r}:" if name else f"{len(problems)} problem(s) in scenario:"
    return "\n".join([head, *(f"  - {p}" for p in problems)])


def _known_quartiers(quartiers: Any) -> Mapping[str, str] | None:
    """id -> city from a table / mapping / ids; default: the bundled quartiers (if present)."""
    if quartiers is None:
        return _bundled_known()
    if isinstance(quartiers, pd.DataFrame):
        for c in ("quartier_id", "city"):
            if c not in quartiers.columns:
                raise ScenarioError(f"quartiers: column {c!r} missing (expected quartier_id, city)")
        return dict(zip(quartiers["quartier_id"].astype(str), quartiers["city"].astype(str), strict=True))
    if isinstance(quartiers, Mapping):
        return dict(quartiers)
    ids = list(quartiers)
    return {q: ("Bremerhaven" if str(q).startswith("BHV-") else "Bremen") for q in ids}


_BUNDLED_KNOWN: dict[str, str] | None = None


def _bundled_known() -> Mapping[str, str] | None:
    global _BUNDLED_KNOWN
    if _BUNDLED_KNOWN is None:
        import csv

        from .. import paths

        if not paths.QUARTIERS_CSV.exists():
            return None
        with open(paths.QUARTIERS_CSV, encoding="utf-8", newline="") as fh:
            _BUNDLED_KNOWN = {r["quartier_id"]: r["city"] for r in csv.DictReader(fh)}
    return _BUNDLED_KNOWN


def load_scenario(path: str | Path, *, quartiers: pd.DataFrame | Mapping[str, str] | None = None) -> Scenario:
    """Read a scenario YAML file (the safe reader :mod:`llq_analysis.data.safe_yaml`) and validate it.

    A file with a ``changes`` key is a diff applied to ``base`` (a path relative to the file;
    default: ``baseline.yaml`` next to it, else the bundled baseline). Chains of bases are
    followed up to :data:`~.scenario_files.MAX_BASE_DEPTH` files; a cycle is an error. Problems
    name the file and the line and column of the value (duplicate keys, alias bombs and Python
    tags are refused by the reader).
    """
    p = Path(path)
    if not p.exists():
        from .. import paths

        alt = paths.SCENARIO_DIR / p
        if not p.is_absolute() and alt.exists():
            p = alt
        else:
            raise FileNotFoundError(f"scenario file {path} not found")
    with base_chain(p):
        doc, marks = read_scenario_yaml(p)
        if "changes" in doc and "base" not in doc and (p.parent / "baseline.yaml").exists():
            doc = {**doc, "base": "baseline.yaml"}
        try:
            return Scenario.from_dict(doc, quartiers=quartiers, source_file=str(p))
        except ScenarioError as exc:
            located = locate(exc, p, marks, diff="changes" in doc)
            if located is exc:
                raise
            raise located from None
