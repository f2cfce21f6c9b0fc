"""The one YAML reader of the package: safe, bounded, and precise about where a problem is.

Every YAML file the package reads (scenarios, import mappings) goes through :func:`load_yaml`
(or :func:`parse_yaml` for text). On top of ``yaml.SafeLoader`` it

* refuses **duplicate keys** in a mapping (PyYAML keeps the last one silently): the error names
  the file, line, column and key, and the line of the first occurrence; keys merged in with
  ``<<: *a`` may still be overridden, as the YAML merge-key spec allows; keys must be scalars;
* bounds **alias expansion**: while composing, the size of every node *with its aliases
  expanded* is counted, so a "billion laughs" document (nested anchors, each alias repeating
  the one before) stops with a short error at the first node over ``max_nodes`` - before any
  consumer walks, copies or prints the exponentially large structure. Recursive aliases (a node
  containing itself) are refused, as is nesting deeper than ``max_depth``;
* refuses every **tag** without a safe constructor (``!!python/object...``, local ``!tags``)
  with a message naming the tag (never executes anything: only the SafeLoader's constructors);
* bounds the **file size** (``max_bytes``).

Errors are :class:`YAMLInputError` (a ``yaml.MarkedYAMLError`` and a ``ValueError``; refused
tags also a ``yaml.constructor.ConstructorError``) with ``file``, ``line``, ``column`` (1-based)
and ``key``. Callers re-raise them as their own error type.

PyYAML implements YAML 1.1: ``1.0e15`` or ``1e6`` (exponent without sign, or without a dot) are
read as *text*, not numbers. :func:`number_like_text` recognises such text, so a consumer that
expects a number can say so (see :func:`number_hint`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError

__all__ = ["load_yaml", "parse_yaml", "YAMLInputError", "number_like_text", "number_hint",
           "MAX_NODES", "MAX_BYTES", "MAX_DEPTH"]

#: default bound on the nodes of a document with every alias expanded (scenario files: ~500)
MAX_NODES = 200_000
#: default bound on the file size in bytes
MAX_BYTES = 5_000_000
#: default bound on the nesting depth of mappings and lists
MAX_DEPTH = 100

_TAG_PREFIX = "tag:yaml.org,2002:"
_MERGE_TAG = _TAG_PREFIX + "merge"
# text that a reader would take for a number: 1e6, 1.0e15, -2E3, 1_000e3, 1,5 (decimal comma), 1.000.000
_NUMBER_LIKE = re.compile(r"[-+]?(\d[\d_]*(\.\d*)?|\.\d+)[eE][-+]?\d+|[-+]?\d+,\d+|[-+]?\d{1,3}(\.\d{3}){2,}")


class YAMLInputError(yaml.MarkedYAMLError, ValueError):
    """A YAML document that cannot be accepted; ``file``, ``line``, ``column`` (1-based), ``key``."""

    def __init__(self, problem: str, *, file: str | None, line: int | None = None,
                 column: int | None = None, key: Any = None, mark: yaml.Mark | None = None):
        super().__init__(problem=problem, problem_mark=mark)
        self.file, self.line, self.column, self.key = file, line, column, key

    def __str__(self) -> str:
        where = [f"file {self.file}"] if self.file else []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column {self.column}")
        return f"{', '.join(where) or 'YAML'}: {self.problem}"


class YAMLTagError(YAMLInputError, ConstructorError):
    """A tag without a safe constructor (``!!python/object``, local tags)."""


def number_like_text(value: Any) -> bool:
    """True for text that looks like a number but is text to YAML 1.1 (``"1.0e15"``, ``"1,5"``)."""
    return isinstance(value, str) and _NUMBER_LIKE.fullmatch(value.strip()) is not None


def number_hint(value: Any) -> str:
    """A short explanation for number-like text (see :func:`number_like_text`), or ``""``."""
    if not number_like_text(value):
        return ""
    v = value.strip()
    if "," in v or v.count(".") > 1:
        return (f" ({v!r} is text in YAML: write numbers with a decimal point and without thousands "
                "separators, e.g. 1500000 or 0.25)")
    plain = float(v.replace("_", ""))
    mant, exp = f"{plain:e}".split("e")
    mant = mant.rstrip("0")
    mant = mant + "0" if mant.endswith(".") else mant
    exp = f"{exp[0]}{int(exp[1:])}"
    whole = f"{plain:.0f}" if plain.is_integer() and abs(plain) < 1e16 else None
    return (f" ({v!r} is text in YAML 1.1, whose numbers need a dot and a signed exponent: write "
            + (f"{whole} or " if whole else "") + f"{mant}e{exp})")


def _mark_error(problem: str, mark: yaml.Mark | None, *, key: Any = None, cls=YAMLInputError):
    file = None if mark is None or mark.name in (None, "<unicode string>", "<string>") else mark.name
    return cls(problem, file=file, line=None if mark is None else mark.line + 1,
               column=None if mark is None else mark.column + 1, key=key, mark=mark)


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_TAG_PREFIX):] if tag.startswith(_TAG_PREFIX) else tag


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader with duplicate-key, alias-expansion, depth and tag checks (see module doc)."""

    def __init__(self, stream: str, *, name: str | None, max_nodes: int, max_depth: int, what: str):
        super().__init__(stream)
        self._what = what
        if name is not None:
            self.name = name  # marks (line/column in errors) carry the file name
        self._max_nodes = max_nodes
        self._max_depth = max_depth
        self._depth = 0
        self._expanded: dict[int, int] = {}  # id(node) -> size with aliases expanded (complete nodes)
        self._keep: list[yaml.Node] = []  # keeps ids valid while composing

    # -- composing: sizes with aliases expanded -------------------------------------------------
    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            node = self.anchors.get(event.anchor)
            if node is not None and id(node) not in self._expanded:
                raise _mark_error(f"alias *{event.anchor} refers to a node that contains it (a recursive "
                                  "structure); write the values out instead", event.start_mark)
            return super().compose_node(parent, index)
        self._depth += 1
        if self._depth > self._max_depth:
            raise _mark_error(f"nesting deeper than {self._max_depth} levels of mappings/lists",
                              self.peek_event().start_mark)
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if isinstance(node, yaml.ScalarNode):
            size = 1
        elif isinstance(node, yaml.SequenceNode):
            size = 1 + sum(self._expanded[id(c)] for c in node.value)
        else:
            self._check_keys(node)
            size = 1 + sum(self._expanded[id(k)] + self._expanded[id(v)] for k, v in node.value)
        if size > self._max_nodes:
            raise _mark_error(
                f"this {'list' if isinstance(node, yaml.SequenceNode) else 'mapping'} expands to more than "
                f"{self._max_nodes:,} values through anchors/aliases (&name / *name); nested aliases can "
                "make a short file enormous (a 'billion laughs' document) - write the values out or use "
                "fewer aliases", node.start_mark)
        self._expanded[id(node)] = size
        self._keep.append(node)
        return node

    def _check_keys(self, node: yaml.MappingNode) -> None:
        """Keys are scalars, each once (checked on the node as written, before merge keys apply)."""
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG:
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise _mark_error("a mapping key must be text or a number, found a "
                                  f"{'list' if isinstance(key_node, yaml.SequenceNode) else 'mapping'}",
                                  key_node.start_mark)
            make = self.yaml_constructors.get(key_node.tag, self.yaml_constructors[None])
            key = make(self, key_node)  # scalar constructors are pure: text, int, float, bool, null, date
            if key in seen:
                raise _mark_error(f"duplicate key {key!r} (first at line {seen[key]}); each key may appear "
                                  "only once in a mapping - YAML would silently keep only the last one",
                                  key_node.start_mark, key=key)
            seen[key] = key_node.start_mark.line + 1

    # -- constructing: tags -----------------------------------------------------------------------
    def construct_undefined(self, node):
        raise _mark_error(f"not valid YAML for a {self._what}: tag {_short_tag(node.tag)!r} is not allowed "
                          "(only plain YAML is read: mappings, lists, text, numbers, true/false, dates; "
                          "Python tags such as !!python/object are refused)", node.start_mark, cls=YAMLTagError)


_BoundedLoader.add_constructor(None, _BoundedLoader.construct_undefined)


def _value_marks(node: yaml.Node, prefix: tuple[str, ...], out: dict, budget: list[int]) -> None:
    """Key path -> (line, column) of each mapping value (1-based), for messages of consumers."""
    if not isinstance(node, yaml.MappingNode):
        return
    for key_node, value_node in node.value:
        budget[0] -= 1
        if budget[0] < 0 or key_node.tag == _MERGE_TAG:
            continue
        path = prefix + (str(key_node.value),)
        out.setdefault(path, (value_node.start_mark.line + 1, value_node.start_mark.column + 1))
        _value_marks(value_node, path, out, budget)


def parse_yaml(text: str, *, source: str | None = None, what: str = "YAML document",
               max_nodes: int = MAX_NODES, max_depth: int = MAX_DEPTH,
               marks: dict[tuple[str, ...], tuple[int, int]] | None = None) -> Any:
    """Parse one YAML document from ``text`` with the checks of this module.

    ``source`` names the file in error messages; ``what`` says what the document is (e.g.
    ``"scenario"``). A ``marks`` dict is filled with key path -> (line, column) of every mapping
    value (keys as written; values merged in with ``<<`` are not listed), so a consumer can name
    the line of a value it rejects. Raises :class:`YAMLInputError`.
    """
    loader = _BoundedLoader(text, name=source, max_nodes=max_nodes, max_depth=max_depth, what=what)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if marks is not None:
            _value_marks(node, (), marks, [max_nodes])
        return loader.construct_document(node)
    except YAMLInputError:
        raise
    except yaml.MarkedYAMLError as exc:  # syntax: name PyYAML's problem and its place
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "syntax error"
        if exc.context and exc.problem:
            problem = f"{exc.context}, {exc.problem}"
        raise _mark_error(f"not valid YAML for a {what}: {problem}", mark) from None
    except yaml.YAMLError as exc:  # a reader error (e.g. a control character)
        raise YAMLInputError(f"not valid YAML for a {what}: {exc}", file=source) from None
    except RecursionError:
        raise YAMLInputError(f"not valid YAML for a {what}: nesting too deep", file=source) from None
    finally:
        loader.dispose()


def load_yaml(path: str | os.PathLike, *, what: str = "YAML file", max_bytes: int = MAX_BYTES,
              max_nodes: int = MAX_NODES, max_depth: int = MAX_DEPTH,
              marks: dict[tuple[str, ...], tuple[int, int]] | None = None) -> Any:
    """Read one YAML document from a UTF-8 file (a BOM is allowed) with the checks of this module.

    Raises FileNotFoundError, UnicodeDecodeError (not UTF-8) or :class:`YAMLInputError`
    (too large, syntax, duplicate key, alias bomb, refused tag: each naming file, line, column).
    ``marks``: see :func:`parse_yaml`.
    """
    p = Path(path)
    size = p.stat().st_size
    if size > max_bytes:
        raise YAMLInputError(f"{what} of {size:,} bytes is larger than the limit of {max_bytes:,} bytes",
                             file=str(p))
    return parse_yaml(p.read_text(encoding="utf-8-sig"), source=str(p), what=what,
                      max_nodes=max_nodes, max_depth=max_depth, marks=marks)
