"""The safe YAML reader: property tests (hypothesis) against PyYAML's safe_load and independent
counts (expanded alias sizes, line numbers of duplicate keys), plus memory bounds on hostile input."""

from __future__ import annotations

import json
import os
import tracemalloc

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llq_analysis.data.safe_yaml import (
    YAMLInputError,
    load_yaml,
    number_hint,
    number_like_text,
    parse_yaml,
)

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])
SCALE = float(os.environ.get("LLQ_PROPERTY_SCALE", "1"))  # as in test_allocation_properties.py


def n(k: int) -> int:
    return max(10, int(k * SCALE))

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**12, 10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12),
)
keys = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=8)
documents = st.recursive(scalars, lambda kids: st.one_of(st.lists(kids, max_size=4),
                                                         st.dictionaries(keys, kids, max_size=4)),
                         max_leaves=25)


@settings(max_examples=n(150), **SETTINGS)
@given(documents, st.sampled_from([True, False]))
def test_random_documents_read_like_safe_load(doc, flow):
    """Any plain document (no duplicates, no aliases) is read exactly as yaml.safe_load reads it."""
    text = yaml.safe_dump(doc, default_flow_style=flow, allow_unicode=True)
    assert parse_yaml(text) == yaml.safe_load(text) == doc


containers = st.one_of(st.lists(documents, min_size=1, max_size=3), st.dictionaries(keys, documents, min_size=1,
                                                                                  max_size=3))


@settings(max_examples=n(100), **SETTINGS)
@given(st.lists(containers, min_size=1, max_size=3), st.lists(st.integers(0, 5), min_size=2, max_size=6))
def test_random_documents_with_aliases_read_like_safe_load(pool, picks):
    """Shared sub-documents are dumped as anchors and aliases; they read back as safe_load reads them."""
    doc = {f"k{i}": pool[j % len(pool)] for i, j in enumerate(picks)}
    text = yaml.safe_dump(doc, allow_unicode=True)
    if len({j % len(pool) for j in picks}) < len(picks):
        assert "*id" in text  # the dump really contains aliases
    assert parse_yaml(text) == yaml.safe_load(text) == doc


def _emit(pairs: list[tuple[str, int]]) -> str:
    return "".join(f"{json.dumps(k)}: {v}\n" for k, v in pairs)  # JSON strings are YAML strings


@settings(max_examples=n(150), **SETTINGS)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c", "sgb2_rate", "Ä ö", "1"]), st.integers(0, 99)),
                min_size=1, max_size=8), st.integers(0, 3))
def test_duplicate_keys_are_an_error_naming_line_and_key(pairs, indent_level):
    """Duplicate keys at any depth: error at the second occurrence (line counted independently)."""
    pad = "  " * indent_level
    head = "".join(f"{'  ' * i}lvl{i}:\n" for i in range(indent_level))
    body = "".join(pad + line + "\n" for line in _emit(pairs).splitlines())
    text = head + body
    seen: dict[str, int] = {}
    dup = None
    for i, (k, _) in enumerate(pairs):
        if k in seen:
            dup = (k, indent_level + i + 1, seen[k])
            break
        seen[k] = indent_level + i + 1
    if dup is None:
        got = parse_yaml(text)
        for i in range(indent_level):
            got = got[f"lvl{i}"]
        assert got == dict(pairs)
        return
    with pytest.raises(YAMLInputError) as info:
        parse_yaml(text, source="doc.yaml")
    e = info.value
    assert (e.key, e.line, e.column, e.file) == (dup[0], dup[1], 2 * indent_level + 1, "doc.yaml")
    assert f"duplicate key {dup[0]!r}" in str(e) and f"first at line {dup[2]}" in str(e)
    assert str(e).startswith(f"file doc.yaml, line {dup[1]}, column {2 * indent_level + 1}:")


@settings(max_examples=n(200), **SETTINGS)
@given(st.integers(1, 6), st.lists(st.integers(1, 6), min_size=1, max_size=6), st.integers(10, 3000))
def test_alias_expansion_is_bounded_exactly(n0, fanouts, limit):
    """Anchored lists, each repeating the one before: accepted iff the expanded size <= limit."""
    lines = [f"x0: &a0 [{', '.join(['v'] * n0)}]"]
    for i, k in enumerate(fanouts, start=1):
        lines.append(f"x{i}: &a{i} [{', '.join([f'*a{i - 1}'] * k)}]")
    text = "\n".join(lines) + "\n"
    sizes = [1 + n0]  # a list node plus its scalars
    for k in fanouts:
        sizes.append(1 + k * sizes[-1])
    root = 1 + sum(1 + s for s in sizes)  # the mapping, each key scalar and its value
    if root <= limit:
        got = parse_yaml(text, max_nodes=limit)
        assert got == yaml.safe_load(text)
        return
    with pytest.raises(YAMLInputError, match="expands to more than") as info:
        parse_yaml(text, source="bomb.yaml", max_nodes=limit)
    first_over = next((i for i, s in enumerate(sizes) if s > limit), None)
    assert info.value.line == (1 if first_over is None else first_over + 1)  # the first node over the bound


@settings(max_examples=n(60), **SETTINGS)
@given(st.sampled_from(["!!python/object/apply:os.system ['true']", "!!python/name:os.system",
                        "!!python/object:collections.OrderedDict {}", "!custom x", "!!binaryx abc"]),
       st.integers(0, 5))
def test_tags_without_safe_constructor_are_refused(tag_value, line0):
    text = "".join(f"k{i}: {i}\n" for i in range(line0)) + f"bad: {tag_value}\n"
    with pytest.raises(YAMLInputError, match="is not allowed") as info:
        parse_yaml(text, source="t.yaml", what="scenario")
    assert isinstance(info.value, yaml.constructor.ConstructorError)  # callers' existing handlers apply
    assert info.value.line == line0 + 1 and info.value.column == 6
    assert tag_value.split()[0] in str(info.value)


def test_recursive_alias_and_deep_nesting_are_refused():
    with pytest.raises(YAMLInputError, match="recursive"):
        parse_yaml("a: &a [1, *a]\n")
    with pytest.raises(YAMLInputError, match="nesting deeper than 100"):
        parse_yaml("a: " + "[" * 300 + "]" * 300 + "\n")


def test_merge_keys_may_be_overridden():
    got = parse_yaml("base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  x: 5\n")
    assert got["d"] == {"x": 5, "y": 2}


def test_billion_laughs_stops_fast_with_little_memory(tmp_path):
    lol = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8))
    f = tmp_path / "lol.yaml"
    f.write_text(lol, encoding="utf-8")
    tracemalloc.start()
    try:
        with pytest.raises(YAMLInputError) as info:
            load_yaml(f, what="mapping")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    msg = str(info.value)
    assert peak < 20e6, f"peak {peak / 1e6:.1f} MB"
    assert len(msg) < 400 and str(f) in msg and "line 6" in msg and "aliases" in msg


def test_size_limit_and_number_like_text(tmp_path):
    f = tmp_path / "big.yaml"
    f.write_text("a: 1\n" * 100, encoding="utf-8")
    with pytest.raises(YAMLInputError, match="larger than the limit"):
        load_yaml(f, max_bytes=100)
    assert parse_yaml("a: 1.0e15\nb: 1.0e+15\n") == {"a": "1.0e15", "b": 1e15}  # PyYAML = YAML 1.1
    for text in ("1.0e15", "1e6", "-2E3", "1,5", "1.000.000"):
        assert number_like_text(text) and text in number_hint(text)
    assert "1000000000000000 or 1.0e+15" in number_hint("1.0e15")
    for text in ("abc", "1.5", "2024", "HB-1e5x"):
        assert not number_like_text(text) and number_hint(text) == ""
