"""Re-scoring a stored audit against new thresholds, without the data (DataQualityDashboard's
re-evaluation of thresholds from stored results).

``audit.json`` keeps each check's numerator, denominator, threshold, direction and status.
:func:`rescore` applies the thresholds of another configuration to them: the percentage is
recomputed from the counts, the status is decided again (``pass``, ``fail``, ``not_applicable``
when the denominator is 0), and the verdict and exit status follow. A check that was
``is_error`` stays so (it never ran). A check whose counts were withheld by the small-count
rules is decided from what is left: a numerator shown as ``"<k"`` lies between 1 and k - 1, and
when the threshold decides alike at both ends that is the status; otherwise the stored
percentage, when there is one; otherwise the check is ``is_error`` (it cannot be re-scored).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from pathlib import Path

from ..errors import ConfigError
from .config import AuditConfig, load_audit_config
from .quality import IS_ERROR, NOT_APPLICABLE, decide_check
from .result import EXIT_FAILED, EXIT_PASSED, JSON_SCHEMA_VERSION

__all__ = ["rescore"]


def _count(value):
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _bounds(value) -> tuple[int, int] | None:
    """The range of a count: exact, or ``"<k"`` (1 to k - 1, a small count shown as such)."""
    exact = _count(value)
    if exact is not None:
        return exact, exact
    if isinstance(value, str) and value.startswith("<") and value[1:].isdigit():
        return 1, int(value[1:]) - 1
    return None


def _decide(num, den, threshold: float, direction: str):
    """Status of a check whose numerator is known to lie in a range, when both ends agree."""
    lo, hi = num
    a = decide_check(lo, den, threshold, direction)
    b = decide_check(hi, den, threshold, direction)
    return a if a[1:] == b[1:] else None


def rescore(data: Mapping, config: AuditConfig | str | Path | Mapping | None = None) -> dict:
    """Re-score the checks of a stored audit against the thresholds of ``config``.

    Parameters
    ----------
    data : Mapping
        The content of an ``audit.json`` (layout ``outcomes.audit/1``).
    config : AuditConfig, str, Path or Mapping, optional
        The new settings (as for :func:`outcomes.audit.run.audit`); only their thresholds are
        used (``[checks]`` and ``[adherence.minimum]``).

    Returns
    -------
    dict
        A copy of ``data`` with every check's ``threshold``, ``percentage``, ``status`` and
        ``passed`` decided again, ``passed`` and ``exit_status`` updated, ``config.checks``
        replaced, and ``rescored`` (``files``: the configuration files, ``changed``: ids of the
        checks whose status changed).

    Raises
    ------
    ConfigError
        If ``data`` is not an audit of this layout, or the configuration is malformed.

    Examples
    --------
    >>> from outcomes import audit, load_sample
    >>> stored = audit(load_sample()).to_dict()
    >>> new = rescore(stored, {"checks": {"sessions.duplicate_id": 5.0}})
    >>> new["rescored"]["changed"]
    ['sessions.duplicate_id']
    """
    if not isinstance(data, Mapping) or data.get("schema") != JSON_SCHEMA_VERSION:
        got = data.get("schema") if isinstance(data, Mapping) else type(data).__name__
        raise ConfigError(f"cannot re-score: expected an audit.json of layout "
                          f"{JSON_SCHEMA_VERSION!r}, got {got!r}")
    cfg = config if isinstance(config, AuditConfig) else load_audit_config(config)
    out = copy.deepcopy(dict(data))
    changed = []
    for check in out.get("checks", []):
        cid = check["id"]
        if cid in cfg.thresholds:
            threshold = cfg.thresholds[cid]
        elif cid.startswith("adherence.") and cid[len("adherence."):] in cfg.adherence_minimum:
            threshold = cfg.adherence_minimum[cid[len("adherence."):]]
        else:
            threshold = check["threshold"]
        before = check["status"]
        check["threshold"] = float(threshold)
        if before == IS_ERROR:
            continue
        num, den = _bounds(check.get("numerator")), _count(check.get("denominator"))
        decided = (_decide(num, den, threshold, check["direction"])
                   if num is not None and den is not None else None)
        if decided is not None:
            pct, status, passed = decided
            if num[0] == num[1]:
                check["percentage"] = pct if math.isfinite(pct) else None
        elif before == NOT_APPLICABLE:
            status, passed = NOT_APPLICABLE, True
        elif isinstance(check.get("percentage"), int | float):
            # counts withheld: decide on the stored percentage, the one number left
            pct = float(check["percentage"])
            passed = pct >= threshold if check["direction"] == "at_least" else pct <= threshold
            status = "pass" if passed else "fail"
        else:
            status, passed = IS_ERROR, False
        check["status"], check["passed"] = status, bool(passed)
        if status != before:
            changed.append(cid)
    out["passed"] = all(c["passed"] for c in out.get("checks", []))
    out["exit_status"] = EXIT_PASSED if out["passed"] else EXIT_FAILED
    out.setdefault("config", {})["checks"] = dict(cfg.thresholds)
    out["rescored"] = {"files": list(cfg.files), "changed": changed}
    return out
