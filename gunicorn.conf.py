"""Gunicorn settings for production: ``gunicorn -c gunicorn.conf.py wsgi:app`` (docs/DEPLOYMENT.md).

Every value can be changed from the environment without editing this file:

=====================  ==========================  =====================================
variable               default                     meaning
=====================  ==========================  =====================================
GUNICORN_BIND          127.0.0.1:8000              where to listen (``0.0.0.0:8000`` behind a load balancer)
WEB_CONCURRENCY        2 x CPUs (at least 2)       worker processes
GUNICORN_WORKER_CLASS  gthread                     ``gthread`` or ``gevent`` (see below; docs/DEPLOYMENT.md)
GUNICORN_THREADS       64                          threads per worker (gthread only): open room streams + requests
GUNICORN_CONNECTIONS   threads (gthread), 1000     open connections per worker (see below)
GUNICORN_TIMEOUT       30                          seconds before a stuck worker is restarted
GUNICORN_KEEPALIVE     0 (gthread), 5              seconds an idle client connection stays open
GUNICORN_MAX_REQUESTS  10000                       requests before a worker is replaced (with jitter)
GUNICORN_ACCESSLOG     (off)                       ``-`` for standard output; feed addresses are redacted
=====================  ==========================  =====================================

Why these: the app is mostly waiting on PostgreSQL and rendering
templates, so a few processes with a few threads each keep both CPUs busy
while one thread waits for the database. Each worker opens at most
``TUTORING_DB_POOL_SIZE + TUTORING_DB_MAX_OVERFLOW`` connections (config.py),
so workers x that must stay under PostgreSQL's ``max_connections``.
The app is not preloaded: each worker builds its own app and its own
connection pool after the fork, so no database connection is ever shared
between processes.
"""
from __future__ import annotations

import multiprocessing
import os
import re

from gunicorn.glogging import Logger

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY") or max(2, 2 * multiprocessing.cpu_count()))
# A session room's live stream holds its connection (and, with gthread, a
# thread) while the page is open, so each worker has many threads; a waiting
# stream holds no database connection. Measured with bench/room.py on this
# 2-CPU machine (docs/PERFORMANCE.md), gthread with 64 threads delivered every
# message where gevent lost some, so gthread stays the default; gevent is
# installed and can be chosen with GUNICORN_WORKER_CLASS=gevent (PostgreSQL
# only: SQLite's busy wait sleeps in C and blocks every greenlet).
worker_class = os.environ.get("GUNICORN_WORKER_CLASS") or "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "64"))
# gthread: a worker takes no more connections than it has threads. A stream holds its thread for minutes, so a
# worker that accepted more (gunicorn's default is 1000) would leave the extra requests, posts included, queued
# behind its streams while the other worker idles (bench/room.py saw streams that never opened). At its limit a
# worker stops accepting and the other takes the connection. Kept-alive idle connections would count against the
# threads, so gthread keeps none by default (a proxy in front opens a connection per request, cheap on a LAN).
_gthread = worker_class == "gthread"
worker_connections = int(os.environ.get("GUNICORN_CONNECTIONS") or (threads if _gthread else 1000))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = timeout
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE") or (0 if _gthread and worker_connections <= threads else 5))
# Replace workers now and then so a slow leak can't grow without bound; the
# jitter keeps them from all restarting at once.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "10000"))
max_requests_jitter = max_requests // 10
preload_app = False
# Client addresses and the scheme come from the app's ProxyFix
# (TUTORING_TRUSTED_PROXIES), not from gunicorn: one place decides whom to trust.
forwarded_allow_ips = ""
# Request-line and header limits (the app caps bodies with MAX_CONTENT_LENGTH).
limit_request_line = 8190
limit_request_fields = 100
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'

# Secret calendar addresses (/calendar/<token>.ics) and reset links must not end up in logs.
_SECRET_PATHS = re.compile(r"(/calendar/|/auth/reset/)[^/\s?.]+")


class RedactingLogger(Logger):
    """Gunicorn's logger, with secret path parts of access-log lines replaced by ``[redacted]``."""

    def atoms(self, resp, req, environ, request_time):  # noqa: D102 - gunicorn's hook
        values = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U"):
            if isinstance(values.get(key), str):
                values[key] = _SECRET_PATHS.sub(r"\1[redacted]", values[key])
        # The query string can carry tokens too (and search words); leave it out.
        values["q"] = ""
        if isinstance(values.get("r"), str):
            values["r"] = re.sub(r"\?\S*", "?…", values["r"])
        return values


logger_class = RedactingLogger
