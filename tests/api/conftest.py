"""Fixtures for the JSON API tests."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

import tutoring.api.views as api_views


@pytest.fixture
def freeze_api_now(monkeypatch):
    """``freeze_api_now("2026-03-01T00:00:00Z")``: the API's "now" (minimum notice, horizon, default dates)."""

    def freeze(instant: str) -> datetime:
        now = datetime.fromisoformat(instant.replace("Z", "+00:00")).astimezone(UTC)
        monkeypatch.setattr(api_views, "utcnow", lambda: now)
        return now

    return freeze


@pytest.fixture
def api_get(client):
    """``api_get(path, user_headers, **query)`` -> response (query values passed as given)."""

    def get(path: str, headers: dict[str, str] | None = None, **query):
        return client.get(f"/api/v1{path}", headers=headers or {}, query_string=query)

    return get

