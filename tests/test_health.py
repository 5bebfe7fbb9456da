"""GET /healthz: 200 when the database answers, 503 when it doesn't (SPEC §3)."""
import pytest

UNREACHABLE = {
    # A file in a directory that doesn't exist can't be opened.
    "sqlite": "sqlite:////nonexistent-directory/tutoring.sqlite3",
    # Nothing listens on port 1; connect_timeout keeps a firewall from stalling the test.
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:1/tutoring?connect_timeout=2",
}


def test_healthz_answers_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_healthz_answers_503_when_the_database_is_unreachable(dialect, make_app):
    app = make_app(SQLALCHEMY_DATABASE_URI=UNREACHABLE[dialect])
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "error"}


@pytest.mark.app_config(RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="1 per minute")
def test_healthz_is_never_rate_limited(client):
    assert [client.get("/").status_code for _ in range(2)] == [200, 429]  # the limit is live
    assert [client.get("/healthz").status_code for _ in range(3)] == [200, 200, 200]
