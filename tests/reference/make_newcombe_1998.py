"""Newcombe (1998) hybrid score intervals, worked by hand from the formulas.

Newcombe RG. Interval estimation for the difference between independent proportions: comparison
of eleven methods. Statistics in Medicine 1998;17:873-890. Table II gives, for eight examples,
the 95% limits of every method; method 10 is the hybrid score interval built from two Wilson
intervals. Its printed values (4 decimals) are typed into ``newcombe_1998.json`` under
``published``; this script recomputes them with nothing but the standard library, so a test can
check ``outcomes.stats.intervals.proportion_difference`` against the paper and the paper against the
formulas. Run it from this folder with any Python 3: it rewrites the ``computed`` entries and
fails if they do not round to the published ones.
"""

import json
import math

Z = 1.959963984540054  # the 0.975 quantile of the standard normal


def wilson(x, n):
    # centre and half-width of the Wilson score interval, Newcombe's eq. for method 3
    p = x / n
    centre = (2 * x + Z**2) / (2 * (n + Z**2))
    half = Z * math.sqrt(Z**2 + 4 * n * p * (1 - p)) / (2 * (n + Z**2))
    return centre - half, centre + half


def hybrid(x1, n1, x2, n2):
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson(x1, n1)
    l2, u2 = wilson(x2, n2)
    d = p1 - p2
    delta = math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    eps = math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return d, d - delta, d + eps


with open("newcombe_1998.json") as fh:
    ref = json.load(fh)
for ex in ref["examples"]:
    d, lo, hi = hybrid(ex["x1"], ex["n1"], ex["x2"], ex["n2"])
    ex["computed"] = {"difference": d, "ci_low": lo, "ci_high": hi}
    pub = ex["published"]
    assert (round(lo, 4), round(hi, 4)) == (pub["ci_low"], pub["ci_high"]), ex
with open("newcombe_1998.json", "w") as fh:
    json.dump(ref, fh, indent=2)
    fh.write("\n")
