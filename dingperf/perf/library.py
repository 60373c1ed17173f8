"""The starter template library: JSON data files in dingperf/perf/library/, read (never imported) here.

Templates may refer to shared behavioural/values items in values.json as {"ref": "values.<code>"}.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from dingperf.perf.errors import ValidationError
from dingperf.perf.indicators import Behavioural, indicator_from_dict
from dingperf.perf.templates import Template

LIBRARY_DIR = Path(__file__).with_name("library")
VALUES_FILE = "values.json"


@dataclass(frozen=True, slots=True)
class LibraryEntry:
    """A template in the library: its id, name, industry and role, for pickers and the CLI."""

    id: str
    name: str
    industry: str
    role: str
    description: str


def _read(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValidationError(f"library file {path.name} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValidationError(f"library file {path.name} must hold one JSON object")
    return data


@lru_cache(maxsize=4)
def _values(directory: Path) -> dict[str, Mapping[str, object]]:
    data = _read(directory / VALUES_FILE)
    items = data.get("items", [])
    return {str(item["code"]): item for item in items}  # type: ignore[union-attr,index]


def values_items(directory: Path = LIBRARY_DIR) -> tuple[Behavioural, ...]:
    """The library's behavioural/values items (each with a labelled, anchored scale)."""
    return tuple(indicator_from_dict(item) for item in _values(directory).values())  # type: ignore[misc]


def resolver(directory: Path = LIBRARY_DIR) -> Callable[[str], Mapping[str, object]]:
    """A resolve(ref) function for Template.from_dict that looks refs up in the values library."""
    values = _values(directory)

    def resolve(ref: str) -> Mapping[str, object]:
        prefix, _, code = ref.partition(".")
        if prefix != "values" or code not in values:
            raise ValidationError(f"unknown library item {ref!r}; known: "
                                  f"{', '.join('values.' + c for c in sorted(values))}")
        return values[code]

    return resolve


def template_files(directory: Path = LIBRARY_DIR) -> tuple[Path, ...]:
    """Paths of every template data file (all *.json except the values library), sorted."""
    return tuple(sorted(p for p in directory.glob("*.json") if p.name != VALUES_FILE))


def entries(directory: Path = LIBRARY_DIR) -> tuple[LibraryEntry, ...]:
    """Summaries of every library template, sorted by industry then id."""
    found = []
    for path in template_files(directory):
        data = _read(path)
        found.append(LibraryEntry(str(data.get("id", path.stem)), str(data.get("name", "")),
                                  str(data.get("industry", "")), str(data.get("role", "")),
                                  str(data.get("description", ""))))
    return tuple(sorted(found, key=lambda e: (e.industry, e.id)))


def load_template(template_id: str, directory: Path = LIBRARY_DIR) -> Template:
    """Load and validate one library template by id."""
    path = directory / f"{template_id}.json"
    if not path.is_file():
        known = ", ".join(e.id for e in entries(directory))
        raise ValidationError(f"no library template {template_id!r}; available: {known}")
    data = _read(path)
    if data.get("id") != template_id:
        raise ValidationError(f"library file {path.name} declares id {data.get('id')!r}; it must match the file name")
    return Template.from_dict(data, resolve=resolver(directory))


def load_all(directory: Path = LIBRARY_DIR) -> tuple[Template, ...]:
    """Load and validate every library template."""
    return tuple(load_template(p.stem, directory) for p in template_files(directory))
