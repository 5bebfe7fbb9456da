"""Assertions shared by the API tests."""
from __future__ import annotations


def assert_error(response, status: int, code: str, field: str | None = None) -> dict:
    """Check the SPEC §4 error shape and return the inner error object."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    body = response.get_json()
    assert set(body) == {"error"}
    error = body["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    if field is not None:
        assert error["field"] == field
    return error
