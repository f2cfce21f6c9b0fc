"""Labels and number formats shared by every output (German default, English)."""

from __future__ import annotations


def test_one_number_format_for_every_output():
    from llq_analysis.i18n import format_number

    assert format_number(1234.5, 1) == "1.234,5" and format_number(1234.5, 1, "en") == "1,234.5"
    assert format_number(-3.25, 2, "de", sign=True) == "\u22123,25"
    assert format_number(float("nan")) == "–" and format_number(None) == "–" and format_number("x") == "x"
