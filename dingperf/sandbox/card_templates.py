"""Published card templates the sandbox accepts: the JSON files in the top-level `cards/` folder
plus any registered through the control API (FRONTEND.md §4, DINGTALK.md §7.4 data typing).

A template declares its variables (`variableList`) and its buttons (`actions`); the sandbox
rejects cardParamMap keys a template does not declare, as DingTalk's `param.*` errors do.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dingperf.sandbox.wire import NewApiError

KEY_MAX_BYTES = 100
VALUE_MAX_BYTES = 1024


def default_cards_dir() -> Path:
    """The repository's `cards/` folder (next to the `dingperf` package)."""
    return Path(__file__).resolve().parents[2] / "cards"


@dataclass(frozen=True)
class CardTemplate:
    template_id: str
    name: str
    variables: dict[str, dict[str, Any]]  # name -> {type, private, description}
    actions: dict[str, dict[str, Any]]  # actionId -> {params: [...]}
    source: str  # "file:<path>" or "control"

    def to_json(self) -> dict[str, Any]:
        return {
            "templateId": self.template_id,
            "name": self.name,
            "variableList": [{"name": k, **v} for k, v in self.variables.items()],
            "actions": [{"actionId": k, **v} for k, v in self.actions.items()],
            "source": self.source,
        }

    def check_param_map(self, param_map: Any, where: str) -> dict[str, str]:
        """Validate one cardParamMap: a {str: str} map of declared keys within DingTalk's sizes."""
        if not isinstance(param_map, dict):
            raise NewApiError(
                400, "param.invalid", f"{where}.cardParamMap must be an object of string values"
            )
        for key, value in param_map.items():
            if len(key.encode()) > KEY_MAX_BYTES:
                raise NewApiError(
                    400,
                    "param.invalid",
                    f"{where}.cardParamMap key {key[:20]!r}… exceeds {KEY_MAX_BYTES} bytes",
                )
            if not isinstance(value, str):
                raise NewApiError(
                    400,
                    "param.invalid",
                    f"{where}.cardParamMap[{key!r}] is {type(value).__name__}; every value must be a string "
                    '(numbers as "1", booleans as "true", objects JSON-encoded)',
                )
            if len(value.encode()) > VALUE_MAX_BYTES:
                raise NewApiError(
                    400, "param.invalid", f"{where}.cardParamMap[{key!r}] exceeds {VALUE_MAX_BYTES} bytes"
                )
            if self.variables and key not in self.variables:
                raise NewApiError(
                    400,
                    "param.invalid",
                    f"{where}.cardParamMap key {key!r} is not a variable of template {self.name}",
                )
        return dict(param_map)


def template_from_json(doc: dict[str, Any], source: str) -> CardTemplate:
    """Build a template from the cards/ file format (templateId, name, variableList, actions)."""
    template_id = doc.get("templateId")
    if not isinstance(template_id, str) or not template_id:
        raise ValueError(f"{source}: a card template needs a non-empty 'templateId'")
    variables: dict[str, dict[str, Any]] = {}
    for var in doc.get("variableList", []):
        if not isinstance(var, dict) or not var.get("name"):
            raise ValueError(f"{source}: every variableList entry needs a 'name'")
        variables[var["name"]] = {k: v for k, v in var.items() if k != "name"}
    actions = {}
    for action in doc.get("actions", []):
        if not isinstance(action, dict) or not action.get("actionId"):
            raise ValueError(f"{source}: every actions entry needs an 'actionId'")
        actions[action["actionId"]] = {k: v for k, v in action.items() if k != "actionId"}
    return CardTemplate(template_id, str(doc.get("name") or template_id), variables, actions, source)


@dataclass
class TemplateRegistry:
    _templates: dict[str, CardTemplate] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def load_dir(self, folder: Path) -> list[CardTemplate]:
        """Publish every `*.json` template in `folder` (a missing folder publishes nothing)."""
        loaded = []
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            loaded.append(
                self.add(template_from_json(json.loads(path.read_text("utf-8")), f"file:{path.name}"))
            )
        return loaded

    def add(self, template: CardTemplate) -> CardTemplate:
        with self._lock:
            self._templates[template.template_id] = template
        return template

    def get(self, template_id: Any) -> CardTemplate:
        if not template_id:
            raise NewApiError(400, "param.cardTemplateIdEmpty", "cardTemplateId is required")
        with self._lock:
            template = self._templates.get(template_id)
        if template is None:
            raise NewApiError(
                400,
                "param.templateNotExist",
                f"card template {template_id!r} does not exist; publish it (cards/<name>.json or POST /_sandbox/card-templates)",
            )
        return template

    def all(self) -> list[CardTemplate]:
        with self._lock:
            return list(self._templates.values())
