"""The console in a real browser: each view against the local stack, the numbers shown equal the API's, the
click-through portfolio -> line -> score -> material, a what-if, the admin signal form, keyboard use, axe-core."""

from __future__ import annotations

import json
from typing import Any

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from local.stack import LocalStack
from tests.browser.chromium import WAIT_S, Browser
from tests.browser.conftest import PORTFOLIO, PORTFOLIO_ID, screenshot_path
from tests.e2e.client import ApiClient

ROUNDING = 0.05 + 1e-9  # the console prints one decimal
NOT_SHOWN = "\N{EN DASH}"  # what the console prints for a missing value (dom.js fmt)


def visit(browser: Browser, stack: LocalStack, route: str, view: str, token: str = "team-a") -> None:
    """Open the console at `route`, choose `token` in the picker (as a person does) and wait for `view`."""
    browser.severe_console_errors()  # drain: what earlier pages logged is theirs
    browser.driver.get(f"{stack.base_url}/console/{route}")
    picker = browser.wait_for("#f-token option[value='team-b']").find_element(By.XPATH, "..")
    if picker.get_attribute("value") != token:
        Select(picker).select_by_value(token)
        # the page began rendering with the previous token: what that render logs (e.g. a 404 for another
        # tenant's portfolio) is not this page's, so drain it and reload the route with the chosen token only
        browser.wait_for_view(view)
        browser.severe_console_errors()
        browser.driver.refresh()
    browser.wait_for_view(view)


def shown(browser: Browser, css: str) -> float:
    return float(browser.text(css).split()[0].rstrip("%").replace(",", ""))


def api_body(api: ApiClient, path: str, token: str = "team-a", **kwargs: Any) -> Any:
    reply = api.request(kwargs.pop("method", "GET"), path, token=token, **kwargs)
    assert reply.status == 200, reply.body
    return reply.body


def test_portfolio_shows_the_api_totals_and_ranks_lines_by_risk_times_spend(
    browser: Browser, console_stack: LocalStack, api: ApiClient
) -> None:
    visit(browser, console_stack, f"#/portfolio/{PORTFOLIO_ID}", "portfolio")
    risk = api_body(api, f"/v1/portfolios/{PORTFOLIO_ID}/risk")

    assert abs(shown(browser, "[data-field=spend_weighted_score]") - risk["spend_weighted_score"]) <= ROUNDING
    assert abs(shown(browser, "[data-field=max_score]") - risk["max_score"]) <= ROUNDING
    assert browser.text("[data-field=band]") == risk["band"]
    assert shown(browser, "[data-field=total_spend]") == round(risk["total_spend"])
    lines = browser.driver.find_elements(By.CSS_SELECTOR, "ol.bars li[data-line]")
    expected = sorted(risk["items"], key=lambda line: -line["risk_spend"])
    assert [e.get_attribute("data-line") for e in lines] == [
        f"{line['importer']}/{line['material']}/{line['part'] or ''}" for line in expected
    ]
    for element, line in zip(lines, expected, strict=True):
        score = float(element.find_element(By.CSS_SELECTOR, "[data-field=score]").text)
        assert abs(score - line["score"]) <= ROUNDING
        assert element.find_element(By.CSS_SELECTOR, "[data-band]").text == line["band"]
        assert line["top_driver"] in element.text
    assert len(PORTFOLIO["items"]) == len(expected)  # no group expanded here: one bar per item
    browser.driver.save_screenshot(str(screenshot_path("portfolio")))


def test_the_csv_button_downloads_the_api_csv(browser: Browser, console_stack: LocalStack, api: ApiClient) -> None:
    visit(browser, console_stack, f"#/portfolio/{PORTFOLIO_ID}", "portfolio")
    # capture what the page hands to the download link instead of reading the browser's download folder
    browser.driver.execute_script(
        "window.__csv = null; const create = URL.createObjectURL;"
        "URL.createObjectURL = (blob) => { blob.text().then((t) => { window.__csv = t; }); return create(blob); };"
    )
    browser.driver.find_element(By.ID, "csv").click()
    csv_text = WebDriverWait(browser.driver, WAIT_S).until(lambda d: d.execute_script("return window.__csv"))
    reply = api.session.get(
        f"{console_stack.base_url}/v1/portfolios/{PORTFOLIO_ID}/risk",
        headers={"Authorization": "Bearer team-a", "Accept": "text/csv"},
        timeout=30,
    )
    assert csv_text == reply.text
    assert csv_text.splitlines()[0].startswith("material,importer")


def test_click_through_portfolio_line_score_material(
    browser: Browser, console_stack: LocalStack, api: ApiClient
) -> None:
    visit(browser, console_stack, f"#/portfolio/{PORTFOLIO_ID}", "portfolio")
    browser.driver.find_element(By.CSS_SELECTOR, "li[data-line='JP/dysprosium/N52SH magnets'] a").click()
    browser.wait_for_view("score")
    score = api_body(api, "/v1/scores/JP/dysprosium")
    assert abs(shown(browser, "main [data-field=score]") - score["score"]) <= ROUNDING
    assert browser.text("main [data-field=band]") == score["band"]
    points = {
        e.get_attribute("data-component"): float(e.find_element(By.CSS_SELECTOR, "[data-field=points]").text)
        for e in browser.driver.find_elements(By.CSS_SELECTOR, "tr[data-component]")
    }
    assert set(points) == set(score["contributions"])
    for name, value in score["contributions"].items():
        assert abs(points[name] - value) <= ROUNDING
    assert abs(shown(browser, "[data-field=sum]") - score["score"]) <= ROUNDING  # the stack adds up to the score
    assert len(browser.driver.find_elements(By.CSS_SELECTOR, "[data-driver]")) == len(score["drivers"])
    for driver in score["drivers"]:
        assert driver["source"] in browser.text("ol.drivers")
    assert abs(shown(browser, "[data-field=confidence]") - score["confidence"] * 100) <= ROUNDING
    history = api_body(api, "/v1/scores/JP/dysprosium/history")
    assert browser.text("[data-field=history_points]").startswith(f"{len(history['items'])} point")
    dependency = api_body(api, "/v1/importers/JP/dependencies/dysprosium")
    top = max((p for stage in dependency["stages"].values() for p in stage["partners"]), key=lambda p: p["share"])
    assert browser.driver.find_elements(By.CSS_SELECTOR, f"tr[data-country='{top['country']}']")
    browser.driver.save_screenshot(str(screenshot_path("score")))

    browser.driver.find_element(By.LINK_TEXT, "Material profile: dysprosium").click()
    browser.wait_for_view("material")
    material = api_body(api, "/v1/materials/dysprosium")
    for stage, shares in material["stages"].items():
        for share in shares:
            css = f"ol[data-stage='{stage}'] li[data-country='{share['country']}'] [data-field=share]"
            assert abs(shown(browser, css) - share["share"] * 100) <= ROUNDING
    for signal in material["active_signals"]:
        assert browser.driver.find_elements(By.CSS_SELECTOR, f"tr[data-signal='{signal['id']}']")


def test_material_page_names_bayan_obo(browser: Browser, console_stack: LocalStack) -> None:
    visit(browser, console_stack, "#/material/neodymium", "material")
    assert "Bayan Obo" in browser.text("[data-site='Bayan Obo']")
    browser.driver.save_screenshot(str(screenshot_path("material")))


def test_exposure_map_filters_by_group_and_links_each_score(
    browser: Browser, console_stack: LocalStack, api: ApiClient
) -> None:
    visit(browser, console_stack, "#/exposure?importer=JP", "exposure")
    Select(browser.driver.find_element(By.ID, "f-group")).select_by_value("hree")
    browser.wait_for("li[data-material]")
    WebDriverWait(browser.driver, WAIT_S).until(lambda d: "group=hree" in d.current_url)
    browser.wait_for_view("exposure")
    page = api_body(api, "/v1/importers/JP/scores", params={"group": "hree", "limit": 200})
    shown_materials = [
        e.get_attribute("data-material") for e in browser.driver.find_elements(By.CSS_SELECTOR, "li[data-material]")
    ]
    assert shown_materials == [s["material"] for s in page["items"]]

    Select(browser.driver.find_element(By.ID, "f-mode")).select_by_value("heatmap")
    browser.wait_for("a[data-cell]")
    cell = browser.driver.find_element(By.CSS_SELECTOR, "a[data-cell='JP/dysprosium']")
    score = api_body(api, "/v1/scores/JP/dysprosium")
    assert abs(float(cell.text) - score["score"]) <= ROUNDING
    browser.driver.save_screenshot(str(screenshot_path("exposure-heatmap")))
    cell.click()
    browser.wait_for_view("score")
    assert "Score: JP · dysprosium" in browser.text("h1")


def form_scenario(api: ApiClient, portfolio_id: str) -> dict[str, Any]:
    """What the API answers for the what-if form's default change (CN bans dysprosium to JP) on a portfolio."""
    ban = {"issuer": "CN", "measure": "export_ban", "materials": ["dysprosium"], "targets": ["JP"], "severity": 1}
    body = {"changes": [{"type": "add_signal", "signal": ban}], "portfolio_id": portfolio_id}
    answer: dict[str, Any] = api_body(api, "/v1/scenarios", method="POST", json=body)
    return answer


def test_what_if_shows_before_and_after_as_the_api_computes_them(
    browser: Browser, console_stack: LocalStack, api: ApiClient
) -> None:
    visit(browser, console_stack, "#/whatif", "whatif")
    browser.driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()  # CN bans dysprosium to JP
    browser.wait_for("#whatif-result tr[data-pair]")
    expected = form_scenario(api, PORTFOLIO_ID)
    for line in expected["items"]:
        pair = f"{line['importer']}/{line['material']}"
        before = browser.driver.find_element(
            By.CSS_SELECTOR, f"li[data-pair='{pair}'][data-side=baseline] [data-field=score]"
        )
        after = browser.driver.find_element(
            By.CSS_SELECTOR, f"li[data-pair='{pair}'][data-side=scenario] [data-field=score]"
        )
        assert abs(float(before.text) - line["baseline"]["score"]) <= ROUNDING
        assert abs(float(after.text) - line["scenario"]["score"]) <= ROUNDING
    dysprosium = next(line for line in expected["items"] if line["material"] == "dysprosium")
    assert dysprosium["delta"] > 0
    browser.driver.save_screenshot(str(screenshot_path("what-if")))


def test_signals_feed_lists_what_the_api_lists(browser: Browser, console_stack: LocalStack, api: ApiClient) -> None:
    visit(browser, console_stack, "#/signals?target=JP", "signals")
    feed = api_body(api, "/v1/signals", params={"target": "JP"})
    rows = {e.get_attribute("data-signal") for e in browser.driver.find_elements(By.CSS_SELECTOR, "tr[data-signal]")}
    assert rows == {s["id"] for s in feed["items"]}
    assert browser.text("[data-field=count]") == f"{len(feed['items'])} signal(s)"


def test_admin_form_puts_a_signal_and_shows_the_rescored_pairs(
    browser: Browser, console_stack: LocalStack, api: ApiClient
) -> None:
    visit(browser, console_stack, "#/admin", "admin", token="dev-admin")
    before = api_body(api, "/v1/scores/US/dysprosium", token="dev-reader")
    field = browser.driver.find_element(By.ID, "f-id")
    field.clear()
    field.send_keys("BROWSER-TEST-BAN")
    browser.driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    browser.wait_for("[data-field=saved]")
    arrived = browser.wait_for("li[data-rescored='US/dysprosium']")
    after = api_body(api, "/v1/scores/US/dysprosium", token="dev-reader")
    assert after["computed_at"] != before["computed_at"]
    assert "BROWSER-TEST-BAN" in after["signal_ids"]
    assert abs(float(arrived.find_element(By.CSS_SELECTOR, "[data-field=score]").text) - after["score"]) <= ROUNDING


def test_a_reader_gets_the_apis_403_on_the_admin_form(browser: Browser, console_stack: LocalStack) -> None:
    visit(browser, console_stack, "#/admin", "admin", token="dev-reader")
    browser.driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    error = browser.wait_for("#watch [data-error]")
    assert error.get_attribute("data-error") == "forbidden" or error.text.startswith("403")


def test_keyboard_alone_reaches_the_content_and_every_page(browser: Browser, console_stack: LocalStack) -> None:
    visit(browser, console_stack, f"#/portfolio/{PORTFOLIO_ID}", "portfolio")
    browser.driver.refresh()  # a fresh page: sequential focus starts at the top (the token stays in the session)
    browser.wait_for_view("portfolio")
    ActionChains(browser.driver).send_keys(Keys.TAB).perform()
    active = browser.driver.switch_to.active_element
    assert active.text == "Skip to content"
    active.send_keys(Keys.ENTER)
    assert browser.driver.switch_to.active_element.get_attribute("id") == "view"
    # from the top, Tab walks the navigation in order; Enter on a link opens its page
    browser.driver.refresh()
    browser.wait_for_view("portfolio")
    for _ in range(3):  # skip link, Portfolio, Exposure map
        ActionChains(browser.driver).send_keys(Keys.TAB).perform()
    link = browser.driver.switch_to.active_element
    assert link.text == "Exposure map"
    link.send_keys(Keys.ENTER)
    browser.wait_for_view("exposure")
    assert browser.driver.switch_to.active_element.get_attribute("id") == "view"  # focus moves to the new page


def ActionTab(browser: Browser) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(browser.driver).send_keys(Keys.TAB).perform()


def test_the_token_lives_in_session_storage_only(browser: Browser, console_stack: LocalStack) -> None:
    visit(browser, console_stack, "#/signals", "signals")
    storage = browser.driver.execute_script(
        "return {session: sessionStorage.getItem('risk-console-token'),"
        " local: localStorage.length, cookies: document.cookie}"
    )
    assert storage == {"session": "team-a", "local": 0, "cookies": ""}
    assert "team-a" not in browser.driver.current_url


VIEWS = [
    (f"#/portfolio/{PORTFOLIO_ID}", "portfolio"),
    ("#/exposure?importer=JP&group=hree", "exposure"),
    ("#/exposure?mode=heatmap&group=hree", "exposure"),
    ("#/score/JP/dysprosium", "score"),
    ("#/material/neodymium", "material"),
    ("#/whatif", "whatif"),
    ("#/signals?target=JP", "signals"),
    ("#/admin", "admin"),
]


@pytest.mark.parametrize(("route", "view"), VIEWS)
def test_axe_finds_no_serious_violations(browser: Browser, console_stack: LocalStack, route: str, view: str) -> None:
    visit(browser, console_stack, route, view, token="dev-admin")
    assert browser.axe() == []
    assert browser.severe_console_errors() == []


def test_api_docs_render_our_openapi_with_self_hosted_assets(browser: Browser, console_stack: LocalStack) -> None:
    from local.static_site import OPENAPI_PATH

    browser.driver.get(f"{console_stack.base_url}/docs/")
    browser.wait_for(".opblock")
    spec = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
    operations = sum(len(ops) for ops in spec["paths"].values())
    WebDriverWait(browser.driver, WAIT_S).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, ".opblock")) == operations
    )
    resources = browser.driver.execute_script("return performance.getEntriesByType('resource').map((r) => r.name)")
    assert resources and all(str(r).startswith(console_stack.base_url) for r in resources)
    assert browser.axe() == []
    browser.driver.save_screenshot(str(screenshot_path("api-docs")))


# ------------------------------------------------------------------- issue 17, second pass: trend, company, governance
COMPANY_PORTFOLIO_ID = "company-plant"
COMPANY_PORTFOLIO = {
    "name": "Company-sourced plant",
    "currency": "EUR",
    "items": [
        {"material": "dysprosium", "importer": "JP", "annual_spend": 500000, "part": "magnets",
         "supplier_country": "AU"},
        {"material": "cobalt", "importer": "JP", "annual_spend": 200000, "part": "cells",
         "sourcing": [{"country": "CD", "share": 0.7}, {"country": "FI", "share": 0.3}]},
        {"material": "copper", "importer": "JP", "annual_spend": 100000, "part": "windings"},
    ],
}  # fmt: skip


@pytest.fixture(scope="module")
def company_portfolio(api: ApiClient) -> str:
    reply = api.request("PUT", f"/v1/portfolios/{COMPANY_PORTFOLIO_ID}", token="team-a", json=COMPANY_PORTFOLIO)
    assert reply.status in (200, 201), reply.body
    return COMPANY_PORTFOLIO_ID


def test_portfolio_trend_draws_the_api_history_points(
    browser: Browser, console_stack: LocalStack, api: ApiClient
) -> None:
    visit(browser, console_stack, f"#/portfolio/{PORTFOLIO_ID}", "portfolio")
    history = api_body(api, f"/v1/portfolios/{PORTFOLIO_ID}/risk/history")
    assert history["days"], "the seeded stack has scored today: at least one day"
    for key in ("spend_weighted_score", "max_score"):
        points = browser.driver.find_elements(By.CSS_SELECTOR, f"[data-field=trend] circle[data-series={key}]")
        drawn = [(p.get_attribute("data-day"), float(p.get_attribute("data-value") or "nan")) for p in points]
        assert drawn == [(d["day"], d[key]) for d in history["days"]]
        for day in history["days"]:
            cell = browser.text(f"[data-field=trend] tr[data-day='{day['day']}'] [data-field={key}]")
            assert abs(float(cell) - day[key]) <= ROUNDING
    # a higher score is drawn higher: y falls as the value rises (the max is never below the weighted score)
    first_day = history["days"][0]["day"]
    weighted = browser.driver.find_element(
        By.CSS_SELECTOR, f"circle[data-series=spend_weighted_score][data-day='{first_day}']"
    )
    top = browser.driver.find_element(By.CSS_SELECTOR, f"circle[data-series=max_score][data-day='{first_day}']")
    assert float(top.get_attribute("cy") or 0) <= float(weighted.get_attribute("cy") or 0)


def test_portfolio_shows_company_specific_next_to_national_per_line(
    browser: Browser, console_stack: LocalStack, api: ApiClient, company_portfolio: str
) -> None:
    visit(browser, console_stack, f"#/portfolio/{company_portfolio}", "portfolio")
    risk = api_body(api, f"/v1/portfolios/{company_portfolio}/risk")
    assert risk["company"] is not None and risk["company_difference"] is not None
    assert any(line["company_sourced"] for line in risk["items"])
    for line in risk["items"]:
        row = browser.driver.find_element(
            By.CSS_SELECTOR, f"tr[data-company-line='{line['importer']}/{line['material']}/{line['part'] or ''}']"
        )
        national = row.find_element(By.CSS_SELECTOR, "[data-field=national]").text.split()[0]
        company = row.find_element(By.CSS_SELECTOR, "[data-field=company]").text.split()[0]
        difference = row.find_element(By.CSS_SELECTOR, "[data-field=difference]").text
        assert abs(float(national) - line["score"]) <= ROUNDING
        if line["company_score"] is None:
            assert (company, difference) == (NOT_SHOWN, NOT_SHOWN)
        else:
            assert abs(float(company) - line["company_score"]) <= ROUNDING
            assert abs(float(difference) - line["score_difference"]) <= ROUNDING
    assert abs(shown(browser, "[data-field=national_total]") - risk["spend_weighted_score"]) <= ROUNDING
    assert abs(shown(browser, "[data-field=company_total]") - risk["company"]["spend_weighted_score"]) <= ROUNDING
    assert abs(shown(browser, "[data-field=company_difference]") - risk["company_difference"]) <= ROUNDING
    assert abs(shown(browser, "[data-field=company_max]") - risk["company"]["max_score"]) <= ROUNDING
    assert browser.text("[data-field=company_band]") == risk["company"]["band"]
    assert browser.axe() == []
    browser.driver.save_screenshot(str(screenshot_path("portfolio-company")))


def test_a_portfolio_without_company_sourcing_says_every_score_is_national(
    browser: Browser, console_stack: LocalStack, api: ApiClient
) -> None:
    visit(browser, console_stack, f"#/portfolio/{PORTFOLIO_ID}", "portfolio")
    assert not any(line["company_sourced"] for line in api_body(api, f"/v1/portfolios/{PORTFOLIO_ID}/risk")["items"])
    assert "every score is the national one" in browser.text("[data-field=company_none]")
    assert browser.axe() == []


def test_what_if_shows_the_company_specific_before_and_after(
    browser: Browser, console_stack: LocalStack, api: ApiClient, company_portfolio: str
) -> None:
    visit(browser, console_stack, "#/whatif", "whatif")
    Select(browser.driver.find_element(By.ID, "f-portfolio")).select_by_value(company_portfolio)
    browser.driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()  # CN bans dysprosium to JP
    browser.wait_for("#whatif-result tr[data-company-item]")
    expected = form_scenario(api, company_portfolio)
    assert expected["company_items"]
    rows = browser.driver.find_elements(By.CSS_SELECTOR, "#whatif-result tr[data-company-item]")
    assert sorted(int(r.get_attribute("data-company-item") or -1) for r in rows) == sorted(
        line["item_index"] for line in expected["company_items"]
    )
    for line in expected["company_items"]:
        row = browser.driver.find_element(By.CSS_SELECTOR, f"tr[data-company-item='{line['item_index']}']")
        for side in ("baseline", "scenario"):
            value = float(row.find_element(By.CSS_SELECTOR, f"[data-field={side}]").text.split()[0])
            assert abs(value - line[side]["score"]) <= ROUNDING
        assert abs(float(row.find_element(By.CSS_SELECTOR, "[data-field=delta]").text) - line["delta"]) <= ROUNDING
    assert browser.axe() == []


def test_material_page_shows_each_producing_countrys_governance_next_to_its_share(
    browser: Browser, console_stack: LocalStack, api: ApiClient
) -> None:
    visit(browser, console_stack, "#/material/dysprosium", "material")
    material = api_body(api, "/v1/materials/dysprosium")
    with_governance = 0
    for stage, shares in material["stages"].items():
        for share in shares:
            row = f"ol[data-stage='{stage}'] li[data-country='{share['country']}']"
            shown_text = browser.text(f"{row} [data-field=governance]")
            reply = api.request("GET", f"/v1/countries/{share['country']}/governance", token="team-a")
            if reply.status == 404:
                assert shown_text == NOT_SHOWN
                continue
            assert reply.status == 200, reply.body
            with_governance += 1
            value, year = shown_text.split("/10 ")
            assert abs(float(value) - reply.body["governance_risk"]) <= ROUNDING
            assert year == f"({reply.body['year']})"
    assert with_governance > 0
    assert browser.axe() == []
