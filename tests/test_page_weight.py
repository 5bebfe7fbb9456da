"""Light pages for thin connections (issue 6, SPEC §6).

A first visit to any main page, with gzip, moves at most 60 KB: the page,
its stylesheets and scripts (htmx included) and the icon, headers counted.
An HTMX fragment moves at most 10 KB. Nothing is fetched from another host,
static files have content-hashed addresses cached for a year, and text is
gzipped. Run on the demo data (a dozen volunteers, busy weeks), in Arabic and
in English, as a visitor, a learner with a booking and a volunteer.

``PAGE_WEIGHTS`` collects the figures; ``-s`` prints them.
"""
from __future__ import annotations

import gzip
import re
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from tutoring.extensions import db
from tutoring.models import User
from tutoring.booking.operations import book_session
from tutoring.services.demodata.demo import load_demo
from tutoring.booking.slots import next_slots
from tutoring.timeutil import utcnow

PAGE_BUDGET = 60 * 1024
FRAGMENT_BUDGET = 10 * 1024
GZIP = {"Accept-Encoding": "gzip, deflate, br"}
YEAR = "public, max-age=31536000, immutable"
# Who looks at the pages in each language (demo accounts; their own language wins when signed in).
PEOPLE = {"ar": {"learner": "sami@example.org", "volunteer": "amira.hassan@example.org", "zone": "Asia/Riyadh"},
          "en": {"learner": "maya@example.org", "volunteer": "priya.shrestha@example.org", "zone": "Europe/London"}}
PAGE_WEIGHTS: dict[str, int] = {}


class Resources(HTMLParser):
    """The addresses a browser fetches while loading the page (not links it merely offers)."""

    FETCHED = {("link", "href"), ("script", "src"), ("img", "src"), ("iframe", "src"), ("source", "src"),
               ("video", "src"), ("audio", "src"), ("embed", "src"), ("object", "data"), ("img", "srcset")}

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "link" and attributes.get("rel") not in ("stylesheet", "icon", "preload", "modulepreload", "manifest"):
            return
        for element, name in self.FETCHED:
            if tag == element and attributes.get(name):
                self.urls.append(attributes[name])


def wire_bytes(response) -> int:
    """Bytes on the wire: status line, headers and the (compressed) body."""
    headers = sum(len(name) + len(value) + 4 for name, value in response.headers.items())
    return len("HTTP/1.1 200 OK\r\n") + headers + 2 + len(response.get_data())


def resources_of(html: str) -> list[str]:
    parser = Resources()
    parser.feed(html)
    return parser.urls


def page_text(response) -> str:
    data = response.get_data()
    if response.headers.get("Content-Encoding") == "gzip":
        data = gzip.decompress(data)
    return data.decode("utf-8")


@pytest.fixture
def demo(app):
    """The demo data, plus one booked session for each language's learner; returns ids by email and the bookings."""
    with app.app_context():
        load_demo()
        users = {user.email: user for user in db.session.scalars(db.select(User))}
        ids = {email: user.id for email, user in users.items()}
        # The next free times from the app's own slot reader, whatever the day and hour (not "this week").
        amira = db.session.get(User, ids["amira.hassan@example.org"]).volunteer_profile
        now = utcnow()
        starts = [slot.start_at for slot in next_slots([amira], now, now + timedelta(days=60), 3)[amira.id]]
    bookings = {}
    for language, people in PEOPLE.items():
        with app.app_context():
            start = starts[0 if language == "ar" else 1]
            bookings[language] = book_session(ids[people["learner"]], ids["amira.hassan@example.org"], start,
                                              "tutoring").id
    return {"ids": ids, "bookings": bookings, "free_start": starts[2].strftime("%Y-%m-%dT%H:%M:%SZ")}


def client_for(app, language: str, who: str | None, ids) -> object:
    """A test client: a visitor with the language cookie and a reported zone, or a signed-in demo account."""
    client = app.test_client()
    client.set_cookie("lang", language)
    client.set_cookie("tz", PEOPLE[language]["zone"])
    if who is not None:
        user_id = ids[PEOPLE[language][who]]
        with app.app_context():
            user = db.session.get(User, user_id)
            session_id = user.get_id()
        with client.session_transaction() as session:
            session["_user_id"] = session_id
            session["_fresh"] = True
    return client


def main_pages(demo, language: str) -> list[tuple[str, str | None, str]]:
    """(name, who, path) of each main page."""
    amira = demo["ids"]["amira.hassan@example.org"]
    booking = demo["bookings"][language]
    return [
        ("home", None, "/"),
        ("volunteer week", None, f"/volunteers/{amira}"),
        ("sign-in", None, "/auth/login"),
        ("booking page", "learner", f"/volunteers/{amira}/book?start={demo['free_start']}"),
        ("booking confirmation", "learner", f"/bookings/{booking}"),
        ("sessions list", "learner", "/sessions"),
        ("sessions list (volunteer)", "volunteer", "/sessions"),
        ("availability editor", "volunteer", "/me/availability"),
        ("dashboard", "volunteer", "/me/"),
    ]


def first_load(client, path: str) -> tuple[int, list[str], str]:
    """Bytes of the page and everything it loads; the addresses it loads; the page's HTML."""
    response = client.get(path, headers=GZIP)
    assert response.status_code == 200, path
    total = wire_bytes(response)
    html = page_text(response)
    urls = resources_of(html)
    for url in urls:
        asset = client.get(url, headers=GZIP)
        assert asset.status_code == 200, url
        total += wire_bytes(asset)
    return total, urls, html


@pytest.mark.any_instant("sunday-late-utc", "sunday-late-utc-12", "new-years-eve")
@pytest.mark.parametrize("language", ["ar", "en"])
def test_first_load_of_every_main_page_is_at_most_60_kb(app, demo, language):
    over = []
    for name, who, path in main_pages(demo, language):
        client = client_for(app, language, who, demo["ids"])
        total, urls, html = first_load(client, path)
        assert f'lang="{language}"' in html
        assert any("htmx" in url for url in urls), f"{name}: htmx not loaded?"
        PAGE_WEIGHTS[f"{name} ({language})"] = total
        if total > PAGE_BUDGET:
            over.append(f"{name} ({language}) {path}: {total / 1024:.1f} KB")
    print("\n".join(f"{key}: {value / 1024:.1f} KB" for key, value in PAGE_WEIGHTS.items() if f"({language})" in key))
    assert not over, "pages over 60 KB on first load:\n" + "\n".join(over)


@pytest.mark.any_instant("sunday-late-utc", "sunday-late-utc-12", "new-years-eve")
@pytest.mark.parametrize("language", ["ar", "en"])
def test_htmx_fragments_are_at_most_10_kb(app, demo, language):
    amira = demo["ids"]["amira.hassan@example.org"]
    fragments = [
        ("week", None, f"/volunteers/{amira}?week={utcnow().date().isoformat()}", "week"),
        ("next week", None, f"/volunteers/{amira}?week=2099-01-05", "week"),
        ("search results", None, "/?kind=tutoring", "results"),
        ("editor preview", "volunteer", "/me/availability/preview", "preview"),
    ]
    over = []
    for name, who, path, target in fragments:
        client = client_for(app, language, who, demo["ids"])
        response = client.get(path, headers={**GZIP, "HX-Request": "true", "HX-Target": target})
        assert response.status_code == 200, path
        text = page_text(response)
        assert "<html" not in text, f"{name}: a whole page, not a fragment"
        size = wire_bytes(response)
        print(f"fragment {name} ({language}): {size / 1024:.1f} KB")
        if size > FRAGMENT_BUDGET:
            over.append(f"{name} ({language}): {size / 1024:.1f} KB")
    assert not over, "fragments over 10 KB:\n" + "\n".join(over)


@pytest.mark.parametrize("language", ["ar", "en"])
def test_pages_fetch_nothing_from_other_hosts(app, demo, language):
    for name, who, path in main_pages(demo, language):
        client = client_for(app, language, who, demo["ids"])
        _total, urls, _html = first_load(client, path)
        foreign = [url for url in urls if urlsplit(url).netloc or url.startswith("//")]
        assert not foreign, f"{name} loads from other hosts: {foreign}"
    for stylesheet in ("css/app.css", "css/booking.css", "css/account.css", "css/auth.css"):
        css = client.get(f"/static/{stylesheet}").get_data(as_text=True)
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", css), stylesheet
        assert "@import" not in css and "@font-face" not in css, stylesheet  # no web fonts


def test_static_files_are_fingerprinted_and_cached_for_a_year(client):
    html = page_text(client.get("/auth/login", headers=GZIP))
    urls = resources_of(html)
    assert urls
    for url in urls:
        assert re.search(r"\?v=[0-9a-f]{12}$", url), f"{url} has no content hash"
        response = client.get(url, headers=GZIP)
        assert response.headers["Cache-Control"] == YEAR
        # Asked for without the hash (or an old one), the file comes back but isn't kept for a year.
        stale = client.get(url.split("?")[0] + "?v=000000000000")
        assert stale.status_code == 200 and stale.headers["Cache-Control"] != YEAR


def test_a_changed_file_gets_a_new_address(app, tmp_path):
    from tutoring.assets import static_hash

    asset = tmp_path / "a.css"
    asset.write_text("body { color: black; }")
    before = static_hash("a.css", str(tmp_path))
    asset.write_text("body { color: navy; }")
    assert static_hash("a.css", str(tmp_path)) != before
    assert static_hash("../secret", str(tmp_path)) is None


def test_text_is_gzipped_and_says_so(client):
    page = client.get("/auth/login", headers=GZIP)
    assert page.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in page.headers["Vary"]
    assert "<form" in gzip.decompress(page.get_data()).decode()
    plain = client.get("/auth/login")
    assert "Content-Encoding" not in plain.headers and "<form" in plain.get_data(as_text=True)
    css_url = next(url for url in resources_of(plain.get_data(as_text=True)) if url.endswith(".css") or ".css?" in url)
    css = client.get(css_url, headers=GZIP)
    assert css.headers["Content-Encoding"] == "gzip"
    assert len(css.get_data()) < len(client.get(css_url).get_data())
    # A static file's tag becomes weak (same file, another encoding) and still answers 304.
    again = client.get(css_url, headers={**GZIP, "If-None-Match": css.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.any_instant("sunday-late-utc")
@pytest.mark.parametrize("language", ["ar", "en"])
def test_a_first_visit_in_chromium_stays_on_this_host_and_under_60_kb(browser, live_server, demo, language):
    """A real browser with an empty cache and no cookies: every request it makes, the zone fetch included.

    Sizes are what Chromium reports as transferred (headers plus the encoded body). A visitor's first page is
    loaded once: js/timezone.js fetches the page again and swaps in its <main> in the browser's zone (issue 22),
    rather than reloading it with every asset.
    """
    amira = demo["ids"]["amira.hassan@example.org"]
    context = browser.new_context(locale="ar-SA" if language == "ar" else "en-GB", timezone_id=PEOPLE[language]["zone"],
                                  extra_http_headers={"Accept-Language": language})
    try:
        for path in ("/", f"/volunteers/{amira}"):
            page = context.new_page()
            requests = []
            page.on("requestfinished", lambda request: requests.append(request))
            # Chromium's own count of bytes received per request (headers and encoded body; 0 from the cache).
            received = []
            devtools = context.new_cdp_session(page)
            devtools.on("Network.loadingFinished", lambda event: received.append(event["encodedDataLength"]))
            devtools.send("Network.enable")
            page.goto(live_server + path)
            page.wait_for_load_state("networkidle")
            assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
            foreign = [r.url for r in requests if not r.url.startswith(live_server)]
            assert not foreign, f"{path} fetched from other hosts: {foreign}"
            sent = sum(received)
            PAGE_WEIGHTS[f"chromium first visit {path} ({language})"] = sent
            print(f"chromium, first visit to {path} ({language}): {len(requests)} requests, {sent / 1024:.1f} KB")
            assert sent <= PAGE_BUDGET, f"{path}: {sent / 1024:.1f} KB"
            documents = [r.url for r in requests if r.resource_type == "document"]
            assert documents == [live_server + path], f"{path}: document requests {documents}"
            page.close()
            context.clear_cookies()
    finally:
        context.close()


@pytest.mark.fresh_app
def test_streams_and_other_views_files_are_sent_as_they_are(app, tmp_path):
    """Only whole responses are gzipped here: a generated stream or a send_file outside /static is left alone."""
    from flask import Response, send_file

    document = tmp_path / "page.html"
    document.write_text("<p>" + "x" * 4000 + "</p>")
    app.add_url_rule("/_test/stream", "test_stream",
                     lambda: Response((part for part in ("<p>", "y" * 4000, "</p>")), mimetype="text/html"))
    app.add_url_rule("/_test/file", "test_file", lambda: send_file(document, etag=False))
    client = app.test_client()
    for path in ("/_test/stream", "/_test/file"):
        response = client.get(path, headers=GZIP)
        assert response.status_code == 200
        assert "Content-Encoding" not in response.headers
        assert len(response.get_data()) > 4000
