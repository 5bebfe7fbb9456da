"""The kind chosen in a search is carried to the volunteer's week and the booking page (issue 22, item 3)."""
from __future__ import annotations

import html
import re

import pytest

EVERY_DAY = [(weekday, "08:00", "20:00") for weekday in range(7)]
# Whatever the day: late on a Sunday the week is nearly over, for a viewer behind UTC too.
pytestmark = pytest.mark.any_instant("sunday-late-utc", "sunday-late-utc-12", "new-years-eve")


@pytest.fixture
def volunteer(make_user):
    return make_user("volunteer", name="Omar", timezone="Europe/London", rules=EVERY_DAY, min_notice_hours=0,
                     kinds=["tutoring", "mentoring"])


def links(body: str, pattern: str) -> list[str]:
    return [html.unescape(href) for href in re.findall(rf'href="({pattern}[^"]*)"', body)]


def week_with_slots(client, path: str) -> str:
    """The volunteer's page at ``path``, moved on by its own "Go to that week" link when this week has no free time."""
    body = client.get(path).get_data(as_text=True)
    if "/book?start=" not in body:
        jump = re.search(r'class="week-link week-link-jump" href="([^"]+)"', body).group(1)
        body = client.get(html.unescape(jump)).get_data(as_text=True)
    return body


def checked_kind(body: str) -> str | None:
    match = re.search(r'<input[^>]*checked[^>]*name="kind"[^>]*value="(\w+)"|'
                      r'<input[^>]*name="kind"[^>]*value="(\w+)"[^>]*checked', body)
    return (match.group(1) or match.group(2)) if match else None


def test_a_search_for_a_kind_leads_to_a_booking_page_with_that_kind_chosen(client, make_user, sign_in, volunteer):
    sign_in(make_user("learner"))
    body = client.get("/?kind=mentoring").get_data(as_text=True)
    slots = links(body, f"/volunteers/{volunteer.id}/book")
    assert slots and all(link.endswith("&kind=mentoring") for link in slots)
    assert f"/volunteers/{volunteer.id}?kind=mentoring" in links(body, f"/volunteers/{volunteer.id}\\?")
    page = client.get(slots[0]).get_data(as_text=True)
    assert checked_kind(page) == "mentoring"
    # Without a kind in the search, nothing is chosen for the learner.
    plain = links(client.get("/").get_data(as_text=True), f"/volunteers/{volunteer.id}/book")
    assert plain and not any("kind=" in link for link in plain)
    assert checked_kind(client.get(plain[0]).get_data(as_text=True)) is None


def test_the_volunteers_week_keeps_the_kind_on_its_slots_and_week_links(client, volunteer):
    body = week_with_slots(client, f"/volunteers/{volunteer.id}?kind=mentoring")
    slots = links(body, f"/volunteers/{volunteer.id}/book")
    assert slots and all(link.endswith("&kind=mentoring") for link in slots)
    weeks = links(body, f"/volunteers/{volunteer.id}\\?week=")
    assert weeks and all("kind=mentoring" in link for link in weeks)


def test_find_a_time_carries_the_kind(client, volunteer):
    cells = "&".join(f"free={day}-{hour}" for day in range(7) for hour in range(8, 20))
    body = client.get(f"/find-a-time?kind=mentoring&{cells}").get_data(as_text=True)
    slots = links(body, f"/volunteers/{volunteer.id}/book")
    assert slots and all(link.endswith("&kind=mentoring") for link in slots)


@pytest.mark.parametrize("kind", ["support", "nonsense", ""])
def test_a_kind_the_volunteer_does_not_offer_is_not_chosen(client, make_user, sign_in, volunteer, kind):
    sign_in(make_user("learner"))
    body = week_with_slots(client, f"/volunteers/{volunteer.id}")
    slot = links(body, f"/volunteers/{volunteer.id}/book")[0]
    page = client.get(f"{slot}&kind={kind}")
    assert page.status_code == 200
    assert checked_kind(page.get_data(as_text=True)) is None
