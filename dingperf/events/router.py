"""Event-type → handler registry; handlers are `on_<event_type>` functions in the `callbacks/` modules."""

from __future__ import annotations

import importlib
import logging
import pkgutil
from collections.abc import Callable
from enum import Enum
from types import ModuleType
from typing import Any

from dingperf.events.event import Event

log = logging.getLogger(__name__)

Handler = Callable[[Event, Any], None]
"""`handler(event, context)`: context is whatever the worker's composition root passes (client, session…)."""

PREFIX = "on_"


class Outcome(str, Enum):
    HANDLED = "handled"
    IGNORED = "ignored"  # no handler for this event type: stored, marked done, never an error


class DuplicateHandler(ValueError):
    """Two handlers claim the same event type; each type has exactly one."""


class Router:
    """Dispatches events by `event_type`; unknown types are ignored, not errors."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def register(self, event_type: str, handler: Handler) -> None:
        """Route `event_type` to `handler`; registering a type twice is a mistake and raises."""
        existing = self._handlers.get(event_type)
        if existing is not None and existing is not handler:
            raise DuplicateHandler(f"{event_type} already handled by {existing.__module__}.{existing.__qualname__}")
        self._handlers[event_type] = handler

    def on(self, event_type: str) -> Callable[[Handler], Handler]:
        """Decorator form of `register`."""
        def wrap(handler: Handler) -> Handler:
            self.register(event_type, handler)
            return handler
        return wrap

    def register_module(self, module: ModuleType) -> list[str]:
        """Register every top-level `on_<event_type>` function of a module; returns the types."""
        types = []
        for name, value in vars(module).items():
            if name.startswith(PREFIX) and callable(value) and getattr(value, "__module__", None) == module.__name__:
                self.register(name[len(PREFIX):], value)
                types.append(name[len(PREFIX):])
        return types

    def register_package(self, package: str) -> list[str]:
        """Import every module of a package (e.g. "callbacks") and register its handlers."""
        pkg = importlib.import_module(package)
        types = self.register_module(pkg)
        for info in pkgutil.iter_modules(pkg.__path__, pkg.__name__ + "."):
            types += self.register_module(importlib.import_module(info.name))
        return types

    def is_routed(self, event_type: str) -> bool:
        return event_type in self._handlers

    @property
    def event_types(self) -> list[str]:
        return sorted(self._handlers)

    def dispatch(self, event: Event, context: Any = None) -> Outcome:
        """Run the handler for the event; exceptions propagate so the worker can retry."""
        handler = self._handlers.get(event.event_type)
        if handler is None:
            log.info("inbox: no handler for %s (event %s); stored and ignored", event.event_type, event.event_id)
            return Outcome.IGNORED
        handler(event, context)
        return Outcome.HANDLED
