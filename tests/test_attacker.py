"""An attacker reads whole releases and tries to pin down their hidden counts.

For releases of simulated bundles (the report, the audit with ``--release``, the claims with
``--release``, the dashboard's :meth:`~outcomes.app.dashboard.Dashboard.export`), the attacker
reads every published number from the files as written, takes every linear relation the
package knows between counts (the release's registry: partitions, margins, shared totals,
at-risk chains) and adds its own ``rate x n`` relations (a share shown beside its count and its
denominator). For each cell shown as
``<min_cell`` it solves the least and the greatest value with ``scipy.optimize.linprog`` (cells
as non-negative reals, ``<min_cell`` cells between 1 and ``min_cell - 1``). A release passes when
no hidden cell is pinned to fewer than two values of its band, no shown share times its shown
``n`` gives a count below ``min_cell``, and no text cell of any file gives a number below
``min_cell`` beside a unit word.

The attacker is written here, apart from the package's own :mod:`outcomes.output.attack`: it
knows only the files and the relations.
"""

from __future__ import annotations

import json
import math
import re
import warnings
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from outcomes.app.dashboard import Dashboard
from outcomes.audit.run import audit
from outcomes.bundle.load import load_bundle
from outcomes.bundle.write import write_bundle
from outcomes.cli import main
from outcomes.report.audit import _released, write_audit
from outcomes.report.cohort import report_tables
from outcomes.report.relations import report_release
from outcomes.report.write import write_report
from outcomes.simulate.draw import simulate

MIN_CELL = 5
SIZES = [10, 25, 40, pytest.param(80, marks=pytest.mark.slow),
         pytest.param(200, marks=pytest.mark.slow)]

#: A share shown beside the count it is a share of: (table, count column, unit column, where).
RATES = [
    ("incidence", "n_with_event", "n", {}),
    ("skin_type", "n_with_event", "n", {"level": ["type", "group", "unknown"]}),
    ("spacing", "n_with_event", "n", {"measure": ["side_effect_rate"]}),
    ("recommendations", "adherent", "n", {}),
    ("adherence", "adherent", "n", {}),
    ("adherence_by_clinic", "adherent", "n", {}),
    ("adherence_by_operator", "adherent", "n", {}),
    ("signals", "events", "n", {}),
]
#: Words naming what a count counts (the attacker's own list).
UNITS = (r"(?:patients?|courses?|events?|sessions?|clusters?|units?|rows?|groups?|at risk|"
         r"censored|df|assessments?|clinics?|operators?)")
SMALL_BESIDE_UNIT = re.compile(
    rf"(?<![\w.<])(?<!at least )(?<!at most )([1-{MIN_CELL - 1}])(?![\w.])"
    rf"\s+(?:[a-z-]+\s+){{0,2}}?{UNITS}\b|\b{UNITS}[a-z_]*\s*:\s*([1-{MIN_CELL - 1}])(?![\w.])",
    re.I)


# ------------------------------------------------------------------------------ reading
def _cell(value):
    """A published cell: a number, ``"<"`` (a count from 1 to MIN_CELL - 1), ``"*"`` (any count)
    or None (blank)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    if text == "":
        return None
    if text.startswith("<"):
        return "<"
    if text == "*":
        return "*"
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return text


def read_csvs(folder: Path) -> dict[str, pd.DataFrame]:
    return {p.stem: pd.read_csv(p, dtype=str, keep_default_na=False)
            for p in sorted((folder / "tables").glob("*.csv"))}


# ------------------------------------------------------------------------------ the attack
def attack(tables: dict[str, pd.DataFrame], relations, min_cell: int = MIN_CELL):
    """Least and greatest values of every ``<min_cell`` cell of ``tables``.

    Returns the pinned cells ``[(cell, low, high)]`` and the number of hidden cells attacked.
    """
    def get(cell):
        table, i, col = cell
        t = tables.get(table)
        if t is None or col not in t or i >= len(t):
            return None
        return _cell(t[col].iloc[i])

    equations = []  # (cells, coefs, constant) meaning sum(coef * cell) == constant
    for r in relations:
        const, cells, coefs = 0.0, [], []
        for c, k in zip(r.cells, r.coefs, strict=True):
            v = get(c)
            if isinstance(v, float):
                const -= k * v
            else:
                cells.append(c)
                coefs.append(k)
        if cells:
            equations.append((cells, coefs, const))
    for name, count, unit, where in RATES:
        t = tables.get(name)
        if t is None or "estimate" not in t or count not in t or unit not in t:
            continue
        for i in range(len(t)):
            if any(t[c].iloc[i] not in vals for c, vals in where.items()):
                continue
            est = _cell(t["estimate"].iloc[i])
            if not isinstance(est, float):
                continue
            k, n = (name, i, count), (name, i, unit)
            vk, vn = get(k), get(n)
            if isinstance(vk, float) and isinstance(vn, float):
                continue
            # count - est * n == 0
            cells = [c for c, v in ((k, vk), (n, vn)) if not isinstance(v, float)]
            const = -(vk if isinstance(vk, float) else 0.0) + est * (vn if isinstance(vn, float)
                                                                     else 0.0)
            coefs = [1.0 if c == k else -est for c in cells]
            equations.append((cells, coefs, const))

    variables = sorted({c for cells, _k, _b in equations for c in cells})
    index = {c: j for j, c in enumerate(variables)}
    hidden = [c for c in variables if get(c) == "<"]
    # components: only the equations touching a target's component matter
    parent = list(range(len(variables)))

    def find(j):
        while parent[j] != j:
            parent[j] = parent[parent[j]]
            j = parent[j]
        return j

    for cells, _k, _b in equations:
        for a, b in zip(cells, cells[1:], strict=False):
            parent[find(index[a])] = find(index[b])
    by_comp = defaultdict(list)
    for e in equations:
        by_comp[find(index[e[0][0]])].append(e)
    members = defaultdict(list)
    for c in variables:
        members[find(index[c])].append(c)

    pinned = []
    for comp, cells in members.items():
        targets = [c for c in cells if get(c) == "<"]
        if not targets:
            continue
        local = {c: j for j, c in enumerate(cells)}
        eqs = by_comp[comp]
        a = np.zeros((len(eqs), len(cells)))
        b = np.zeros(len(eqs))
        for row, (ecells, coefs, const) in enumerate(eqs):
            for c, k in zip(ecells, coefs, strict=True):
                a[row, local[c]] += k
            b[row] = const
        bounds = [(1, min_cell - 1) if get(c) == "<" else (0, None) for c in cells]
        for c in targets:
            cost = np.zeros(len(cells))
            cost[local[c]] = 1
            lo = linprog(cost, A_eq=a, b_eq=b, bounds=bounds, method="highs")
            hi = linprog(-cost, A_eq=a, b_eq=b, bounds=bounds, method="highs")
            low = lo.fun if lo.status == 0 else 1
            high = -hi.fun if hi.status == 0 else min_cell - 1
            values = range(max(1, math.ceil(low - 1e-6)), min(min_cell - 1,
                                                                math.floor(high + 1e-6)) + 1)
            if len(values) < 2:
                pinned.append((c, low, high))
    return pinned, len(hidden)


def shares_giving_small_counts(tables: dict[str, pd.DataFrame], min_cell: int = MIN_CELL):
    """Rows where a shown share times the shown ``n`` is a whole count below ``min_cell``."""
    found = []
    for name, t in tables.items():
        if "estimate" not in t or "n" not in t:
            continue
        for i in range(len(t)):
            est, n = _cell(t["estimate"].iloc[i]), _cell(t["n"].iloc[i])
            if not (isinstance(est, float) and isinstance(n, float)) or not 0 <= est <= 1:
                continue
            for k in (est * n, (1 - est) * n):
                if 0.5 <= k < min_cell - 0.5 and abs(k - round(k)) < 1e-6 * max(1, n):
                    found.append((name, i + 2, est, n))
    return found


def km_steps_giving_small_counts(tables: dict[str, pd.DataFrame], min_cell: int = MIN_CELL):
    """Kaplan-Meier shares shown one after the other whose step, times the number at risk,
    is a count below ``min_cell`` (events between the two times)."""
    found = []
    specs = {"dose_response": ("reached_major_by", "condition", "after_session", "n", False),
             "resolution": ("resolved_by", "event", "hours", "n_at_risk", True)}
    for name, (measure, group, time, risk, risk_before) in specs.items():
        t = tables.get(name)
        if t is None or "measure" not in t:
            continue
        t = t[t["measure"] == measure]
        for _g, rows in t.groupby(group, sort=False):
            rows = rows.assign(_t=pd.to_numeric(rows[time])).sort_values("_t")
            s_prev, n_prev = 1.0, _cell(rows["n"].iloc[0])
            for _i, row in rows.iterrows():
                f, n_here = _cell(row["estimate"]), _cell(row[risk])
                if not isinstance(f, float):
                    continue
                n = n_prev if risk_before else n_here
                if isinstance(n, float) and s_prev > 0:
                    d = n * (1 - (1 - f) / s_prev)
                    if 0.5 <= d < min_cell - 0.5:
                        found.append((name, row[group], row[time], d))
                s_prev, n_prev = 1 - f, n_here
    return found


def small_counts_in_text(folder: Path) -> list:
    """Every text cell of every CSV, JSON and HTML file of a release with a small count beside
    a unit word."""
    hits = []
    for path in sorted(folder.rglob("*")):
        if path.suffix == ".csv":
            texts = pd.read_csv(path, dtype=str, keep_default_na=False).to_numpy().ravel()
        elif path.suffix == ".json":
            texts = re.findall(r'"((?:[^"\\]|\\.)*)"', path.read_text("utf-8"))
        elif path.suffix == ".html":
            raw = re.sub(r"<(script|style|svg)[^>]*>.*?</\1>", " ", path.read_text("utf-8"),
                         flags=re.S)
            texts = [t.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
                     for t in re.split(r"<[^>]+>", raw)]
        else:
            continue
        for text in texts:
            if isinstance(text, str) and SMALL_BESIDE_UNIT.search(text):
                hits.append((path.name, text[:120]))
    return hits


# ------------------------------------------------------------------------------ releases
@pytest.fixture(scope="module", params=SIZES)
def release(request, tmp_path_factory):
    """The report, the audit release and the claims release of one simulated bundle."""
    n = request.param
    root = tmp_path_factory.mktemp(f"release{n}")
    write_bundle(simulate(n, 1000 + n, fault_rate=0.02), root / "bundle", format="csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        log = load_bundle(root / "bundle")
    report = write_report(log, root / "report", min_cell=MIN_CELL)
    report_relations = report_release(report_tables(report.results),
                                      MIN_CELL).publish().relations
    result = audit(log)
    write_audit(result, root / "audit", min_cell=MIN_CELL, release=True)
    audit_relations = _released(result, MIN_CELL)[1].relations
    dashboard = Dashboard(log, min_cell=MIN_CELL)
    dashboard.export(root / "dashboard")
    return {"n": n, "root": root, "report": (root / "report", report_relations),
            "audit": (root / "audit", audit_relations),
            "dashboard": (root / "dashboard", dashboard._released.relations)}


@pytest.mark.parametrize("part", ["report", "audit", "dashboard"])
def test_no_hidden_count_is_pinned(release, part):
    folder, relations = release[part]
    tables = read_csvs(folder)
    pinned, attacked = attack(tables, relations)
    assert attacked > 0 or part == "dashboard" or release["n"] >= 200
    assert pinned == [], f"{len(pinned)} of {attacked} hidden cells pinned: {pinned[:5]}"
    assert shares_giving_small_counts(tables) == []
    assert km_steps_giving_small_counts(tables) == []


@pytest.mark.parametrize("part", ["report", "audit", "dashboard"])
def test_no_small_count_in_text(release, part):
    folder, _ = release[part]
    assert small_counts_in_text(folder) == []


def test_claims_release(release, capsys):
    code = main(["claims", str(release["root"] / "bundle"), "--format", "json", "--release",
                 "--min-cell", str(MIN_CELL)])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    table = pd.DataFrame(data["claims"]).astype(object)
    assert not any(isinstance(v, int | float) and 0 < v < MIN_CELL for v in table["n"])
    assert shares_giving_small_counts({"claims": table.where(table.notna(), "")}) == []
    for column in ("method", "reason", "details"):
        assert not [t for t in table[column] if isinstance(t, str) and SMALL_BESIDE_UNIT.search(t)]


def test_the_attacker_finds_what_cell_suppression_alone_leaves():
    """The attacker is not blind: on tables disclosed one by one (no release-wide relations,
    no text rule) it pins cells down and reads counts in text."""
    from outcomes.output.disclosure import disclose
    from outcomes.output.release import Release, Sum

    a = pd.DataFrame({"group": ["x", "y", "all"], "n": [3, 9, 12]})
    b = pd.DataFrame({"what": ["y"], "n": [9]})
    rel = Release(MIN_CELL)
    rel.add("a", a, rules=[Sum("group", "all")])
    relations = rel.publish().relations
    one_by_one = {"a": disclose(a, MIN_CELL).table.astype(str), "b": b.astype(str)}
    pinned, attacked = attack(one_by_one, relations)
    assert attacked == 1 and [c for c, _lo, _hi in pinned] == [("a", 0, "n")]
    assert SMALL_BESIDE_UNIT.search("Wilson score (3 independent events, 3 events)")
