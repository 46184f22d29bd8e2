"""The claims catalogue: ``claims.toml`` and a user's changes to it, read and validated.

The catalogue is a data file, ``claims.toml``: one entry per effect claim and per practice
recommendation of the source documents, each quoting its sources by file name, plus the places
where the documents disagree. :func:`load_catalogue` reads it into the objects of
:mod:`outcomes.claims.model` and lets a user change or extend it with a TOML file of the same
shape. Every entry is checked against the estimand and check keys of
:mod:`outcomes.claims.registry`; a message names the file, the entry and the field, what was
expected and what came in (:class:`outcomes.validators.Where`).

Improvement bands are those of :data:`outcomes.courses.DEFAULT_BANDS`; a ``[bands]`` table
changes or adds bands.
"""

from __future__ import annotations

import copy
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from ..bundle.schema import TABLES, vocabulary
from ..courses import DEFAULT_BANDS
from ..errors import ConfigError
from ..validators import NOTHING, Where, is_number, number_text, read_toml, show
from .model import Catalogue, Claim, Conflict, Parameters, Recommendation, Source
from .registry import (
    CHECKS,
    COMPARATIVE,
    ESTIMANDS,
    EVENT_RATE,
    MIN_EVENTS,
    MIN_GROUP_PATIENTS,
    PARAM_KINDS,
    Method,
    Param,
)
from .verdicts import MIN_UNITS, Rule

__all__ = ["load_catalogue"]

_BUILTIN = "claims.toml"
_SECTIONS = {"claims": "claim", "recommendations": "recommendation", "conflicts": "conflict"}
_TOP_LEVEL = ("bands", *_SECTIONS)
_CLAIM_FIELDS = ("id", "statement", "estimand", "parameters", "rule", "low", "high", "threshold",
                 "strict", "min_units", "unit", "needs", "sources", "note", "min_group_patients",
                 "min_events", "estimand_basis")
_RECOMMENDATION_FIELDS = ("id", "statement", "check", "parameters", "unit", "needs", "sources",
                          "note")
_CONFLICT_FIELDS = ("id", "topic", "entries", "note")
_SOURCE_FIELDS = ("document", "quote")
_RULE_NAMES = tuple(rule.value for rule in Rule)
_BOUND_FIELDS = tuple(dict.fromkeys(name for rule in Rule for name in rule.bounds))
_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_FILE_KEY = "__file__"
_CHANGED_KEY = "__changed__"


def _entry(file: str, section: str, entry_id: str) -> Where:
    """Where an entry stands, e.g. ``claims.toml, claim 'minimal-pain'``."""
    return Where(file, f"{_SECTIONS[section]} {entry_id!r}")


# ------------------------------------------------------------------------------ fields
def _text(raw: Mapping, name: str, where: Where, *, required: bool = True) -> str:
    if name not in raw:
        if required:
            raise where.error(name, "a text", fix=f"Add {name} = \"...\".")
        return ""
    value = raw[name]
    if not isinstance(value, str) or (required and not value.strip()):
        raise where.error(name, "a non-empty text" if required else "a text", value)
    return value


def _number(raw: Mapping, name: str, where: Where) -> float:
    value = raw[name]
    if not is_number(value):
        raise where.error(name, "a number", value, fix="Write it without quotes, e.g. 0.5.")
    return float(value)


def _whole(value: Any) -> bool:
    return is_number(value) and float(value).is_integer()


def _check_fields(raw: Mapping, allowed: tuple[str, ...], where: Where) -> None:
    for name in raw:
        if name.startswith("__"):
            continue
        if name not in allowed:
            raise where.error(name, f"one of the fields {', '.join(allowed)}", name,
                              show_value=False, fix="Remove or rename it.")


def _sources(raw: Mapping, where: Where) -> tuple[Source, ...]:
    value = raw.get("sources", [])
    if not isinstance(value, list):
        raise where.error("sources", "a list of {document, quote} tables", value)
    return tuple(_source(item, where, "sources") for item in value)


def _source(item: Any, where: Where, field_name: str) -> Source:
    if not isinstance(item, dict):
        raise where.error(field_name, "a {document = ..., quote = ...} table", item)
    for name in item:
        if name not in _SOURCE_FIELDS:
            raise where.error(f"{field_name}.{name}", "only the fields document and quote", name,
                              show_value=False)
    for name in _SOURCE_FIELDS:
        if not isinstance(item.get(name), str) or not item[name].strip():
            raise where.error(f"{field_name}.{name}", "a non-empty text",
                              item.get(name, NOTHING))
    return Source(item["document"], item["quote"])


# ------------------------------------------------------------------------------ parameters
@dataclass(frozen=True)
class _At:
    """Where a parameter value stands: its entry, field and kind, and what it may depend on."""

    where: Where
    field: str
    kind: str
    given: Mapping  # the entry's parameters: the values of a group depend on its `column`
    bands: Mapping

    def error(self, value: Any, expected: str | None = None) -> ConfigError:
        return self.where.error(self.field, expected or PARAM_KINDS[self.kind], value)


def _one_of(value: Any, allowed: list[str], at: _At, what: str) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise at.error(value, f"{what}, one of {', '.join(allowed)}")
    return value


def _list_of(value: Any, allowed: list, at: _At, what: str) -> tuple:
    if not isinstance(value, list) or not value:
        raise at.error(value, f"a non-empty list of {what}")
    for item in value:
        if isinstance(item, bool) or item not in allowed:
            raise at.error(item, f"{what}, each one of {', '.join(map(str, allowed))}")
    return tuple(value)


def _range(value: Any, at: _At) -> tuple:
    whole = at.kind == "count_range"
    ok = (isinstance(value, list) and len(value) == 2 and all(map(is_number, value))
          and (not whole or all(map(_whole, value))))
    if not ok or value[0] > value[1] or value[0] < (1 if whole else 0):
        raise at.error(value)
    return tuple(int(v) for v in value) if whole else tuple(float(v) for v in value)


def _session_columns(*kinds: str) -> list[str]:
    return [c.name for c in TABLES["sessions"].columns if c.kind in kinds]


def _group_values(value: Any, at: _At) -> tuple:
    column = at.given.get("column")
    col = TABLES["sessions"].column(column) if column else None
    if col is None or col.kind not in ("vocabulary", "list"):
        # the column itself is reported first, by the caller's order
        raise at.error(value, "a `column` parameter naming a session column with a vocabulary")
    return _list_of(value, vocabulary(col.vocabulary), at, f"values of {column}")


def _simple(ok: Callable[[Any], bool], convert: Callable[[Any], Any]):
    """A validator of a value that stands alone: ``ok(value)``, then ``convert(value)``."""
    def validate(value: Any, at: _At) -> Any:
        if not ok(value):
            raise at.error(value)
        return convert(value)
    return validate


#: Parameter kind (a key of PARAM_KINDS) -> (value, at) -> the value in its stored form.
_VALIDATORS: dict[str, Callable[[Any, _At], Any]] = {
    "condition": lambda v, at: _one_of(v, vocabulary("condition"), at, "a condition"),
    "setting": lambda v, at: _one_of(v, vocabulary("setting"), at, "a setting"),
    "band": lambda v, at: _one_of(v, list(at.bands), at, "an improvement band"),
    "events": lambda v, at: _list_of(v, vocabulary("event"), at, "adverse-event names"),
    "contraindications": lambda v, at: _list_of(v, vocabulary("contraindication"), at,
                                                "contraindications"),
    "session": _simple(lambda v: _whole(v) and v >= 1, int),
    "hours": _simple(lambda v: is_number(v) and v > 0, float),
    "hours_list": _simple(lambda v: isinstance(v, list) and all(is_number(x) and x > 0 for x in v),
                          lambda v: tuple(map(float, v))),
    "flag": _simple(lambda v: isinstance(v, bool), bool),
    "group_column": lambda v, at: _one_of(v, _session_columns("vocabulary", "list"), at,
                                          PARAM_KINDS[at.kind]),
    "number_column": lambda v, at: _one_of(v, _session_columns("number"), at,
                                           PARAM_KINDS[at.kind]),
    "group_values": _group_values,
    "day_range": _range,
    "count_range": _range,
}


def _param_value(name: str, param: Param, value: Any, given: Mapping, bands: Mapping,
                 where: Where) -> Any:
    """Validate one parameter value; return it in its stored form."""
    at = _At(where, f"parameters.{name}", param.kind, given, bands)
    return _VALIDATORS[param.kind](value, at)


def _parameters(raw: Mapping, method: Method, bands: Mapping, where: Where) -> Parameters:
    given = raw.get("parameters", {})
    if not isinstance(given, dict):
        raise where.error("parameters", "a table such as { condition = \"wrinkles\" }", given)
    for name in given:
        if name not in method.parameters:
            raise where.error(f"parameters.{name}",
                              f"a parameter of {method.key}: {', '.join(method.parameters)}",
                              name, show_value=False, fix="Remove or rename it.")
    for name in method.required:
        if name not in given:
            raise where.error(f"parameters.{name}",
                              f"a value ({PARAM_KINDS[method.parameters[name].kind]}), required "
                              f"by {method.key}")
    # validate `column` before the values that depend on it
    order = sorted(given, key=lambda n: n != "column")
    out: dict[str, Any] = {}
    for name in order:
        out[name] = _param_value(name, method.parameters[name], given[name], given, bands, where)
    return Parameters({name: out[name] for name in given})


# ------------------------------------------------------------------------------ entries
def _needs(raw: Mapping, method: Method, params: Parameters, where: Where) -> tuple[str, ...]:
    value = raw.get("needs", [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise where.error("needs", "a list of \"table\" or \"table.column\" texts", value)
    for item in value:
        table, _, column = item.partition(".")
        if table not in TABLES:
            raise where.error("needs", f"a table of {', '.join(TABLES)} (or table.column)", item)
        if column and column not in TABLES[table].names:
            raise where.error("needs", f"a column of {table}: {', '.join(TABLES[table].names)}",
                              item)
    return tuple(dict.fromkeys((*value, *method.needs_for(params))))


def _unit(raw: Mapping, method: Method, where: Where) -> str:
    value = raw.get("unit", method.unit)
    if value != method.unit:
        raise where.error("unit", f"{method.unit!r}, the unit {method.key} counts", value)
    return value


def _method_of(raw: Mapping, key_field: str, known: dict[str, Method], where: Where) -> Method:
    key = raw.get(key_field, NOTHING)
    if not isinstance(key, str) or key not in known:
        raise where.error(key_field, f"one of {', '.join(known)}", key)
    return known[key]


def _origin(raw: Mapping) -> str:
    file = raw.get(_FILE_KEY, _BUILTIN)
    changed = raw.get(_CHANGED_KEY)
    if file == _BUILTIN:
        return "built-in"
    if changed is None:
        return file
    return f"built-in, changed in {file} ({', '.join(changed)})"


def _rule(raw: Mapping, where: Where) -> tuple[Rule, dict[str, float | None]]:
    """The rule of a claim and its bounds (``None`` for the bounds it does not use)."""
    value = raw.get("rule", NOTHING)
    if not isinstance(value, str) or value not in _RULE_NAMES:
        raise where.error("rule", f"one of {', '.join(_RULE_NAMES)}", value)
    rule = Rule(value)
    needed = " and ".join(rule.bounds)
    bounds: dict[str, float | None] = dict.fromkeys(_BOUND_FIELDS)
    for name in _BOUND_FIELDS:
        if name in raw and name not in rule.bounds:
            raise where.error(name, f"only {needed} with rule {rule.value!r}", name,
                              show_value=False, fix=f"Remove {name}.")
    for name in rule.bounds:
        if name not in raw:
            raise where.error(name, f"a number (rule {rule.value!r} needs {needed})")
        bounds[name] = _number(raw, name, where)
    if rule is Rule.RANGE and bounds["low"] > bounds["high"]:
        raise where.error("low", f"low <= high (high is {number_text(bounds['high'])})",
                          raw["low"])
    return rule, bounds


def _least(raw: Mapping, name: str, default: int, allowed: bool, which: str,
           where: Where) -> int:
    """A ``min_*`` field: a whole number >= 1, given only where it applies."""
    if name not in raw:
        return default
    if not allowed:
        raise where.error(name, f"no {name}: it applies only to {which} estimands",
                          name, show_value=False, fix=f"Remove {name}.")
    value = raw[name]
    if not _whole(value) or value < 1:
        raise where.error(name, "a whole number >= 1", value)
    return int(value)


def _basis(raw: Mapping, method: Method, where: Where) -> str:
    """The estimand basis of a comparative claim (its default), or empty."""
    bases = COMPARATIVE.get(method.key, ())
    if "estimand_basis" not in raw:
        return bases[0] if bases else ""
    value = raw["estimand_basis"]
    if not bases:
        raise where.error("estimand_basis", "no estimand_basis: it applies only to the "
                          f"comparative estimands {', '.join(COMPARATIVE)}", "estimand_basis",
                          show_value=False, fix="Remove estimand_basis.")
    if not isinstance(value, str) or value not in bases:
        raise where.error("estimand_basis", f"one of {', '.join(bases)} (for {method.key})",
                          value)
    return value


def _claim(raw: Mapping, bands: Mapping, where: Where) -> Claim:
    _check_fields(raw, _CLAIM_FIELDS, where)
    statement = _text(raw, "statement", where)
    method = _method_of(raw, "estimand", ESTIMANDS, where)
    params = _parameters(raw, method, bands, where)
    rule, bounds = _rule(raw, where)
    strict = raw.get("strict", False)
    if not isinstance(strict, bool):
        raise where.error("strict", "true or false", strict)
    min_units = raw.get("min_units", MIN_UNITS)
    if not _whole(min_units) or min_units < 1:
        raise where.error("min_units", "a whole number >= 1", min_units)
    return Claim(
        id=raw["id"], statement=statement, estimand=method.key, parameters=params, rule=rule,
        low=bounds["low"], high=bounds["high"], threshold=bounds["threshold"], strict=strict,
        min_units=int(min_units), unit=_unit(raw, method, where),
        needs=_needs(raw, method, params, where), sources=_sources(raw, where),
        note=_text(raw, "note", where, required=False), origin=_origin(raw),
        min_group_patients=_least(raw, "min_group_patients", MIN_GROUP_PATIENTS,
                                  method.key in COMPARATIVE, "comparative", where),
        min_events=_least(raw, "min_events", MIN_EVENTS, method.key in EVENT_RATE, "event-rate",
                          where),
        estimand_basis=_basis(raw, method, where),
    )


def _recommendation(raw: Mapping, bands: Mapping, where: Where) -> Recommendation:
    _check_fields(raw, _RECOMMENDATION_FIELDS, where)
    statement = _text(raw, "statement", where)
    method = _method_of(raw, "check", CHECKS, where)
    params = _parameters(raw, method, bands, where)
    return Recommendation(
        id=raw["id"], statement=statement, check=method.key, parameters=params,
        unit=_unit(raw, method, where), needs=_needs(raw, method, params, where),
        sources=_sources(raw, where), note=_text(raw, "note", where, required=False),
        origin=_origin(raw),
    )


def _conflict(raw: Mapping, known_ids: set[str], where: Where) -> Conflict:
    _check_fields(raw, _CONFLICT_FIELDS, where)
    topic = _text(raw, "topic", where)
    value = raw.get("entries")
    if not isinstance(value, list) or len(value) < 2:
        raise where.error("entries", "a list of at least two claim or recommendation ids or "
                          "{document, quote} tables", raw.get("entries", NOTHING))
    entries: list[str | Source] = []
    for item in value:
        if isinstance(item, str):
            if item not in known_ids:
                raise where.error("entries", "ids of claims or recommendations of the catalogue",
                                  item, fix="Check the spelling, or quote the statement as "
                                            "{ document = ..., quote = ... }.")
            entries.append(item)
        else:
            entries.append(_source(item, where, "entries"))
    return Conflict(raw["id"], topic, tuple(entries), _text(raw, "note", where, required=False))


# ------------------------------------------------------------------------------ files
def _bands(data: Mapping, file: str) -> dict[str, float]:
    value = data.get("bands", {})
    if not isinstance(value, dict):
        raise ConfigError(f"{file}, [bands]: expected a table of name = least improvement; "
                          f"got {show(value)}.")
    where = Where(file, "[bands]")
    for name, threshold in value.items():
        if not is_number(threshold) or threshold <= 0:
            raise where.error(name, "a number > 0 (a share of the possible improvement, e.g. "
                                    "0.25)", threshold)
    return {name: float(t) for name, t in value.items()}


def _entry_id(raw: Any, section: str, index: int, file: str) -> str:
    label = f"[[{section}]] {_SECTIONS[section]} number {index + 1}"
    if not isinstance(raw, dict):
        raise ConfigError(f"{file}, {label}: expected a table of fields; got {show(raw)}.")
    where = Where(file, label)
    if "id" not in raw:
        raise where.error("id", "a text id",
                          fix="Add id = \"...\" (lower case, digits, '-', '_', '.').")
    value = raw["id"]
    if not isinstance(value, str) or not _ID_PATTERN.match(value):
        raise where.error("id", "a text of lower case letters, digits, '-', '_' or '.'", value)
    return value


def _sections(data: Mapping, file: str) -> dict[str, list[dict]]:
    for key in data:
        if key not in _TOP_LEVEL:
            raise ConfigError(f"{file}: unknown top-level key {key!r}; expected only "
                              f"{', '.join(_TOP_LEVEL)} ([bands], [[claims]], [[recommendations]], "
                              f"[[conflicts]]).")
    out: dict[str, list[dict]] = {}
    for section in _SECTIONS:
        value = data.get(section, [])
        if not isinstance(value, list):
            raise ConfigError(f"{file}: expected {section} as [[{section}]] entries; got "
                              f"{show(value)}.")
        seen: set[str] = set()
        for index, raw in enumerate(value):
            entry_id = _entry_id(raw, section, index, file)
            if entry_id in seen:
                raise _entry(file, section, entry_id).error(
                    "id", "a unique id", entry_id,
                    fix=f"It is there twice in [[{section}]]; give each entry its own id.")
            seen.add(entry_id)
        out[section] = value
    return out


@cache
def _builtin_data() -> dict:
    text = resources.files(__package__).joinpath(_BUILTIN).read_text("utf-8")
    return tomllib.loads(text)


def _merge(base: dict[str, list[dict]], user: dict[str, list[dict]], file: str) -> None:
    """Apply a user's entries to the built-in ones, in place."""
    index = {section: {raw["id"]: raw for raw in entries} for section, entries in base.items()}
    for section, entries in user.items():
        for raw in entries:
            entry_id = raw["id"]
            elsewhere = [s for s in _SECTIONS if s != section and entry_id in index[s]]
            if elsewhere:
                raise _entry(file, section, entry_id).error(
                    "id", "an id not already used", entry_id,
                    fix=f"{entry_id!r} names a built-in {_SECTIONS[elsewhere[0]]}.")
            if entry_id not in index[section]:
                added = {**raw, _FILE_KEY: file}
                base[section].append(added)
                index[section][entry_id] = added
                continue
            target = index[section][entry_id]
            changed = [name for name in raw if name != "id"]
            if "rule" in raw and raw["rule"] != target.get("rule"):
                for name in _BOUND_FIELDS:
                    if name not in raw:
                        target.pop(name, None)
            for key_field in ("estimand", "check"):
                if key_field in raw and raw[key_field] != target.get(key_field):
                    for name in ("parameters", "unit", "needs", "estimand_basis",
                                 "min_group_patients", "min_events"):
                        target.pop(name, None)
            for name in changed:
                if (name == "parameters" and isinstance(raw[name], dict)
                        and isinstance(target.get(name), dict)):
                    target[name] = {**target[name], **raw[name]}
                else:
                    target[name] = raw[name]
            target[_FILE_KEY] = file
            target[_CHANGED_KEY] = tuple(dict.fromkeys((*target.get(_CHANGED_KEY, ()), *changed)))


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    """Return the claims catalogue: the built-in one, changed or extended by a user file.

    Parameters
    ----------
    path : str or Path, optional
        A TOML file of the shape of the package's ``claims.toml``. An entry whose ``id`` is already
        in the catalogue changes only the fields it gives (``parameters`` are merged key by key; a
        new ``rule`` drops the old bounds; a new ``estimand`` or ``check`` drops the old
        parameters). An entry with a new id adds a claim, recommendation or conflict; a new claim
        must name an estimand key of :data:`~outcomes.claims.registry.ESTIMANDS`, a new
        recommendation a check key of :data:`~outcomes.claims.registry.CHECKS`. ``[bands]``
        changes or adds improvement bands (by default those of
        :data:`outcomes.courses.DEFAULT_BANDS`).

    Returns
    -------
    Catalogue
        The validated catalogue.

    Raises
    ------
    ConfigError
        If the file cannot be read or is malformed. The message names the file, the entry id and
        the field, what was expected and what came in: an unknown field, rule, estimand or check
        key; low above high; a missing or non-numeric threshold; an unknown condition, event,
        column or value in the parameters; a duplicate id; a conflict naming an unknown id.

    Examples
    --------
    >>> from outcomes import load_catalogue
    >>> catalogue = load_catalogue()
    >>> catalogue.claim("minimal-pain").rule_text
    'at most 3'
    >>> len(catalogue.recommendations), len(catalogue.conflicts)
    (5, 5)

    A user file that relaxes one threshold::

        [[claims]]
        id = "minimal-pain"
        threshold = 4
    """
    data = copy.deepcopy(_builtin_data())
    files = [_BUILTIN]
    sections = _sections(data, _BUILTIN)
    bands = {**DEFAULT_BANDS, **_bands(data, _BUILTIN)}
    if path is not None:
        path = Path(path)
        user = read_toml(path, what="claims file", shape=_BUILTIN)
        user_sections = _sections(user, path.name)
        bands.update(_bands(user, path.name))
        _merge(sections, {s: copy.deepcopy(v) for s, v in user_sections.items()}, path.name)
        files.append(path.name)

    def where(raw: Mapping, section: str) -> Where:
        return _entry(raw.get(_FILE_KEY, _BUILTIN), section, raw["id"])

    claims = tuple(_claim(raw, bands, where(raw, "claims")) for raw in sections["claims"])
    recommendations = tuple(_recommendation(raw, bands, where(raw, "recommendations"))
                            for raw in sections["recommendations"])
    known_ids = {c.id for c in claims} | {r.id for r in recommendations}
    clash = {c.id for c in claims} & {r.id for r in recommendations}
    if clash:
        entry_id = sorted(clash)[0]
        raw = next(r for r in sections["recommendations"] if r["id"] == entry_id)
        raise where(raw, "recommendations").error(
            "id", "an id not already used by a claim", entry_id)
    conflicts = tuple(_conflict(raw, known_ids, where(raw, "conflicts"))
                      for raw in sections["conflicts"])
    return Catalogue(claims, recommendations, conflicts, Parameters(bands), tuple(files))
