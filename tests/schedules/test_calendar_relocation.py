"""SSRF through CalDAV relocation (issue 21, finding 2).

caldav moves its client to whatever host a server names as the calendar home
(``calendar-home-set``). A hostile CalDAV server here (a small ``http.server``
on 127.0.0.2, the one internal address the app is allowed to read:
``CALENDAR_ALLOW_PRIVATE="127.0.0.2"``) names a calendar home on 127.0.0.1,
where a bare listener records every connection. With the address check in
force nothing may reach that listener, and the volunteer sees the same
sentence as for a server that can't be reached (no port oracle).
"""
from __future__ import annotations

import socket
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tutoring.services.schedules import calendar_fetch
from tutoring.services.schedules import external_calendars as service
from tutoring.services.schedules.calendar_fetch import FetchError, Limits

START = datetime(2027, 1, 4, tzinfo=UTC)


@pytest.fixture
def private_listener():
    """A TCP listener on 127.0.0.1 that records every connection made to it; yields (port, connections)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    connections: list[bytes] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    connections.append(conn.recv(4096) or b"(connected)")
                except OSError:
                    connections.append(b"(connected)")
                conn.sendall(b"HTTP/1.1 207 Multi-Status\r\nContent-Length: 0\r\n\r\n")

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1], connections
    stop.set()
    thread.join(2)
    listener.close()


def _multistatus(href: str, home: str) -> bytes:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">
 <d:response><d:href>{href}</d:href><d:propstat><d:prop>
  <d:resourcetype><d:collection/><d:principal/></d:resourcetype>
  <d:current-user-principal><d:href>/principal/</d:href></d:current-user-principal>
  <c:calendar-home-set><d:href>{home}</d:href></c:calendar-home-set>
 </d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>
</d:multistatus>""".encode()


@pytest.fixture
def hostile_caldav(private_listener):
    """A CalDAV server on 127.0.0.2 whose calendar home is on the private listener; yields its address."""
    port, _connections = private_listener
    home = f"http://127.0.0.1:{port}/home/"

    class Handler(BaseHTTPRequestHandler):
        def do_PROPFIND(self):  # noqa: N802 - the HTTP method's name
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = _multistatus(self.path, home)
            self.send_response(207)
            self.send_header("Content-Type", "application/xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_REPORT = do_PROPFIND  # noqa: N815

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.2", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.2:{server.server_port}/dav/"
    server.shutdown()
    thread.join(2)


def test_a_calendar_home_on_a_refused_address_is_never_contacted(hostile_caldav, private_listener):
    _port, connections = private_listener
    limits = Limits(timeout_seconds=5, private_networks=("127.0.0.2/32",))
    with pytest.raises(FetchError) as refused:
        calendar_fetch.fetch_caldav(hostile_caldav, "alice", "secret", START, START + timedelta(days=7), limits)
    assert refused.value.code == calendar_fetch.BLOCKED_ADDRESS
    assert connections == []


def test_the_hostile_server_does_send_the_client_there_when_every_address_is_allowed(hostile_caldav, private_listener):
    """The control: the same server does move the client to the private listener if the check is off."""
    _port, connections = private_listener
    try:
        calendar_fetch.fetch_caldav(hostile_caldav, "alice", "secret", START, START + timedelta(days=7),
                                    Limits(timeout_seconds=5, allow_private=True))
    except FetchError:
        pass
    assert connections and connections[0].startswith(b"PROPFIND")


@pytest.mark.app_config(CALENDAR_ALLOW_PRIVATE="127.0.0.2")
def test_connecting_the_hostile_calendar_reaches_nothing_private_and_says_what_an_unreachable_one_says(
    app, make_user, hostile_caldav, private_listener
):
    _port, connections = private_listener
    volunteer = make_user("volunteer")
    with app.test_request_context():
        with pytest.raises(service.CalendarError) as relocated:
            service.connect_calendar(volunteer.id, "caldav", hostile_caldav, "alice", "secret", now=START)
        closed_port = socket.create_server(("127.0.0.2", 0))
        address = f"http://127.0.0.2:{closed_port.getsockname()[1]}/dav/"
        closed_port.close()
        with pytest.raises(service.CalendarError) as unreachable:
            service.connect_calendar(volunteer.id, "caldav", address, "alice", "secret", now=START)
        with pytest.raises(service.CalendarError) as private:
            service.connect_calendar(volunteer.id, "ics", f"http://127.0.0.1:{_port}/x.ics", now=START)
    assert connections == []
    assert relocated.value.message == unreachable.value.message == private.value.message


@pytest.mark.parametrize("value", ["127.0.0.2", "127.0.0.2, 10.0.0.0/8", ["127.0.0.2"]])
def test_the_private_address_setting_may_name_the_addresses_allowed(make_app, value):
    with make_app(CALENDAR_ALLOW_PRIVATE=value).app_context():
        limits = service.limits()
    assert limits.allow_private is False
    assert limits.permits("127.0.0.2") and not limits.permits("127.0.0.1") and limits.permits("8.8.8.8")


@pytest.mark.parametrize("address", ["::7f00:1", "64:ff9b::7f00:1", "2002:7f00:1::", "fec0::1", "::ffff:127.0.0.1",
                                     "64:ff9b::a00:1", "2002:a9fe:a9fe::", "::ffff:169.254.169.254"])
def test_ipv6_addresses_that_lead_to_internal_hosts_are_not_public(address):
    assert not calendar_fetch.is_public_address(address)


@pytest.mark.parametrize("address", ["2606:4700:4700::1111", "64:ff9b::808:808", "8.8.8.8"])
def test_public_addresses_stay_public(address):
    assert calendar_fetch.is_public_address(address)
