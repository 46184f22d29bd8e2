"""Reference Kaplan-Meier values from lifelines, stored for ``tests/test_survival.py``.

lifelines pins ``pandas<3``, so it must never be installed into the project's environment. To
regenerate ``km_lifelines_data.csv`` and ``km_lifelines.csv``, make a throwaway virtual
environment, install ``lifelines`` (it brings numpy and pandas) and run this script from this
folder::

    python -m venv <throwaway-env>
    <throwaway-env>/bin/pip install lifelines
    <throwaway-env>/bin/python make_km_lifelines.py

The data are drawn here with a fixed seed (numpy's PCG64, so the draws do not depend on the
lifelines version): resolution times in whole hours (many ties) with independent censoring,
three groups of different size. lifelines' pointwise interval is the "exponential Greenwood"
(log-log) interval, the one ``outcomes.stats.survival`` computes without clustering; its median
is the
first time with S(t) <= 0.5.

Stored with lifelines 0.30.3, numpy 2.x, pandas 2.3.3.
"""

import json

import lifelines
import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter

rng = np.random.default_rng(20241118)
rows = []
for group, n, scale in (("a", 40, 20.0), ("b", 150, 30.0), ("c", 400, 45.0)):
    event_time = np.ceil(rng.weibull(1.5, n) * scale)
    censor_time = np.ceil(rng.uniform(5, 90, n))
    rows.append(pd.DataFrame({
        "group": group,
        "duration": np.minimum(event_time, censor_time),
        "observed": (event_time <= censor_time).astype(int),
    }))
data = pd.concat(rows, ignore_index=True)
data.to_csv("km_lifelines_data.csv", index=False)

out = []
medians = {}
for group, sub in data.groupby("group"):
    kmf = KaplanMeierFitter(alpha=0.05).fit(sub["duration"], sub["observed"])
    sf = kmf.survival_function_.iloc[:, 0]
    ci = kmf.confidence_interval_
    table = pd.DataFrame({
        "group": group,
        "time": sf.index.to_numpy(dtype=float),
        "survival": sf.to_numpy(),
        "ci_low": ci.iloc[:, 0].to_numpy(),
        "ci_high": ci.iloc[:, 1].to_numpy(),
    })
    out.append(table[table["time"] > 0])  # lifelines adds a row at time 0
    medians[group] = float(kmf.median_survival_time_)
pd.concat(out, ignore_index=True).to_csv("km_lifelines.csv", index=False, float_format="%.17g")
with open("km_lifelines_medians.json", "w") as fh:
    json.dump({"lifelines": lifelines.__version__, "median": medians}, fh, indent=2)
