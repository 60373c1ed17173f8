"""Fixtures shared by several integration test modules."""

from tests.integration.collect_kit import collect_cycle  # noqa: F401  (a fixture, registered by import)
