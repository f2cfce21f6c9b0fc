"""HTML building blocks and number formatting of the report: :class:`Html`, paragraphs, lists,
callouts, German/English number formats, column labels."""

from __future__ import annotations

import html as _html
import re
from collections.abc import Sequence
from typing import Any

from ....i18n import format_number, t

_KIND_LABEL = {
    "published": {"de": "veröffentlicht", "en": "published"},
    "derived": {"de": "abgeleitet", "en": "derived"},
    "illustrative": {"de": "illustrativ", "en": "illustrative"},
    "simulated": {"de": "simuliert", "en": "simulated"},
    "user": {"de": "Nutzerdaten", "en": "user-supplied"},
    "missing": {"de": "fehlt", "en": "missing"},
}


_COLUMN_LABEL = {
    "population_below_retirement_age": ("Einwohner unter Regelaltersgrenze",
                                        "Residents below retirement age"),
    "population_u15": ("Kinder unter 15", "Children under 15"),
    "electorate_buergerschaft": ("Wahlberechtigte Bürgerschaftswahl", "Electorate, Bürgerschaft"),
    "electorate_bundestag": ("Wahlberechtigte Bundestagswahl", "Electorate, Bundestag"),
}


def _tr(de: str, en: str, lang: str) -> str:
    return de if lang == "de" else en


def label(column: str, lang: str) -> str:
    """Readable name of a panel column (i18n labels plus a few of the report's own)."""
    if column in _COLUMN_LABEL:
        de, en = _COLUMN_LABEL[column]
        return _tr(de, en, lang)
    return t(column, lang)


# ----------------------------------------------------------------------------- HTML blocks
class Html:
    """A piece of report HTML; notebooks display it through ``_repr_html_``."""

    def __init__(self, parts: str | Sequence[str | Html] = ()):
        if isinstance(parts, str):
            parts = [parts]
        self.parts = [p.html if isinstance(p, Html) else p for p in parts]

    @property
    def html(self) -> str:
        return "\n".join(self.parts)

    def __add__(self, other: Html | str) -> Html:
        return Html([*self.parts, other])

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:  # plain-text fallback (e.g. in a terminal)
        return re.sub(r"<[^>]+>", "", self.html)


def esc(text: Any) -> str:
    return _html.escape(str(text), quote=True)


def para(text: str, cls: str | None = None) -> str:
    return f'<p{f" class={chr(34)}{cls}{chr(34)}" if cls else ""}>{text}</p>'


def bullets(items: Sequence[str], cls: str | None = None) -> str:
    c = f' class="{cls}"' if cls else ""
    return f"<ul{c}>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"


def callout(text: str, kind: str = "info") -> str:
    return f'<div class="callout callout-{kind}">{text}</div>'


# ----------------------------------------------------------------------------- numbers
def fmt(x: Any, decimals: int = 0, lang: str = "de", sign: bool = False) -> str:
    """Format a number German style (1.234,5) or English style (1,234.5); marks pass through."""
    return format_number(x, decimals, lang, sign)


def fmt_eur(x: float, lang: str = "de") -> str:
    return f"{fmt(x, 0, lang)} EUR"


def fmt_ci(lo: float, hi: float, decimals: int, lang: str) -> str:
    sep = " bis " if lang == "de" else " to "
    return f"{fmt(lo, decimals, lang, sign=True)}{sep}{fmt(hi, decimals, lang, sign=True)}"


def kind_of(provenance: Any) -> str:
    """'published: source' -> 'published'."""
    return str(provenance).split(":", 1)[0].strip()
