"""The browser half of test_storefront_and_dashboard.py, in a plain interpreter (Playwright's sync API does not
run under eventlet): `python browser_journeys.py '{"base": ..., "word": ..., "shops": [...], "operator_key": ...}'`.
Prints one JSON line with what it saw; exits non-zero with the failed expectation otherwise.
"""

import json
import sys
import uuid
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = ROOT / "var" / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 375, "height": 800}


def shot(page, name):
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def shopper_reserves_at_two_shops(browser, base, word, shops, errors):
    """On a phone: a query that finds nothing, then the item near the centre, both shops, checkout, codes."""
    nonsense = f"einhornsattel{uuid.uuid4().hex[:6]}"
    phone = browser.new_page(viewport=PHONE)
    phone.on("pageerror", lambda exc: errors.append(str(exc)))
    phone.goto(f"{base}/")
    expect(phone.get_by_text("Ortsmitte Lindenau")).to_be_visible()
    phone.get_by_label("Suchbegriff").fill(nonsense)
    phone.keyboard.press("Enter")
    expect(phone.get_by_text("Leider nichts gefunden")).to_be_visible()
    phone.get_by_label("Suchbegriff").fill(word)
    phone.get_by_label("Sortierung").select_option("distance")
    phone.get_by_role("button", name="Suchen", exact=True).click()
    hits = phone.locator(".hit")
    expect(hits).to_have_count(2)
    expect(hits.first).to_contain_text(shops[0]["name"])
    expect(hits.first).to_contain_text("3 vorrätig")
    expect(hits.first).to_contain_text("km")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "sideways scrolling on a phone"
    shot(phone, "storefront-search")

    hits.first.locator("h3 a").click()
    offers = phone.locator("table tbody tr")
    expect(offers).to_have_count(2)
    shot(phone, "storefront-product")
    for row in range(2):
        offers.nth(row).get_by_role("button").click()
    expect(phone.locator("#cart-count")).to_have_text("2")

    phone.locator("#cart-link").click()
    expect(phone.locator(".shop-block")).to_have_count(2)
    shot(phone, "storefront-cart")
    phone.get_by_role("link", name="Zur Kasse").click()
    phone.get_by_label("Name", exact=True).fill("Erika Mustermann")
    phone.get_by_label("E-Mail").fill("erika@example.org")
    for shop in shops:
        phone.locator(f'fieldset[data-vendor="{shop["vendor_id"]}"]').get_by_label("Abholung").check()
    shot(phone, "storefront-checkout")
    phone.get_by_role("button", name="Verbindlich reservieren").click()

    codes = phone.locator(".pickup-code")
    expect(codes).to_have_count(2)
    assert all(code.strip() for code in codes.all_inner_texts()), "an empty pickup code"
    order_id = phone.locator("#order-id").inner_text()
    shot(phone, "storefront-order")
    return order_id, nonsense


def operator_sees_the_order(browser, base, operator_key, order_id, nonsense, shops, errors):
    desk = browser.new_page(viewport={"width": 1280, "height": 900})
    desk.on("pageerror", lambda exc: errors.append(str(exc)))
    desk.goto(f"{base}/dashboard/")
    desk.get_by_label("Betreiberschlüssel").fill(operator_key)
    desk.get_by_role("button", name="Anmelden").click()
    expect(desk.locator("#recent-orders")).to_contain_text(order_id, timeout=30000)
    expect(desk.locator("#zero-queries")).to_contain_text(nonsense)
    expect(desk.locator("#shops-online")).to_have_text(str(len(shops)))
    expect(desk.locator("#shops")).to_contain_text(shops[1]["name"])
    shot(desk, "dashboard")


def main(scenario):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    errors = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            order_id, nonsense = shopper_reserves_at_two_shops(
                browser, scenario["base"], scenario["word"], scenario["shops"], errors
            )
            operator_sees_the_order(
                browser, scenario["base"], scenario["operator_key"], order_id, nonsense, scenario["shops"], errors
            )
        finally:
            browser.close()
    assert errors == [], f"JavaScript errors: {errors}"
    print(json.dumps({"order_id": order_id, "pickup_codes": 2}))


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
