"""The base page in a real browser: htmx loads, nothing breaks, the switcher flips direction."""


def test_home_page_loads_htmx_without_errors_and_switches_to_arabic(live_server, page):
    page.goto(live_server + "/")
    assert page.locator("html").get_attribute("dir") == "ltr"
    assert page.evaluate("window.htmx && htmx.version").startswith("2.")
    # htmx read its config from the meta tag, so it injects no <style> element.
    assert page.evaluate("htmx.config.includeIndicatorStyles") is False

    page.get_by_role("button", name="العربية").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("html").get_attribute("lang") == "ar"
    assert page.console_errors == []


def test_htmx_requests_carry_the_csrf_header(live_server, page):
    page.goto(live_server + "/")
    meta = page.locator('meta[name="csrf-token"]').get_attribute("content")
    with page.expect_request(lambda request: request.url.endswith("/healthz")) as caught:
        page.evaluate("htmx.ajax('GET', '/healthz', {target: 'body', swap: 'none'})")
    assert caught.value.headers.get("x-csrftoken") == meta
