"""The repeated markup of the browsing pages, built once and remembered: slot links, badges, facts, cards, the form.

A page of search results shows ~60 slot links and 20 cards, a week page
dozens of links. As Jinja macros they cost ~20 µs a link and ~45 µs a card
(macro calls, escaping, lookups), and Babel ~0.03-0.1 ms per date format and
every gettext ~0.02 ms, which made rendering the largest cost of a search.
The markup depends only on the arguments and the language, and slots of many
volunteers fall on the same few instants, so each piece is computed once per
process and language (the caches are keyed by everything the output depends
on, the locale included), and only the link target is added per request.
Whole search cards and the search form are rendered from their templates and
remembered the same way, keyed by every value they show.

Escaping follows the templates these replaced: words from Python (gettext
here, Babel, names, subjects) are escaped; a translation the template
itself looked up (``_()``/``ngettext`` in Jinja) was not, so it isn't here.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from flask import current_app, g, get_template_attribute, render_template, request
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from markupsafe import Markup, escape

from tutoring.formatting import format_day, format_instant, format_time, kind_label, language_name, picker_zones
from tutoring.formatting import utc_iso, zone_label
from tutoring.lru import LRU
from tutoring.models import KINDS, VolunteerProfile
from tutoring.scheduling import Slot
from tutoring.booking.browse import booking_href

if TYPE_CHECKING:
    from tutoring.models import Programme
    from tutoring.booking.browse import ViewerZone
    from tutoring.services.discovery.search import Result, SearchFilters, Vocabulary


def _locale_key() -> str:
    """The request's locale as text, looked up once per request (Flask-Babel's lookup is not free either)."""
    key = g.get("locale_key")
    if key is None:
        key = g.locale_key = str(get_locale())
    return key


# --- words ------------------------------------------------------------------------------------
# Each cached function below is called with the request's own locale, so the
# gettext inside (which reads the request's locale) and the key agree.


@lru_cache(maxsize=8192)
def _slot_words(start_at: datetime, zone: str, locale: str) -> tuple[str, str, str, str, str]:
    day, clock = format_day(start_at, zone, locale, format="full"), format_time(start_at, zone, locale)
    return day, clock, format_instant(start_at, zone, locale), _("Book %(day)s at %(time)s", day=day, time=clock), \
        utc_iso(start_at)


@lru_cache(maxsize=64)
def _card_words(locale: str) -> dict:
    return {
        "kinds": {kind: kind_label(kind) for kind in KINDS},
        "session_kinds": _("Session kinds"),
        "subjects": _("Subjects"),
        "languages": _("Languages"),
        "separator": _(", "),
    }


@lru_cache(maxsize=4096)
def _languages_text(codes: tuple[str, ...], locale: str) -> str:
    return _card_words(locale)["separator"].join(language_name(code, locale) for code in codes)


# --- markup -----------------------------------------------------------------------------------


@lru_cache(maxsize=16384)
def _slot_link_parts(
    start_at: datetime, zone: str, locale: str, with_day: bool, seats_left: int | None
) -> tuple[str, str, str, str]:
    """The parts of a slot link around its target: opening, spoken label, rest, and the seats text."""
    day, clock, day_time, book_label, iso = _slot_words(start_at, zone, locale)
    # A group slot (docs/GROUPS.md) says so, with the seats still free.
    seats = "" if seats_left is None else ngettext("group: %(num)d seat left", "group: %(num)d seats left", seats_left)
    opening = '<a class="slot slot-group"' if seats else '<a class="slot"'
    label = "" if with_day else f' aria-label="{escape(book_label)}{", " + seats if seats else ""}"'
    rest = f'><time datetime="{escape(iso)}">{escape(day_time if with_day else clock)}</time>'
    rest += f' <span class="seats">{seats}</span></a>' if seats else "</a>"
    return opening, label, rest, seats


def slot_link(
    volunteer_id: int,
    slot: Slot,
    zone: str,
    with_day: bool = False,
    href: Callable[[int, datetime], str] = booking_href,
    action: Callable[[str, str], str] | None = None,
) -> Markup:
    """A free slot: a link to book it (``href(volunteer_id, start)``), its time as ``<time datetime="...Z">``.

    Without ``with_day`` it carries a full spoken label, "Book <day> at
    <time>", or ``action(day, time)`` when given (the reschedule page's "Move
    to ..."); a slot that shows its day too is named by what it shows (a
    spoken name must contain the visible words, WCAG 2.5.3).
    """
    locale = _locale_key()
    opening, label, rest, seats = _slot_link_parts(
        slot.start_at, zone, locale, with_day, slot.seats_left if slot.is_group else None
    )
    if action is not None and not with_day:
        day, clock = _slot_words(slot.start_at, zone, locale)[:2]
        label = f' aria-label="{escape(action(day, clock))}{", " + seats if seats else ""}"'
    return Markup(f'{opening} href="{escape(href(volunteer_id, slot.start_at))}"{label}{rest}')


@lru_cache(maxsize=256)
def _kind_badges(kinds: tuple[str, ...], locale: str) -> Markup:
    words = _card_words(locale)
    items = "".join(
        f'<li class="badge badge-{escape(kind)}">{escape(words["kinds"].get(kind, ""))}</li>' for kind in kinds
    )
    return Markup(f'<ul class="badges" aria-label="{escape(words["session_kinds"])}">{items}</ul>')


def kind_badges(kinds: list[str]) -> Markup:
    """The session kinds as badges, named in the viewer's language."""
    return _kind_badges(tuple(kinds), _locale_key())


@lru_cache(maxsize=4096)
def _fact_rows(subjects: tuple[str, ...], languages: tuple[str, ...], locale: str) -> str:
    words = _card_words(locale)
    rows = ""
    if subjects:
        text = escape(words["separator"].join(subjects))
        rows += f'\n  <div><dt>{escape(words["subjects"])}</dt><dd dir="auto">{text}</dd></div>'
    if languages:
        text = escape(_languages_text(languages, locale))
        rows += f'\n  <div><dt>{escape(words["languages"])}</dt><dd>{text}</dd></div>'
    return rows


def volunteer_facts(volunteer: VolunteerProfile, full: bool = False, now: datetime | None = None) -> Markup:
    """A volunteer's subjects and languages as a ``<dl>``; ``full`` adds session length and zone (at ``now``)."""
    rows = _fact_rows(tuple(volunteer.subjects), tuple(volunteer.languages), _locale_key())
    if full:
        minutes = ngettext("%(num)d minute", "%(num)d minutes", volunteer.session_minutes)
        rows += f'\n  <div><dt>{_("Session length")}</dt><dd>{minutes}</dd></div>'
        zone = escape(zone_label(volunteer.user.timezone, at=now))
        rows += f'\n  <div><dt>{_("Their time zone")}</dt><dd>{zone}</dd></div>'
    return Markup(f'<dl class="facts">{rows}\n</dl>')


# A card is remembered by everything it shows (the volunteer's name, bio,
# lists, the kinds they may be booked for, the slots just computed, zone,
# language, link targets), so a booking or an edit makes a new key and the
# card is built afresh; nothing here can outlive the data. When full, the
# least recently shown go first.
MAX_CARDS = 4096
_CARDS: LRU[tuple, Markup] = LRU(MAX_CARDS)


def result_card(result: Result, zone: ViewerZone, free_time: bool, href: Callable[[int, datetime], str]) -> Markup:
    """One search result's ``<li class="card">`` (templates/volunteers/_card.html), remembered."""
    volunteer = result.volunteer
    key = (
        _locale_key(), request.script_root, zone.name, zone.override, free_time, href,
        volunteer.id, volunteer.user.display_name, volunteer.bio, tuple(volunteer.subjects),
        tuple(volunteer.languages), tuple(result.kinds), tuple(result.slots),
    )
    card = _CARDS.get(key)
    if card is None:
        card = get_template_attribute("volunteers/_card.html", "card")(result, zone, free_time, href)
        _CARDS.put(key, card)
    return card


# The search form shows the filters typed, their messages, the suggestions
# and choices on offer, the zone's name and today's date: it is remembered
# keyed by all of them (and the language), so it changes with any of them.
MAX_FORMS = 1024
_FORMS: LRU[tuple, Markup] = LRU(MAX_FORMS)


def search_form(
    zone: ViewerZone, filters: SearchFilters, words: Vocabulary, language_choices: list[str], kinds: Sequence[str],
    programmes: Sequence[Programme], today: date, now: datetime,
) -> Markup:
    """The volunteer search form (templates/volunteers/_search_form.html), remembered."""
    key = (
        _locale_key(), request.script_root, zone.name, zone.override, zone_label(zone.name, at=now), today,
        tuple(sorted(filters.raw.items())), tuple(sorted(filters.errors.items())),
        filters.programme.id if filters.programme is not None else None,
        tuple(words.subjects), tuple(language_choices), tuple(kinds),
        tuple((programme.id, programme.slug, programme.name) for programme in programmes),
    )
    form = _FORMS.get(key)
    if form is None:
        form = Markup(current_app.jinja_env.get_template("volunteers/_search_form.html").render(
            zone=zone, filters=filters, words=words, language_choices=language_choices, kinds=kinds,
            programmes=programmes, today=today, now=now,
        ))
        _FORMS.put(key, form)
    return form


# The zone bar shows the zone (and, with ``sentence``, its name and offset
# now), a rejected ?tz=, and links back to this page (path, endpoint, its
# view arguments, the kept query parameters): it is remembered keyed by all
# of them and the language.
MAX_ZONE_BARS = 1024
_ZONE_BARS: LRU[tuple, Markup] = LRU(MAX_ZONE_BARS)


def zone_bar(zone: ViewerZone, now: datetime, sentence: bool = False, keys: Sequence[str] = ("week", "page")) -> Markup:
    """The zone bar (templates/volunteers/_zone_form.html) keeping the parameters ``keys``, remembered."""
    here = request._get_current_object()  # type: ignore[attr-defined]  (one proxy lookup, not a dozen)
    args = here.args
    kept = tuple((name, args[name]) for name in keys if args.get(name))
    key = (
        _locale_key(), here.script_root, here.path, here.endpoint,
        tuple(sorted((here.view_args or {}).items())), kept, zone.name, zone.override, zone.rejected,
        zone_label(zone.name, at=now) if sentence else None, sentence, tuple(keys),
    )
    bar = _ZONE_BARS.get(key)
    if bar is None:
        bar = Markup(render_template(
            "volunteers/_zone_form.html", zone=zone, now=now, zone_sentence=sentence, zone_form_keys=tuple(keys),
        ))
        _ZONE_BARS.put(key, bar)
    return bar


@cache
def zone_datalist() -> Markup:
    """The ``<option>``s of every zone the pickers offer (~420), built once: they are the same on every page."""
    return Markup("").join(Markup('<option value="{}">').format(name) for name in picker_zones())
