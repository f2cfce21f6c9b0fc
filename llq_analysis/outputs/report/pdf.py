"""Printing the report's HTML to PDF: WeasyPrint (default, no browser) or headless chromium.

* ``weasyprint`` (https://weasyprint.org, BSD licence): a Python library that lays out HTML/CSS
  for print with Pango; supports the CSS paged-media rules the report uses (``@page`` margin
  boxes with page numbers, running headers through ``string-set``). Installs from PyPI; needs
  the Pango library, which standard Debian/Ubuntu images ship (else ``apt-get install
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0``).
* ``chromium``: ``chromium --headless --print-to-pdf`` with a fresh profile, no network.

Neither engine fetches anything from the network: WeasyPrint may only read ``file:`` and
``data:`` URLs (the report's HTML is self-contained anyway).
"""

from __future__ import annotations

import base64
import logging
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from .errors import ReportError

__all__ = ["PDF_ENGINES", "DEFAULT_PDF_ENGINE", "find_chromium", "engine_problem", "html_to_pdf",
           "engine_version"]

PDF_ENGINES = ("weasyprint", "chromium")
DEFAULT_PDF_ENGINE = "weasyprint"
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--no-first-run", "--disable-quic", "--disable-extensions",
                  "--disable-default-apps", "--mute-audio")
PANGO_HINT = "apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0"


def find_chromium() -> str | None:
    """Path of a chromium/chrome executable (``LLQ_CHROMIUM`` first), or None."""
    env = os.environ.get("LLQ_CHROMIUM")
    if env:
        return env if Path(env).exists() or shutil.which(env) else None
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def check_engine_name(engine: str) -> str:
    """``engine`` if it is one of :data:`PDF_ENGINES`, else a :class:`ReportError`."""
    if engine not in PDF_ENGINES:
        raise ReportError(f"--pdf-engine must be one of {', '.join(PDF_ENGINES)}, not {engine!r}")
    return engine


def engine_problem(engine: str) -> str | None:
    """None if ``engine`` can print here, else one sentence saying what is missing and how to get it."""
    check_engine_name(engine)
    if engine == "chromium":
        if find_chromium() is None:
            return ("chromium was not found (install it: `apt-get install chromium`, or point "
                    "LLQ_CHROMIUM at a chromium/chrome executable; or use --pdf-engine weasyprint)")
        return None
    try:
        import weasyprint  # noqa: F401  (import alone loads Pango)
    except ImportError:
        return ("WeasyPrint is not installed (install it: `pip install weasyprint`; or use "
                "--pdf-engine chromium)")
    except OSError as exc:  # the Python package is there, its system library is not
        return (f"WeasyPrint cannot load the Pango library ({str(exc).splitlines()[0]}); install it: "
                f"`{PANGO_HINT}` (or use --pdf-engine chromium)")
    return None


def html_to_pdf(html_path: Path, pdf_path: Path, *, engine: str | None = None, chromium: str | None = None,
                timeout: float = 180) -> None:
    """Print ``html_path`` to ``pdf_path``.

    ``engine``: "weasyprint" or "chromium"; default chromium when a ``chromium`` executable is
    given (the former signature), else WeasyPrint. ``timeout`` (s) applies to chromium.
    Raises :class:`ReportError` when the engine fails.
    """
    engine = engine or ("chromium" if chromium else DEFAULT_PDF_ENGINE)
    check_engine_name(engine)
    if engine == "weasyprint":
        _weasyprint_pdf(Path(html_path), Path(pdf_path))
    else:
        exe = chromium or find_chromium()
        if exe is None:
            raise ReportError(engine_problem("chromium"))
        _chromium_pdf(Path(html_path), Path(pdf_path), chromium=exe, timeout=timeout)
    if not Path(pdf_path).exists() or Path(pdf_path).stat().st_size == 0:
        raise ReportError(f"{engine} wrote no PDF")


#: SVG names that are camelCase; the HTML export writes them in lower case, which an SVG *document*
#: (unlike inline SVG in HTML) does not accept
_SVG_CASE = ("clipPath", "linearGradient", "radialGradient", "textPath", "foreignObject", "viewBox",
             "preserveAspectRatio", "clipPathUnits", "gradientUnits", "gradientTransform", "patternUnits",
             "patternContentUnits", "patternTransform", "markerWidth", "markerHeight", "markerUnits",
             "refX", "refY", "spreadMethod", "textLength", "lengthAdjust", "stdDeviation", "startOffset")
_SVG_CASE_RE = re.compile(r"(?<=[<\s/])(" + "|".join(n.lower() for n in _SVG_CASE) + r")(?=[\s=>/])")
_SVG_FIX = {n.lower(): n for n in _SVG_CASE}


def inline_svg_as_images(html: str) -> str:
    """Every inline ``<svg>`` as an ``<img class="llq-svg">`` with the SVG as a data URI.

    Only for printing with WeasyPrint: it then draws each figure as one image instead of running
    the CSS cascade over thousands of SVG elements (measured: layout 28.8 s -> 14.5 s for the
    25-page report on the loaded 2-core machine, same 25 pages, same look). report.html keeps the
    inline SVG.
    """
    def to_img(m: re.Match) -> str:
        svg = _SVG_CASE_RE.sub(lambda k: _SVG_FIX[k.group(1)], m.group(0))
        return ('<img class="llq-svg" alt="" src="data:image/svg+xml;base64,'
                + base64.b64encode(svg.encode("utf-8")).decode("ascii") + '">')

    return re.sub(r"<svg\b.*?</svg>", to_img, html, flags=re.S)


def _weasyprint_pdf(html_path: Path, pdf_path: Path) -> None:
    import weasyprint

    log = logging.getLogger("weasyprint")
    level, propagate = log.level, log.propagate
    log.setLevel(logging.ERROR)  # hundreds of "ignored property" notes on SVG style attributes
    log.propagate = False
    try:
        fetcher = None
        try:
            from weasyprint.urls import URLFetcher

            fetcher = URLFetcher(allowed_protocols=("file", "data"))
        except (ImportError, TypeError):  # older WeasyPrint: the HTML is self-contained anyway
            fetcher = None
        page = inline_svg_as_images(html_path.read_text(encoding="utf-8"))
        doc = weasyprint.HTML(string=page, base_url=str(html_path.resolve().parent) + os.sep,
                              url_fetcher=fetcher, media_type="print")
        doc.write_pdf(str(pdf_path))  # fonts subset: ~260 KB (full fonts: 1.8 MB, not faster)
    except Exception as exc:  # WeasyPrint has no single error type
        raise ReportError(f"WeasyPrint could not print the PDF: {type(exc).__name__}: {exc}") from exc
    finally:
        log.setLevel(level)
        log.propagate = propagate


def _chromium_pdf(html_path: Path, pdf_path: Path, *, chromium: str, timeout: float) -> None:
    """Headless chromium with a fresh profile and no network."""
    profile = Path(tempfile.mkdtemp(prefix="llq-chromium-"))
    cmd = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
           f"--print-to-pdf={pdf_path.resolve()}", html_path.resolve().as_uri()]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        raise ReportError(f"chromium did not finish printing the PDF within {timeout:.0f} s") from exc
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    if proc.returncode != 0 or not pdf_path.exists() or pdf_path.stat().st_size == 0:
        tail = "\n".join((proc.stderr or "").strip().splitlines()[-8:])
        raise ReportError(f"chromium could not print the PDF (exit {proc.returncode}):\n{tail}")


def engine_version(engine: str | None) -> str | None:
    """Version string of the engine for the manifest (None if unknown)."""
    if engine == "weasyprint":
        from importlib import metadata

        try:
            return f"weasyprint {metadata.version('weasyprint')}"
        except metadata.PackageNotFoundError:
            return None
    if engine == "chromium":
        exe = find_chromium()
        if exe is None:
            return None
        try:
            return subprocess.run([exe, "--version"], capture_output=True, text=True,
                                  timeout=30).stdout.strip() or None
        except (OSError, subprocess.TimeoutExpired):
            return None
    return None
