"""Indicator blocks side by side on one sheet (Bremer Ortsteilatlas layout).

Row 1 names the theme, row 2 each indicator above the first column of its block, row 3 holds
``Ortsteil / Stadtteil / Stadtbezirk`` and each block's years; then one row per area. A block is
found by its whole indicator name (:func:`select_block`).
"""

from __future__ import annotations

from .official_cells import _YEAR_LABEL_RX, _err, _is_empty, _suggest, _text


def _norm(s) -> str:
    return " ".join(str(s).split())


def _col_letter(j: int) -> str:
    """0-based column index -> spreadsheet letters (0 -> A, 27 -> AB)."""
    out = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        out = chr(65 + r) + out
    return out


def blocks_of(header_rows) -> tuple[list[int], list[tuple[str, int, int]]]:
    """Stub columns and indicator blocks ``(name, first, last)`` (0-based, inclusive) of a header
    whose upper line names each block above its first column (Ortsteilatlas layout)."""
    upper, lower = header_rows[0][1], header_rows[-1][1]
    width = max(len(upper), len(lower))
    starts = [j for j in range(width) if j < len(upper) and not _is_empty(upper[j])]
    if len(header_rows) < 2 or not starts:
        return list(range(width)), []
    stub = list(range(starts[0]))
    blocks = []
    for k, s in enumerate(starts):
        e = (starts[k + 1] if k + 1 < len(starts) else width) - 1
        while e > s and (e >= len(lower) or _is_empty(lower[e])):
            e -= 1
        blocks.append((_norm(upper[s]), s, e))
    return stub, blocks


def select_block(block, names, data, notes, *, file, sheet):
    """Keep the stub columns and the columns of indicator ``block`` (whole name, spaces collapsed);
    the block's columns are named by the lower header line alone (its years)."""
    header_rows = notes.pop("_header_rows")
    stub, blocks = blocks_of(header_rows)
    want = _norm(block)
    hits = [b for b in blocks if b[0] == want] or [b for b in blocks if b[0].casefold() == want.casefold()]
    where = f" on sheet {sheet!r}" if sheet else ""
    if not hits:
        listed = "; ".join(b[0] for b in blocks[:40]) or "none found (no indicator line above the header)"
        raise _err(file, f"an indicator block named exactly like this{where} "
                   f"{_suggest(want, [b[0] for b in blocks])} (blocks{where}: {listed})", block,
                   column="block")
    if len(hits) > 1:
        cols = ", ".join(_col_letter(b[1]) for b in hits)
        raise _err(file, f"one block of this name{where}; it heads {len(hits)} blocks (columns {cols})",
                   block, column="block")
    _, first, last = hits[0]
    lower = header_rows[-1][1]
    keep = stub + list(range(first, last + 1))
    new_names = [names[j] if j in stub else _text(lower[j]) for j in keep]
    new_data = [(ln, [cells[j] if j < len(cells) else None for j in keep]) for ln, cells in data]
    notes["block"] = want
    notes["block_columns"] = (_col_letter(first), _col_letter(last))
    notes["source_columns"] = {n: _col_letter(j) for n, j in zip(new_names, keep, strict=True)}
    return new_names, new_data


def _year_label(v) -> int | None:
    m = _YEAR_LABEL_RX.fullmatch(_text(v)) if not _is_empty(v) else None
    return int(m.group(1)) if m else None
