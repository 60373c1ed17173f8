"""The JSON form of participant groups, as stored in documents and edited by HR.

A rule is an object tagged by ``type``::

    {"type": "dept_subtree", "dept_id": "12"}
    {"type": "title_in", "titles": ["Sales Rep", "Sales Manager"]}
    {"type": "job_level", "low": 3, "high": 6}          # either bound may be null
    {"type": "tenure_at_least", "months": 6}
    {"type": "reports_to", "manager_userid": "mia", "direct_only": false}
    {"type": "active"}
    {"type": "all_of", "rules": [...]}  {"type": "any_of", "rules": [...]}  {"type": "not", "rule": {...}}

A group is ``{"kind": "dynamic", "group_id", "name", "rule"}`` or
``{"kind": "virtual", "group_id", "name", "owner", "members": [userids]}``. Parsing is strict: an unknown
type or key, or a value of the wrong shape, is a ValidationError that names the path to fix.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from dingperf.perf.errors import ValidationError
from dingperf.perf.groups import (
    AllOf,
    AnyOf,
    DynamicGroup,
    Group,
    InDepartmentSubtree,
    IsActive,
    JobLevelBetween,
    Not,
    ReportsTo,
    Rule,
    TenureAtLeast,
    TitleIn,
    VirtualGroup,
)

GROUP_ID = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")  # fits "unmatched:virtual:<id>" in a 64-char source column
MAX_DEPTH = 8


def rule_to_dict(rule: Rule) -> dict[str, Any]:
    """The JSON form of a rule (inverse of rule_from_dict)."""
    match rule:
        case InDepartmentSubtree(dept_id):
            return {"type": "dept_subtree", "dept_id": dept_id}
        case TitleIn(titles):
            return {"type": "title_in", "titles": sorted(titles)}
        case JobLevelBetween(low, high):
            return {"type": "job_level", "low": low, "high": high}
        case TenureAtLeast(months):
            return {"type": "tenure_at_least", "months": months}
        case ReportsTo(manager_userid, direct_only):
            return {"type": "reports_to", "manager_userid": manager_userid, "direct_only": direct_only}
        case IsActive():
            return {"type": "active"}
        case AllOf(rules):
            return {"type": "all_of", "rules": [rule_to_dict(r) for r in rules]}
        case AnyOf(rules):
            return {"type": "any_of", "rules": [rule_to_dict(r) for r in rules]}
        case Not(inner):
            return {"type": "not", "rule": rule_to_dict(inner)}
    raise ValidationError(f"rule {rule!r} has no JSON form; use one of {sorted(_PARSERS)}")


def _fields(data: Any, path: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ValidationError(f"{path} must be an object, got {type(data).__name__}")
    unknown = sorted(set(data) - set(required) - set(optional))
    if unknown:
        raise ValidationError(f"{path} has unknown field(s) {unknown}; allowed: {sorted(required + optional)}")
    missing = [k for k in required if k not in data]
    if missing:
        raise ValidationError(f"{path} is missing {missing}")
    return data


def _text(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{path} must be a non-empty string, got {value!r}")
    return value.strip()


def _int(value: Any, path: str, *, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(f"{path} must be a whole number ≥ 0{' or null' if optional else ''}, got {value!r}")
    return value


def _dept(value: Any, path: str) -> str:
    # DingTalk dept ids are numbers; HR may type them either way.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _text(value, path)


def _texts(value: Any, path: str) -> frozenset[str]:
    if not isinstance(value, list) or not value:
        raise ValidationError(f"{path} must be a non-empty list of strings")
    return frozenset(_text(v, f"{path}[{i}]") for i, v in enumerate(value))


def _sub_rules(d: Mapping[str, Any], path: str, depth: int) -> tuple[Rule, ...]:
    rules = d["rules"]
    if not isinstance(rules, list) or not rules:
        raise ValidationError(f"{path}.rules must be a non-empty list of rules")
    return tuple(_rule(r, f"{path}.rules[{i}]", depth + 1) for i, r in enumerate(rules))


def _job_level(d: Mapping[str, Any], path: str) -> Rule:
    low, high = _int(d.get("low"), f"{path}.low", optional=True), _int(d.get("high"), f"{path}.high", optional=True)
    if low is None and high is None:
        raise ValidationError(f"{path} needs a low or a high job level")
    if low is not None and high is not None and low > high:
        raise ValidationError(f"{path}: low {low} is above high {high}")
    return JobLevelBetween(low, high)


def _reports_to(d: Mapping[str, Any], path: str) -> Rule:
    direct = d.get("direct_only", True)
    if not isinstance(direct, bool):
        raise ValidationError(f"{path}.direct_only must be true or false, got {direct!r}")
    return ReportsTo(_text(d["manager_userid"], f"{path}.manager_userid"), direct)


# type → (required fields, optional fields, parser(fields, path, depth))
_PARSERS: dict[str, tuple[tuple[str, ...], tuple[str, ...], Callable[[Mapping[str, Any], str, int], Rule]]] = {
    "dept_subtree": (("dept_id",), (), lambda d, p, _: InDepartmentSubtree(_dept(d["dept_id"], f"{p}.dept_id"))),
    "title_in": (("titles",), (), lambda d, p, _: TitleIn(_texts(d["titles"], f"{p}.titles"))),
    "job_level": ((), ("low", "high"), lambda d, p, _: _job_level(d, p)),
    "tenure_at_least": (("months",), (), lambda d, p, _: TenureAtLeast(_int(d["months"], f"{p}.months") or 0)),
    "reports_to": (("manager_userid",), ("direct_only",), lambda d, p, _: _reports_to(d, p)),
    "active": ((), (), lambda d, p, _: IsActive()),
    "all_of": (("rules",), (), lambda d, p, depth: AllOf(_sub_rules(d, p, depth))),
    "any_of": (("rules",), (), lambda d, p, depth: AnyOf(_sub_rules(d, p, depth))),
    "not": (("rule",), (), lambda d, p, depth: Not(_rule(d["rule"], f"{p}.rule", depth + 1))),
}


def _rule(data: Any, path: str, depth: int) -> Rule:
    if depth > MAX_DEPTH:
        raise ValidationError(f"{path}: rules nest deeper than {MAX_DEPTH} levels; flatten them")
    if not isinstance(data, Mapping) or "type" not in data:
        raise ValidationError(f"{path} must be an object with a 'type', one of {sorted(_PARSERS)}")
    kind = data["type"]
    if kind not in _PARSERS:
        raise ValidationError(f"{path}: unknown rule type {kind!r}; use one of {sorted(_PARSERS)}")
    required, optional, parse = _PARSERS[kind]
    return parse(_fields(data, f"{path} ({kind})", ("type", *required), optional), path, depth)


def rule_from_dict(data: Any, path: str = "rule") -> Rule:
    """Parse the JSON form of a rule; ValidationError naming the offending path otherwise."""
    return _rule(data, path, 0)


def group_to_dict(group: Group) -> dict[str, Any]:
    """The JSON form of a dynamic or virtual group (inverse of group_from_dict)."""
    if isinstance(group, VirtualGroup):
        return {"kind": "virtual", "group_id": group.group_id, "name": group.name, "owner": group.owner,
                "members": sorted(group.members)}
    return {"kind": "dynamic", "group_id": group.group_id, "name": group.name, "rule": rule_to_dict(group.rule)}


def group_from_dict(data: Any) -> Group:
    """Parse the JSON form of a group; ValidationError naming the offending field otherwise."""
    if not isinstance(data, Mapping) or data.get("kind") not in ("dynamic", "virtual"):
        raise ValidationError("a participant group must be an object with kind 'dynamic' or 'virtual'")
    group_id = data.get("group_id")
    if not isinstance(group_id, str) or not GROUP_ID.match(group_id):
        raise ValidationError(f"group_id must be 1–40 letters, digits, '_', '.' or '-', got {group_id!r}")
    path = f"group {group_id}"
    if data["kind"] == "virtual":
        d = _fields(data, path, ("kind", "group_id", "name", "owner", "members"))
        return VirtualGroup(group_id, _text(d["name"], f"{path}.name"), _texts(d["members"], f"{path}.members"),
                            _text(d["owner"], f"{path}.owner"))
    d = _fields(data, path, ("kind", "group_id", "name", "rule"))
    return DynamicGroup(group_id, _text(d["name"], f"{path}.name"), rule_from_dict(d["rule"], f"{path}.rule"))
