"""Where a room message's CPU goes: cProfile around the API post and the streams it wakes (issue 20).

    .venv/bin/python -m bench.room_profile [--rooms 20] [--messages 200] [--top 25] [--ratelimit]

One process, no gunicorn: a throwaway PostgreSQL database (``PG_ADMIN_URL``)
seeded as bench/room.py seeds it, the app with Redis carrying notices
(``REDIS_URL``), and per room its two parties' streams opened through the
Flask test client and driven from this thread. Each step posts one message
through ``POST /api/v1/bookings/<id>/messages`` then reads the event from both
streams of the room. Prints CPU ms per message for the post and for the two
stream wakes, and the top functions of each by cumulative time. Not part of
the test suite.
"""
from __future__ import annotations

import argparse
import contextvars
import cProfile
import io
import json
import pstats
import secrets
import tempfile
import time
from pathlib import Path

from bench.load import database
from bench.room import REDIS_URL, seed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rooms", type=int, default=20)
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sql", action="store_true", help="print the SQL of the last post and its stream wakes")
    parser.add_argument("--ratelimit", action="store_true", help="rate limits on, counted in Redis")
    args = parser.parse_args(argv)
    secret = secrets.token_urlsafe(32)
    with tempfile.TemporaryDirectory() as folder, database() as url:
        rooms = seed(url, args.rooms, Path(folder), secret)
        from tutoring import create_app

        prefix = f"bench-{secrets.token_hex(4)}-"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secret, "INSTANCE_PATH": folder,
                          "RATELIMIT_ENABLED": args.ratelimit, "REDIS_URL": REDIS_URL,
                          "RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_KEY_PREFIX": prefix,
                          "ROOM_MESSAGE_LIMIT": "100000 per minute", "TESTING": False})
        client = app.test_client(use_cookies=False)
        streams = {}
        for index, room in enumerate(rooms):
            for party in (0, 1):
                # Each stream keeps its request context pushed between events: one contextvars context each.
                context = contextvars.Context()
                headers = {"Cookie": f"session={room['parties'][party]['cookie']}"}
                response = context.run(client.get, f"/sessions/{room['booking']}/room/stream", headers=headers,
                                       buffered=False)
                assert response.status_code == 200, response.status_code
                chunks = iter(response.response)
                context.run(next, chunks)  # retry:
                streams[(index, party)] = (context, chunks)
        # CPU time, not wall time: waiting on PostgreSQL or Redis is not this process's cost.
        post_profile, wake_profile = cProfile.Profile(time.process_time), cProfile.Profile(time.process_time)
        post_cpu = wake_cpu = 0.0
        body = json.dumps({"text": "Question from party 0: what is 12 × 12 = 144?"})
        statements: list[str] = []
        if args.sql:
            from sqlalchemy import event

            from tutoring.extensions import db

            with app.app_context():
                event.listen(db.engine, "before_cursor_execute",
                             lambda _c, _cur, statement, *_rest: statements.append(" ".join(statement.split())[:160]))
        for number in range(2 * args.messages):
            statements.clear()
            profile = number >= args.messages  # the first half unprofiled (true CPU), the second profiled
            if number == args.messages:
                print(f"{args.messages} messages over {len(rooms)} rooms, no profiler; CPU per message: post "
                      f"{post_cpu / args.messages * 1000:.2f} ms, two stream wakes "
                      f"{wake_cpu / args.messages * 1000:.2f} ms")
                post_cpu = wake_cpu = 0.0
            index, party = number % len(rooms), (number // len(rooms)) % 2
            room = rooms[index]
            headers = {"Authorization": f"Bearer {room['parties'][party]['token']}", "Content-Type": "application/json"}
            started = time.process_time()
            if profile:
                post_profile.enable()
            answer = contextvars.Context().run(client.post, f"/api/v1/bookings/{room['booking']}/messages", data=body, headers=headers)
            if profile:
                post_profile.disable()
            post_cpu += time.process_time() - started
            assert answer.status_code == 201, answer.get_data(as_text=True)
            message_id = answer.get_json()["id"]
            started = time.process_time()
            if profile:
                wake_profile.enable()
            for other in (0, 1):
                context, chunks = streams[(index, other)]
                chunk = context.run(next, chunks)
                assert f"id: {message_id}\n" in (chunk.decode() if isinstance(chunk, bytes) else chunk), chunk
            if profile:
                wake_profile.disable()
            wake_cpu += time.process_time() - started
        for statement in statements:
            print("SQL:", statement)
        print(f"with cProfile (inflated): post {post_cpu / args.messages * 1000:.2f} ms, two stream wakes "
              f"{wake_cpu / args.messages * 1000:.2f} ms")
        for name, profiled in (("POST", post_profile), ("STREAM WAKES", wake_profile)):
            for order in ("cumulative", "tottime"):
                out = io.StringIO()
                pstats.Stats(profiled, stream=out).sort_stats(order).print_stats(args.top)
                print(f"\n===== {name} by {order} =====\n" + out.getvalue())
        for context, chunks in streams.values():
            context.run(chunks.close)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
