"""Redacting an explanation tree (the perf.explanation.to_dict form) to what a viewer's facets allow.

The scoring builder already never names anonymous raters; this takes away the rest a non-HR viewer must not
see: per-rater inputs of open groups without RATER_SCORES, and any number about an anonymous group below its
quorum (its count in notes included). HR (ANONYMOUS_RATERS) gets the tree unchanged.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from dingperf.perf.visibility import Facet

HIDDEN_GROUP_NOTE = "fewer raters than the quorum; treated as missing and not shown (anonymous)"


def redact_breakdown(tree: Mapping[str, Any], facets: Collection[Facet], *,
                     anonymous_groups: Collection[str]) -> dict[str, Any]:
    """A copy of the explanation dict holding only what the facets allow (needs BREAKDOWN)."""
    if Facet.BREAKDOWN not in facets:
        raise ValueError("redact_breakdown needs the breakdown facet; leave the breakdown out instead")
    out = dict(tree)
    if Facet.ANONYMOUS_RATERS in facets:
        return out
    out["root"] = _step(tree["root"], facets, frozenset(anonymous_groups))
    return out


def _step(step: Mapping[str, Any], facets: Collection[Facet], anonymous: frozenset[str]) -> dict[str, Any]:
    out = dict(step)
    key = str(step.get("key", ""))
    if key.startswith("rater:"):
        out.update(_rater_group(step, facets, key.rsplit(":", 1)[-1] in anonymous))
    elif key.startswith("section:"):
        out["notes"] = [_section_note(n, anonymous) for n in step.get("notes", ())]
    out["children"] = [_step(c, facets, anonymous) for c in step.get("children", ())]
    return out


def _rater_group(step: Mapping[str, Any], facets: Collection[Facet], anonymous: bool) -> dict[str, Any]:
    if anonymous and step.get("value") is None:
        # Below quorum (or nobody rated): no mean, no count, no contribution — nothing to infer a score from.
        return {"value": None, "formula": "", "inputs": [], "sources": [], "contribution": None,
                "notes": [HIDDEN_GROUP_NOTE]}
    if anonymous:
        # The builder writes only the count here; keep nothing else should a rater id ever slip in.
        return {"inputs": [p for p in step.get("inputs", ()) if p[0] == "raters"], "sources": []}
    if Facet.RATER_SCORES not in facets:
        return {"inputs": [], "sources": []}
    return {}


def _section_note(note: str, anonymous: frozenset[str]) -> str:
    # perf.raters writes "<group>: <n> of <quorum> required raters; ..." for a group below its quorum.
    group, sep, _ = note.partition(": ")
    if sep and group in anonymous and "required raters" in note:
        return f"{group}: {HIDDEN_GROUP_NOTE}"
    return note

