"""With RATELIMIT_STORAGE_URI=redis://..., processes share one count (SPEC §3; FIELD-NOTES: memory multiplies limits).

Needs the Redis server on 127.0.0.1:6379 (``.ci/run`` starts it). These
tests fail, never skip, when it doesn't answer.
"""
from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import redis

from tutoring.extensions import limiter

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
ROOT = Path(__file__).resolve().parent.parent

# Another process: its own app, its own limiter, the same storage settings.
OTHER_PROCESS = textwrap.dedent(
    """
    import json, sys
    from tutoring import create_app
    config = json.loads(sys.argv[1])
    client = create_app(config).test_client()
    statuses = [client.post("/auth/login", data={"email": "x@example.org", "password": "wrong"}).status_code
                for _ in range(int(sys.argv[2]))]
    print(json.dumps(statuses))
    """
)


@pytest.fixture
def redis_client():
    """The Redis server the tests use; an error (not a skip) when it is not running."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        raise RuntimeError(f"Redis is not answering at {REDIS_URL}: start redis-server (.ci/run does)") from error
    yield client
    client.close()


@pytest.fixture
def key_prefix(redis_client):
    """A prefix of our own, so runs don't share counters; its keys are deleted afterwards."""
    prefix = f"test-{secrets.token_hex(6)}"
    yield prefix
    for key in redis_client.scan_iter(match=f"*{prefix}*"):
        redis_client.delete(key)


@pytest.fixture(autouse=True)
def _no_default_limits_from_earlier_tests():
    # The limiter is one object for every app of the run and keeps the first
    # RATELIMIT_DEFAULT it saw (another test sets one); these tests want none.
    limiter.limit_manager.set_default_limits([])


def limit_config(database_url: str, instance: Path, storage: str, prefix: str) -> dict:
    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key",
        "INSTANCE_PATH": str(instance),
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": storage,
        "RATELIMIT_KEY_PREFIX": prefix,
        # Fail rather than quietly count in memory when Redis is unreachable.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": False,
    }


def failed_logins_in_another_process(config: dict, count: int) -> list[int]:
    result = subprocess.run(
        [sys.executable, "-c", OTHER_PROCESS, json.dumps(config), str(count)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def failed_login(client):
    return client.post("/auth/login", data={"email": "x@example.org", "password": "wrong"})


def test_two_processes_share_the_sign_in_limit_through_redis(make_app, database_url, tmp_path, redis_client, key_prefix):
    config = limit_config(database_url, tmp_path / "instance", REDIS_URL, key_prefix)
    # Six failures in another process, then four here: ten in all, the limit (10 per minute per address).
    assert failed_logins_in_another_process(config, 6) == [200] * 6
    client = make_app(**config).test_client()
    assert [failed_login(client).status_code for _ in range(4)] == [200] * 4
    response = failed_login(client)
    assert response.status_code == 429
    assert any(key_prefix in key.decode() for key in redis_client.scan_iter(match=f"*{key_prefix}*"))


def test_with_memory_storage_each_process_counts_alone(make_app, database_url, tmp_path, key_prefix):
    """The contrast that makes the test above mean something: memory:// lets each process allow ten."""
    config = limit_config(database_url, tmp_path / "instance", "memory://", key_prefix)
    assert failed_logins_in_another_process(config, 6) == [200] * 6
    client = make_app(**config).test_client()
    assert [failed_login(client).status_code for _ in range(5)] == [200] * 5


def test_redis_storage_comes_from_the_environment(tmp_path):
    from tutoring.config import settings_from_env

    settings = settings_from_env({"RATELIMIT_STORAGE_URI": REDIS_URL}, str(tmp_path))
    assert settings["RATELIMIT_STORAGE_URI"] == REDIS_URL
    assert settings_from_env({}, str(tmp_path))["RATELIMIT_STORAGE_URI"] == "memory://"


def test_the_per_address_pause_keeps_to_its_own_key_prefix(make_app, database_url, tmp_path, redis_client, key_prefix):
    """Two deployments (or test runs) sharing one Redis don't pause each other's addresses."""
    config = {**limit_config(database_url, tmp_path / "instance", REDIS_URL, key_prefix),
              "AUTH_LOGIN_LIMIT": "1000 per minute"}  # only the per-address count matters here
    paused = make_app(**config).test_client()
    assert [failed_login(paused).status_code for _ in range(10)] == [200] * 10
    assert failed_login(paused).status_code == 429
    assert any(key_prefix in key.decode() for key in redis_client.scan_iter(match=f"*{key_prefix}*sign-in-address*"))
    other = make_app(**{**config, "RATELIMIT_KEY_PREFIX": f"{key_prefix}-other"}).test_client()
    assert failed_login(other).status_code == 200
    for key in redis_client.scan_iter(match=f"*{key_prefix}-other*"):
        redis_client.delete(key)
