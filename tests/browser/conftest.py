"""Browser tests: the real app on the session's small data set, in headless Chromium."""

from __future__ import annotations

import pytest

from battlemap.settings import Settings


@pytest.fixture
def battlemap_app(embedded_store, small_data_dir):
    """A fresh app on the shared embedded store (no background warm-up)."""
    from battlemap.app import create_app

    return create_app(Settings(data_dir=small_data_dir), store=embedded_store, warm=False)
