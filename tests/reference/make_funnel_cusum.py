"""Funnel-plot and CUSUM limits worked from the papers' formulas, with the standard library only
(no numpy, no scipy, no package code), written to funnel_cusum_hand.json.

Run: ``python tests/reference/make_funnel_cusum.py`` (R's FunnelPlotR and cusum packages are not
in Debian here; these are the same formulas, worked independently).

Funnel limits, exact (Spiegelhalter 2005, appendix A.1.1-A.1.2)
    For the p quantile of the count under control, r_p is the smallest r with F(r) >= p, and
    a = (F(r_p) - p) / (F(r_p) - F(r_p - 1)); the limit is (r_p - a) / E for an indirectly
    standardised ratio O/E with O ~ Poisson(E), and (r_p - a) / n for a proportion with
    O ~ Binomial(n, theta0).

    Worked at E = 10, p = 0.975: F(16) = 0.97296 < 0.975 <= F(17) = 0.98572, so r = 17,
    a = (0.98572 - 0.975) / (0.98572 - 0.97296) = 0.8401, limit (17 - 0.8401) / 10 = 1.6160.

Overdispersion (Spiegelhalter 2005, section 4)
    z = (-2, -1, 0, 1, 3), s = (0.1, 0.1, 0.2, 0.2, 0.1). Winsorised at the 10th and 90th
    percentiles (linear interpolation between order statistics, position q (I - 1)): the 10th
    is -2 + 0.4 = -1.6, the 90th is 1 + 0.6 x 2 = 2.2, so z_w = (-1.6, -1, 0, 1, 2.2),
    phi = (2.56 + 1 + 0 + 1 + 4.84) / 5 = 1.88. w = 1/s^2 = (100, 100, 25, 25, 100),
    sum w = 350, sum w^2 = 31250, tau^2 = (5 x 1.88 - 4) / (350 - 31250 / 350) = 5.4 / 260.714
    = 0.020712.

    With tau^2 the additive limits of a ratio at E = 10 on the square-root scale are
    (1 +- z_q sqrt(1 / (4E) + tau^2))^2.

Normal limits of a mean: target +- z_q sd / sqrt(n), z_q the normal quantile, computed here by
bisection of the error function.

CUSUM (Steiner et al. 2000)
    W = y log(R) - log(1 - p + R p); with R = 2, p = 0.1: W(1) = log(2 / 1.1) = 0.597837,
    W(0) = -log(1.1) = -0.095310. The exact distribution of the chart's largest value over
    n = 10 sessions at p = 0.2 is found by enumerating the 2^10 outcome sequences, and the
    false-alarm probability P(max C > h) at a few h, and the smallest h with P <= 0.05.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path


def poisson_cdf(r: int, mu: float) -> float:
    if r < 0:
        return 0.0
    term, total = math.exp(-mu), 0.0
    for k in range(r + 1):
        if k:
            term *= mu / k
        total += term
    return total


def binom_cdf(r: int, n: int, p: float) -> float:
    if r < 0:
        return 0.0
    return sum(math.comb(n, k) * p ** k * (1 - p) ** (n - k) for k in range(min(r, n) + 1))


def exact_limit(p: float, cdf, size: float) -> float:
    r = 0
    while cdf(r) < p:
        r += 1
    f_r, f_r1 = cdf(r), cdf(r - 1)
    a = (f_r - p) / (f_r - f_r1)
    return max(r - a, 0.0) / size


def norm_ppf(q: float) -> float:
    lo, hi = -10.0, 10.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if 0.5 * (1 + math.erf(mid / math.sqrt(2))) < q:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def quantile(values, q):
    v = sorted(values)
    pos = q * (len(v) - 1)
    i = int(math.floor(pos))
    frac = pos - i
    return v[i] + (v[min(i + 1, len(v) - 1)] - v[i]) * frac


def main() -> dict:
    out: dict = {"poisson": [], "binomial": [], "normal": []}
    for e in (2.5, 10.0, 50.0):
        for p in (0.001, 0.025, 0.975, 0.999):
            out["poisson"].append({"expected": e, "p": p,
                                   "limit": exact_limit(p, lambda r, e=e: poisson_cdf(r, e), e)})
    for n, theta in ((20, 0.1), (100, 0.1), (250, 0.05)):
        for p in (0.001, 0.025, 0.975, 0.999):
            out["binomial"].append({"n": n, "target": theta, "p": p, "limit": exact_limit(
                p, lambda r, n=n, t=theta: binom_cdf(r, n, t), n)})
    for n in (4, 25, 100):
        for level in (0.95, 0.998):
            zq = norm_ppf(0.5 + level / 2)
            out["normal"].append({"n": n, "target": 0.3, "sd": 0.2, "level": level,
                                  "lower": 0.3 - zq * 0.2 / math.sqrt(n),
                                  "upper": 0.3 + zq * 0.2 / math.sqrt(n)})
    z = [-2.0, -1.0, 0.0, 1.0, 3.0]
    s = [0.1, 0.1, 0.2, 0.2, 0.1]
    lo, hi = quantile(z, 0.1), quantile(z, 0.9)
    phi = sum(min(max(x, lo), hi) ** 2 for x in z) / len(z)
    w = [1 / x ** 2 for x in s]
    tau2 = (len(z) * phi - (len(z) - 1)) / (sum(w) - sum(x * x for x in w) / sum(w))
    widened = []
    for level in (0.95, 0.998):
        zq = norm_ppf(0.5 + level / 2)
        half_add = zq * math.sqrt(1 / 40 + tau2)
        half_mul = zq * math.sqrt(phi) / (2 * math.sqrt(10))
        widened.append({"expected": 10.0, "level": level,
                        "additive": [max(1 - half_add, 0) ** 2, (1 + half_add) ** 2],
                        "multiplicative": [max(1 - half_mul, 0) ** 2, (1 + half_mul) ** 2]})
    out["overdispersion"] = {"z": z, "s": s, "phi": phi, "tau2": tau2, "limits": widened}
    r = 2.0
    out["cusum_weights"] = {"odds_ratio": r, "p": 0.1, "event": math.log(r / 1.1),
                            "no_event": -math.log(1.1)}
    n, p = 10, 0.2
    up, down = math.log(r) - math.log(1 - p + r * p), -math.log(1 - p + r * p)
    dist: dict[float, float] = {}
    for ys in itertools.product((0, 1), repeat=n):
        c = top = 0.0
        for y in ys:
            c = max(0.0, c + (up if y else down))
            top = max(top, c)
        k = round(top, 9)
        dist[k] = dist.get(k, 0.0) + p ** sum(ys) * (1 - p) ** (n - sum(ys))
    values = sorted(dist)
    tail = {v: sum(dist[u] for u in values if u > v) for v in values}
    h = min(v for v in values if tail[v] <= 0.05)
    out["cusum_exact"] = {"n": n, "p": p, "odds_ratio": r, "false_alarm": 0.05, "h": h,
                          "false_alarm_at_h": tail[h],
                          "tail": [[v, tail[v]] for v in values if 0.5 < v < 3.0]}
    return out


if __name__ == "__main__":
    path = Path(__file__).with_name("funnel_cusum_hand.json")
    path.write_text(json.dumps(main(), indent=1) + "\n", "utf-8")
    print(f"wrote {path.name}")
