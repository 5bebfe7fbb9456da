"""Fetching a volunteer's own calendar over the network: an ICS address or a CalDAV calendar.

No database and no Flask here: an address and sign-in details in, iCalendar
texts out, or a :class:`FetchError` whose ``code`` says what went wrong in
words a settings page can translate (``tutoring.services.schedules.external_calendars``).

The server fetches addresses that users type, so it must not become a way to
reach what only it can reach (SSRF, docs/EXTERNAL_CALENDARS.md):

* only ``http``/``https`` (``webcal://`` is read as ``https://``);
* every address a host name resolves to must be a public one, unless
  ``allow_private`` (tests, or a deployment that wants an intranet server);
* for ICS the host is resolved once, every address checked, and exactly
  those addresses connected to, so nothing reaches a refused address and a
  name that resolves differently a moment later (DNS rebinding) gains
  nothing; each redirect is checked the same way (at most five; sign-in
  details are not sent to another host);
* CalDAV goes through the ``caldav`` library; its HTTP client (niquests) gets
  a session that checks the host of every request it sends (the first one,
  and wherever caldav moves to: a ``calendar-home-set`` on another host makes
  caldav relocate the client there) and sends each one through a per-host
  session whose DNS resolver is an in-memory table of exactly the addresses
  checked, so it too connects only there; redirects are refused, and
  environment proxies and ``.netrc`` are ignored;
* answers are read up to a size limit, with a timeout.
"""
from __future__ import annotations

import base64
import http.client
import ipaddress
import socket
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

MAX_ADDRESS_LENGTH = 2000
MAX_REDIRECTS = 5
USER_AGENT = "tutoring-calendar-reader/1"

# FetchError codes (the settings page has a sentence for each).
BAD_ADDRESS = "bad_address"          # not an http(s) address
BLOCKED_ADDRESS = "blocked_address"  # resolves to a private, loopback or otherwise internal address
UNREACHABLE = "unreachable"          # DNS, connection, TLS or timeout
REFUSED = "refused"                  # 401/403: sign-in details wrong or missing
NOT_FOUND = "not_found"              # 404/410
SERVER_ERROR = "server_error"        # any other unhappy answer
TOO_LARGE = "too_large"              # more than the size limit
NOT_A_CALENDAR = "not_a_calendar"    # the answer isn't iCalendar (or has absurdly many events)


class FetchError(Exception):
    """Reading the calendar failed; ``code`` is one of the constants above. Never carries the address or secrets."""

    def __init__(self, code: str, detail: str = "") -> None:
        self.code = code
        self.detail = detail
        super().__init__(f"{code}: {detail}" if detail else code)


@dataclass(frozen=True)
class Source:
    """Where a calendar is and how to sign in (all of it is stored only encrypted)."""

    kind: str  # "ics" or "caldav"
    url: str
    username: str = ""
    password: str = ""

    def __repr__(self) -> str:  # never show secrets in logs or tracebacks
        return f"Source(kind={self.kind!r}, host={host_of(self.url)!r})"


@dataclass(frozen=True)
class Limits:
    """How patient and how generous a read is, and whether internal addresses may be read."""

    timeout_seconds: float = 15.0
    max_bytes: int = 5 * 1024 * 1024
    allow_private: bool = False
    # Internal addresses allowed one by one (an intranet calendar server),
    # as networks: ``("10.0.0.5/32",)``. Everything else internal stays refused.
    private_networks: tuple[str, ...] = ()

    def permits(self, address: str) -> bool:
        """Whether the fetcher may connect to ``address`` (an IP address as text)."""
        if self.allow_private or is_public_address(address):
            return True
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return False
        return any(ip in ipaddress.ip_network(network, strict=False) for network in self.private_networks)


def normalize_address(raw: str) -> tuple[str, str, str]:
    """``(url, username, password)`` from what a person typed: ``webcal://`` read as ``https://``,
    sign-in details written into the address moved out of it. Raises ``FetchError(BAD_ADDRESS)``."""
    url = (raw or "").strip()
    if not url or len(url) > MAX_ADDRESS_LENGTH or any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise FetchError(BAD_ADDRESS)
    if url.lower().startswith("webcal://"):
        url = "https://" + url[len("webcal://"):]
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError for a bad port
    except ValueError as error:
        raise FetchError(BAD_ADDRESS) from error
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise FetchError(BAD_ADDRESS)
    username = parts.username or ""
    password = parts.password or ""
    host = parts.hostname
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    clean = urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", parts.query, ""))
    return clean, username, password


def host_of(url: str) -> str:
    """The host name of ``url`` (what a page may show), or an empty string."""
    try:
        return (urlsplit(url).hostname or "")[:255]
    except ValueError:
        return ""


def is_public_address(address: str) -> bool:
    """Whether ``address`` (an IP address as text) is on the public internet."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return is_public_address(str(embedded))
        if ip in _SITE_LOCAL:  # deprecated (RFC 3879), still routed inside some networks
            return False
    return ip.is_global and not ip.is_multicast


_SITE_LOCAL = ipaddress.ip_network("fec0::/10")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated ::a.b.c.d (RFC 4291)
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))  # RFC 6052, RFC 8215


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address leads to (mapped, compatible, NAT64, 6to4, Teredo), or None.

    Such an address reaches the IPv4 host it embeds (through the kernel, a
    NAT64 gateway or a relay), so it is judged as that host.
    """
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _IPV4_COMPATIBLE and int(ip) > 1:  # not :: and ::1 (judged as themselves)
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if any(ip in network for network in _NAT64):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def checked_addresses(host: str, port: int, limits: Limits) -> list[str]:
    """The addresses ``host`` resolves to, all of them public (unless ``allow_private``); else a FetchError."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise FetchError(UNREACHABLE, "name not resolved") from error
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses or not all(limits.permits(a) for a in addresses):
        raise FetchError(BLOCKED_ADDRESS)
    return addresses


def fetch_texts(source: Source, start_at: datetime, end_at: datetime, limits: Limits) -> list[bytes]:
    """The iCalendar texts of ``source`` (one feed, or one per CalDAV object) for events near [start_at, end_at)."""
    url, username, password = normalize_address(source.url)
    username = source.username or username
    password = source.password or password
    if source.kind == "ics":
        return [fetch_ics(url, username, password, limits)]
    if source.kind == "caldav":
        return fetch_caldav(url, username, password, start_at, end_at, limits)
    raise FetchError(BAD_ADDRESS, "unknown kind")


# --- ICS over guarded urllib -------------------------------------------------------------------


def _guarded_create_connection(limits: Limits) -> Callable[..., socket.socket]:
    """``socket.create_connection`` that resolves the host once, refuses it if any address isn't public, and
    connects to exactly the addresses it checked: nothing is sent to a refused address, not even a SYN, and a
    name that resolves differently a moment later (DNS rebinding) gains nothing."""

    def create_connection(address, timeout=socket._GLOBAL_DEFAULT_TIMEOUT, source_address=None, **_ignored):
        host, port = address[0], address[1]
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as error:
            raise FetchError(UNREACHABLE, "name not resolved") from error
        if not infos or not all(limits.permits(info[4][0]) for info in infos):
            raise FetchError(BLOCKED_ADDRESS)
        last_error: OSError | None = None
        for family, kind, proto, _, sockaddr in infos:
            sock = socket.socket(family, kind, proto)
            try:
                if timeout is not socket._GLOBAL_DEFAULT_TIMEOUT:
                    sock.settimeout(timeout)
                if source_address:
                    sock.bind(source_address)
                sock.connect(sockaddr)
                return sock
            except OSError as error:
                last_error = error
                sock.close()
        raise last_error or OSError("no address to connect to")

    return create_connection


def _opener(limits: Limits) -> urllib.request.OpenerDirector:
    connect = _guarded_create_connection(limits)

    class GuardedHTTPConnection(http.client.HTTPConnection):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._create_connection = connect

    class GuardedHTTPSConnection(http.client.HTTPSConnection):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._create_connection = connect

    class HTTPHandler(urllib.request.HTTPHandler):
        def http_open(self, req):
            return self.do_open(GuardedHTTPConnection, req)

    class HTTPSHandler(urllib.request.HTTPSHandler):
        def https_open(self, req):
            return self.do_open(GuardedHTTPSConnection, req, context=self._context)

    class RedirectHandler(urllib.request.HTTPRedirectHandler):
        max_redirections = MAX_REDIRECTS

        def redirect_request(self, req, fp, code, msg, headers, newurl):
            try:
                normalize_address(newurl)
            except FetchError:
                raise FetchError(BLOCKED_ADDRESS, "redirect to a non-http address") from None
            new = super().redirect_request(req, fp, code, msg, headers, newurl)
            if new is not None and host_of(newurl) != host_of(req.full_url):
                new.remove_header("Authorization")  # sign-in details stay with the host they are for
            return new

    # No ProxyHandler: environment proxies are not ours to use for users' addresses.
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}), HTTPHandler(), HTTPSHandler(), RedirectHandler()
    )


def fetch_ics(url: str, username: str, password: str, limits: Limits) -> bytes:
    """The body of an ICS address, at most ``limits.max_bytes``."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "text/calendar, */*;q=0.5"})
    if username or password:
        token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
        request.add_unredirected_header("Authorization", f"Basic {token}")
    try:
        with _opener(limits).open(request, timeout=limits.timeout_seconds) as response:
            body = response.read(limits.max_bytes + 1)
    except FetchError:
        raise
    except urllib.error.HTTPError as error:
        error.close()
        raise FetchError(_status_code(error.code), f"HTTP {error.code}") from None
    except urllib.error.URLError as error:
        if isinstance(error.reason, FetchError):
            raise error.reason from None
        raise FetchError(UNREACHABLE, type(error.reason).__name__) from None
    except (OSError, http.client.HTTPException, ValueError) as error:
        raise FetchError(UNREACHABLE, type(error).__name__) from None
    if len(body) > limits.max_bytes:
        raise FetchError(TOO_LARGE)
    if b"BEGIN:VCALENDAR" not in body[:4096].upper():
        raise FetchError(NOT_A_CALENDAR)
    return body


def _status_code(status: int) -> str:
    if status in (401, 403):
        return REFUSED
    if status in (404, 410):
        return NOT_FOUND
    return SERVER_ERROR


# --- CalDAV through the caldav library ----------------------------------------------------------


def fetch_caldav(
    url: str, username: str, password: str, start_at: datetime, end_at: datetime, limits: Limits
) -> list[bytes]:
    """The events of a CalDAV calendar overlapping [start_at, end_at), unexpanded (busy.py expands them).

    ``url`` is the calendar's own address; if it names an account (a
    principal or calendar home) instead, every calendar of that account is read.
    """
    import caldav
    from caldav.elements import dav
    from caldav.lib import error as dav_error

    parts = urlsplit(url)
    host = parts.hostname or ""
    addresses = checked_addresses(host, parts.port or (443 if parts.scheme == "https" else 80), limits)
    try:
        client = caldav.DAVClient(
            url=url,
            username=username or None,
            password=password or None,
            timeout=limits.timeout_seconds,
            enable_rfc6764=False,  # no DNS discovery: read exactly the address given
        )
        client.session.close()
        client.session = session = _guarded_session(host, addresses, limits)
        with client:
            target = client.calendar(url=url)
            kinds = target.get_properties([dav.ResourceType()]).get("{DAV:}resourcetype") or []
            if _CALDAV_CALENDAR in ([kinds] if isinstance(kinds, str) else kinds):
                calendars = [target]
            else:  # the account's address (principal or calendar home): read all its calendars
                calendars = client.principal().calendars()
            objects = [obj for calendar in calendars for obj in _search(calendar, start_at, end_at)]
            texts, size = [], 0
            for obj in objects:
                data = obj.data
                text = data.encode("utf-8") if isinstance(data, str) else bytes(data)
                size += len(text)
                if size > limits.max_bytes:
                    raise FetchError(TOO_LARGE)
                texts.append(text)
            if session.refused:
                raise FetchError(BLOCKED_ADDRESS, "relocated to a refused address")
            return texts
    except FetchError:
        raise
    except dav_error.AuthorizationError as error:
        raise FetchError(REFUSED, type(error).__name__) from None
    except dav_error.NotFoundError as error:
        raise FetchError(NOT_FOUND, type(error).__name__) from None
    except dav_error.DAVError as error:
        raise FetchError(SERVER_ERROR, type(error).__name__) from None
    except Exception as error:  # niquests' connection errors, timeouts, TLS, redirects, bad XML
        if isinstance(error.__context__, FetchError) or isinstance(error.__cause__, FetchError):
            raise FetchError(BLOCKED_ADDRESS, "relocated to a refused address") from None
        name = type(error).__name__
        code = SERVER_ERROR if "Redirect" in name or "XML" in name else UNREACHABLE
        raise FetchError(code, name) from None


_CALDAV_CALENDAR = "{urn:ietf:params:xml:ns:caldav}calendar"


def _guarded_session(host: str, addresses: list[str], limits: Limits):
    """A niquests session for caldav that checks the host of every request it sends.

    caldav may move the client to another host (``_follow_calendar_home``:
    whatever host the server names as the calendar home), so the check can't
    be done once up front: each request's host is resolved and checked the
    first time it is seen (``checked_addresses``), and the request is sent
    through a session pinned to exactly the checked addresses. A refused
    host raises ``FetchError(BLOCKED_ADDRESS)`` before anything is sent and
    marks the session ``refused``, in case caldav swallows the error.
    """
    import niquests

    class GuardedSession(niquests.Session):
        def __init__(self) -> None:
            super().__init__()
            self.trust_env = False
            self.max_redirects = 0
            self.refused = False
            self.pinned = {host.lower(): _pinned_session(host, addresses)}

        def send(self, request, **kwargs):
            parts = urlsplit(request.url)
            name = (parts.hostname or "").lower()
            session = self.pinned.get(name)
            if session is None:
                try:
                    if parts.scheme not in ("http", "https"):
                        raise FetchError(BLOCKED_ADDRESS, "not http")
                    checked = checked_addresses(name, parts.port or (443 if parts.scheme == "https" else 80), limits)
                except FetchError:
                    self.refused = True
                    raise
                session = self.pinned[name] = _pinned_session(name, checked)
            kwargs["allow_redirects"] = False
            return session.send(request, **kwargs)

        def close(self) -> None:
            for session in self.pinned.values():
                session.close()
            super().close()

    return GuardedSession()


def _pinned_session(host: str, addresses: list[str]):
    """A niquests session that can reach ``host`` only at the ``addresses`` we checked (its own DNS resolver
    is an in-memory table), follows no redirects, and ignores environment proxies and ``.netrc``."""
    import niquests

    if _is_ip_literal(host):
        session = niquests.Session()
    else:
        records = ",".join(f"{host}:[{address}]" if ":" in address else f"{host}:{address}" for address in addresses)
        session = niquests.Session(resolver=f"in-memory://default/?hosts={records}")
    session.trust_env = False
    session.max_redirects = 0
    return session


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _search(calendar, start_at: datetime, end_at: datetime) -> list:
    """Events overlapping the range, as the server stores them (recurring ones unexpanded)."""
    return calendar.search(event=True, start=start_at, end=end_at, expand=False)
