"""Forms that looked unstyled to new users are styled like the rest (issue 22, item 8).

The feed's "Make a new address" button, the learner's report textarea and the
volunteer's own-calendar form: in Chromium, each control has the app's
rounded border and inherited font, not the browser's defaults.
"""
from __future__ import annotations

from tests.conftest import TEST_PASSWORD

RADIUS = "8px"  # var(--radius), 0.5rem


def sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/auth/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(TEST_PASSWORD)
    page.locator("form.auth-form button[type=submit]").click()
    page.wait_for_load_state("load")


def looks(page, selector: str) -> dict:
    return page.locator(selector).first.evaluate("""element => {
        const style = getComputedStyle(element);
        return {radius: style.borderTopLeftRadius, font: style.fontFamily, body: getComputedStyle(document.body).fontFamily};
    }""")


def test_feed_report_and_own_calendar_forms_are_styled(browser, live_server, make_user):
    volunteer = make_user("volunteer", email="vol@example.org")
    make_user("learner", email="learner@example.org")
    unstyled = []
    for email, checks in (
        ("learner@example.org", [("/me/calendar", ".calendar-feed button[type=submit]"),
                                  (f"/safety/report?volunteer={volunteer.id}", "textarea#report-details")]),
        ("vol@example.org", [("/me/calendars", "#calendar-url"), ("/me/calendars", "#calendar-password"),
                              ("/me/calendar", ".calendar-feed input#feed-url")]),
    ):
        context = browser.new_context(locale="en-GB", timezone_id="Europe/London")
        try:
            page = context.new_page()
            sign_in(page, live_server, email)
            for path, selector in checks:
                page.goto(live_server + path)
                style = looks(page, selector)
                if style["radius"] != RADIUS or style["font"] != style["body"]:
                    unstyled.append(f"{path} {selector}: {style}")
        finally:
            context.close()
    assert not unstyled, "controls with the browser's default look:\n" + "\n".join(unstyled)
