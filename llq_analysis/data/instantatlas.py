"""Read InstantAtlas data files (``data.js``): the JSON behind the Landesamt's online atlases.

The Statistisches Landesamt Bremen publishes its election atlas as an InstantAtlas report; its
``data.js`` is JSON ("version" 1.x) with geographies, their features (areas), comparison
features (city and Land totals) and themes of indicators. :func:`read_json_table` turns one
geography into header + rows for :func:`~llq_analysis.data.official.read_official_table`.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from ..errors import DataValidationError, Problem
from .official_cells import _err, _pick_sheet


def read_json_table(path: Path, *, sheet):
    """An InstantAtlas data file (``data.js``, JSON "version" 1.x: the Landesamt's election atlas)
    as header + rows: one row per feature (area), then the comparison areas (city/Land totals).

    Columns: ``id``, ``name``, one column per filter (named as the atlas names it, e.g.
    ``Stadt/Wahlbereich``), ``Vergleichsgebiet`` ("ja" on comparison rows), then one column per
    indicator (its name; ``<theme>: <indicator>`` where a name repeats). ``sheet`` picks the
    geography (id or name, e.g. ``"Ortsteile"``; default the first). Line numbers are the
    1-based position of the area in the geography's feature list (comparison areas follow).
    """
    import json

    raw = path.read_bytes()
    try:
        doc = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _err(path, "a CSV or XLSX file, or an InstantAtlas JSON export (data.js); this file is "
                   f"not valid JSON ({exc})", path.suffix) from None
    geos = doc.get("geographies") if isinstance(doc, dict) else None
    if not isinstance(geos, list) or not geos or not all(isinstance(g, dict) for g in geos):
        raise _err(path, "a CSV or XLSX file, or an InstantAtlas JSON export with a 'geographies' list",
                   path.suffix)
    ids = [str(g.get("id")) for g in geos]
    names = [str(g.get("name")) for g in geos]
    if isinstance(sheet, str) and sheet in names and sheet not in ids:
        sheet = ids[names.index(sheet)]
    gid = _pick_sheet(path, ids, sheet, what="geography")
    geo = geos[ids.index(gid)]
    feats = list(geo.get("features") or [])
    comps = list(geo.get("comparisonFeatures") or [])
    filt_names = {f.get("id"): f.get("name") or f.get("id") for f in geo.get("filters") or []}
    filt_ids = list(filt_names)
    inds = [(th.get("name"), ind) for th in geo.get("themes") or [] for ind in th.get("indicators") or []]
    counts = Counter(ind.get("name") for _, ind in inds)
    header = ["id", "name", *(filt_names[f] for f in filt_ids), "Vergleichsgebiet"]
    header += [ind.get("name") if counts[ind.get("name")] == 1 else f"{th}: {ind.get('name')}"
               for th, ind in inds]
    problems = []
    for th, ind in inds:
        for key, n in (("values", len(feats)), ("comparisonValues", len(comps))):
            v = ind.get(key) or []
            if len(v) not in (0, n):
                problems.append(Problem(f"{th}: {ind.get('name')}", f"{n} {key} (one per area)", len(v),
                                        file=str(path)))
    if problems:
        raise DataValidationError(problems, what=f"the InstantAtlas file {path}")
    rows = [(0, header)]
    for k, f in enumerate(feats):
        fl = {x.get("for"): x.get("name") for x in f.get("filters") or []}
        cells = [f.get("id"), f.get("name"), *(fl.get(i) for i in filt_ids), None]
        cells += [(ind.get("values") or [None] * len(feats))[k] for _, ind in inds]
        rows.append((k + 1, cells))
    for k, f in enumerate(comps):
        cells = [f.get("id"), f.get("name"), *([None] * len(filt_ids)), "ja"]
        cells += [(ind.get("comparisonValues") or [None] * len(comps))[k] for _, ind in inds]
        rows.append((len(feats) + k + 1, cells))
    clean = []
    for ln, cells in rows:  # '' and 'NaN' are how the atlas writes "no value"
        clean.append((ln, [None if (isinstance(c, str) and c.strip() in ("", "NaN")) else c for c in cells]))
    info = {"sheet": gid, "sheets": tuple(ids), "format": f"InstantAtlas JSON {doc.get('version')}"}
    return clean, info
