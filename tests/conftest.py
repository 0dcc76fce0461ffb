"""Test configuration. Fixture modules live in tests/fixtures/ and are loaded automatically, so
each area (services, fake servers) owns its own file."""

from pathlib import Path

import pytest

# Fixture modules import each other; rewrite their asserts before any is imported.
pytest.register_assert_rewrite("tests.fixtures", "tests.fakes")

pytest_plugins = sorted(
    f"tests.fixtures.{path.stem}"
    for path in (Path(__file__).parent / "fixtures").glob("*.py")
    if not path.stem.startswith("_")
)
