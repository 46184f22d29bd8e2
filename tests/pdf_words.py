"""Words of a PDF with their boxes (pdfplumber), and the checks a clean report passes.

- :func:`overlapping` pairs of words whose boxes intersect by more than a tolerance;
- :func:`outside` words that leave the page;
- :func:`raw_codes` codes of the vocabularies (:func:`outcomes.output.labels.codes`) left in a
  text, names (claim and recommendation ids) and file names excepted;
- :func:`badge_collisions` words that a filled box (a verdict badge) covers but does not hold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pdfplumber

from outcomes.output.labels import codes

#: Two words overlap when their boxes intersect by more than this, in points, both ways.
TOLERANCE = 0.5
_FILE = re.compile(r"\.(csv|txt|xlsx|html|pdf|docx|toml|json)$")
_PUNCT = ".,;:()[]“”\"'‘’"


@dataclass
class PdfPage:
    width: float
    height: float
    words: list[dict]
    rects: list[dict]  # filled shapes: rectangles and curves
    text: str


def read_pdf(path) -> list[PdfPage]:
    with pdfplumber.open(path) as pdf:
        # a rounded box (a verdict badge) is drawn as a curve, a square one as a rect
        return [PdfPage(float(p.width), float(p.height), p.extract_words(),
                        [*p.rects, *p.curves], p.extract_text() or "") for p in pdf.pages]


def _boxes(words) -> np.ndarray:
    return np.array([[w["x0"], w["top"], w["x1"], w["bottom"]] for w in words], dtype=float)


def overlapping(words, tol: float = TOLERANCE) -> list[tuple[str, str]]:
    if len(words) < 2:
        return []
    a = _boxes(words)
    found = []
    for i in range(len(a) - 1):
        dx = np.minimum(a[i, 2], a[i + 1:, 2]) - np.maximum(a[i, 0], a[i + 1:, 0])
        dy = np.minimum(a[i, 3], a[i + 1:, 3]) - np.maximum(a[i, 1], a[i + 1:, 1])
        for j in np.nonzero((dx > tol) & (dy > tol))[0]:
            found.append((words[i]["text"], words[i + 1 + j]["text"]))
    return found


def outside(page: PdfPage) -> list[str]:
    return [w["text"] for w in page.words
            if w["x0"] < 0 or w["top"] < 0 or w["x1"] > page.width or w["bottom"] > page.height]


def badge_collisions(page: PdfPage, tol: float = TOLERANCE) -> list[str]:
    """Words partly covered by a filled rectangle: a badge drawn over a neighbour."""
    filled = [r for r in page.rects if r.get("fill") and r["width"] < 120 and r["height"] < 20]
    hits = []
    for r in filled:
        for w in page.words:
            dx = min(r["x1"], w["x1"]) - max(r["x0"], w["x0"])
            dy = min(r["bottom"], w["bottom"]) - max(r["top"], w["top"])
            inside = (w["x0"] >= r["x0"] - tol and w["x1"] <= r["x1"] + tol)
            if dx > tol and dy > tol and not inside:
                hits.append(w["text"])
    return hits


def raw_codes(text: str, names=()) -> list[str]:
    known, names = codes(), set(names)
    bad = []
    for token in text.split():
        word = token.strip(_PUNCT)
        if word in names or _FILE.search(word):
            continue
        bad += [piece for piece in re.split(r"[^A-Za-z0-9_]+", word) if piece in known]
    return bad
