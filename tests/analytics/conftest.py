"""Fixtures for detection tests."""
from __future__ import annotations

import pytest

from tests.analytics.worlds import World


@pytest.fixture
def world() -> World:
    return World()
