"""Resolve the names and codes of an export to ``quartier_id`` (official key, published spellings)."""

from __future__ import annotations

import difflib
import re

import pandas as pd

from .official_cells import _is_empty, _text


def _key(name) -> str:
    """Case/umlaut/punctuation-insensitive key of a place name ('Gröpelingen 1)' -> 'groepelingen')."""
    from .geography import slug

    s = re.sub(r"\s*(\d{1,2}\)|[¹²³⁴⁵⁶⁷⁸⁹⁰]+|\*+)$", "", _text(name))
    return slug(s)


def _code_key(code) -> str:
    s = _text(code)
    s = re.sub(r"\.0+$", "", s)
    return s.lstrip("0") or s


class _QuartierIndex:
    """Resolve names or codes in an export to ``quartier_id`` (explicit mapping first)."""

    def __init__(self, quartiers: pd.DataFrame):
        need = [c for c in ("quartier_id", "city", "ortsteil") if c not in quartiers.columns]
        if need:
            raise ValueError(f"quartiers table lacks column(s) {need}; expected the columns of "
                             "data/quartiers.csv (quartier_id, city, ortsteil, ...)")
        q = quartiers
        self.city_of = dict(zip(q["quartier_id"].astype(str), q["city"].astype(str), strict=True))
        self.names: dict[str, list[tuple[str, str]]] = {}
        for qid, city, o in zip(q["quartier_id"].astype(str), q["city"].astype(str),
                                q["ortsteil"].astype(str), strict=True):
            self.names.setdefault(_key(o), []).append((qid, city))
        if "names_published" in q.columns:  # other published spellings ("St  Magnus", ...)
            for qid, city, alt in zip(q["quartier_id"].astype(str), q["city"].astype(str),
                                      q["names_published"], strict=True):
                for n in (str(alt).split(" | ") if isinstance(alt, str) and alt else []):
                    if (qid, city) not in self.names.setdefault(_key(n), []):
                        self.names[_key(n)].append((qid, city))
        self.ids = {_key(qid): qid for qid in self.city_of}
        self.codes: dict[str, list[tuple[str, str]]] = {}
        for qid, city in self.city_of.items():  # an official key used as quartier_id is a code too
            if qid.isdigit() and len(qid) >= 6:
                self.codes.setdefault(_code_key(qid), []).append((qid, city))
        if "official_code" in q.columns:
            for qid, city, c in zip(q["quartier_id"].astype(str), q["city"].astype(str),
                                    q["official_code"], strict=True):
                if not _is_empty(c) and not pd.isna(c):
                    self.codes.setdefault(_code_key(c), []).append((qid, city))
        self.stadtteile = set()
        if "stadtteil" in q.columns:
            self.stadtteile = {(_key(s), c) for s, c in zip(q["stadtteil"].astype(str),
                                                            q["city"].astype(str), strict=True)}
        self.display = {(city, o) for city, o in zip(q["city"].astype(str), q["ortsteil"].astype(str),
                                                     strict=True)}

    def resolve(self, value, *, city, by_code, explicit) -> tuple[str | None, str | None]:
        """``(quartier_id, None)`` or ``(None, what was expected)``."""
        raw = _text(value)
        if explicit:
            hit = explicit.get(_code_key(raw) if by_code else _key(raw))
            if hit is not None:
                return hit, None
        if by_code:
            cands = self.codes.get(_code_key(raw), [])
        else:
            k = _key(raw)
            cands = self.names.get(k, [])
            if not cands and k in self.ids:
                cands = [(self.ids[k], self.city_of[self.ids[k]])]
            if not cands:
                k2 = _key(re.sub(r"^\d+\s+", "", raw))
                cands = self.names.get(k2, [])
        if city is not None:
            cands = [c for c in cands if c[1] == city]
        if len(cands) == 1:
            return cands[0][0], None
        where = city or "Bremen/Bremerhaven"
        if len(cands) > 1:
            return None, ("an unambiguous quartier: matches " + ", ".join(f"{q} ({c})" for q, c in cands)
                          + "; set `city:` in the mapping or map the name under `quartiers:`")
        if by_code:
            return None, (f"a known official_code of {where} (data/quartiers.csv) or an entry under "
                          "`quartiers:` in the mapping")
        names = sorted(o for c, o in self.display if city is None or c == city)
        best = difflib.get_close_matches(raw, names, n=1, cutoff=0.6)
        if not best:
            keyed = {_key(o): o for o in names}
            kb = difflib.get_close_matches(_key(raw), list(keyed), n=1, cutoff=0.6)
            best = [keyed[kb[0]]] if kb else []
        hint = f"; nearest known name: {best[0]!r}" if best else ""
        if any(k == _key(raw) and (city is None or c == city) for k, c in self.stadtteile):
            hint += "; this is a Stadtteil name - if the row is a Stadtteil total, list it under `exclude_rows:`"
        return None, (f"a known Ortsteil of {where} (data/quartiers.csv, column ortsteil) or an entry "
                      f"under `quartiers:` / `exclude_rows:` in the mapping{hint}")


def _year_of(v) -> int | None:
    if _is_empty(v):
        return None
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return int(v) if float(v).is_integer() else None
    s = _text(v)
    for rx in (r"(\d{4})", r"\d{1,2}\.\d{1,2}\.(\d{4})", r"(\d{4})-\d{2}-\d{2}(?:T.*)?",
               r"(?:dez|dezember|jun|juni)\.?\s*(\d{4})", r"(\d{4})\s*\d{1,2}\)"):
        m = re.fullmatch(rx, s, re.IGNORECASE)
        if m:
            return int(m.group(1))
    return None
