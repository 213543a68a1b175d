"""Headless Chromium for the browser tier: Debian's `chromium` driven by its `chromium-driver` through Selenium.

Selenium rather than Playwright: the tests are pytest, Debian ships the driver built for exactly its browser
(no version drift, and nothing downloads a browser: Selenium Manager is bypassed by naming both executables), and
no Node process sits between the test and the browser. docs/decisions.md 64.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from local.static_site import AXE_CORE_PATH, missing_web_assets

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WAIT_S = 60  # an upper bound for a page to render against the local stack, never a timing assertion

#: The closed network refuses connections: without the background-networking flags Chromium keeps trying.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,1000",
)


def missing_browser_prerequisites() -> list[str]:
    """What this machine lacks for the browser tier (empty when nothing); `make browser-deps` installs it."""
    missing = [f"{p} (apt-get install chromium chromium-driver)" for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    return missing + missing_web_assets()


class Browser:
    """One headless Chromium with a fresh profile, removed on close()."""

    def __init__(self) -> None:
        self.profile = tempfile.mkdtemp(prefix="console-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={self.profile}"):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
        self.driver.set_script_timeout(WAIT_S)

    def close(self) -> None:
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)

    def wait_for_view(self, name: str) -> None:
        """Wait until the console has rendered the view `name` (main[data-ready=name])."""
        WebDriverWait(self.driver, WAIT_S).until(
            lambda d: d.find_element(By.ID, "view").get_attribute("data-ready") == name
        )

    def wait_for(self, css: str) -> Any:
        return WebDriverWait(self.driver, WAIT_S).until(lambda d: d.find_elements(By.CSS_SELECTOR, css) or False)[0]

    def texts(self, css: str) -> list[str]:
        return [e.text for e in self.driver.find_elements(By.CSS_SELECTOR, css)]

    def text(self, css: str) -> str:
        return str(self.driver.find_element(By.CSS_SELECTOR, css).text)

    def severe_console_errors(self) -> list[str]:
        return [str(e["message"]) for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]

    def axe(self) -> list[dict[str, Any]]:
        """axe-core (npm, self-hosted) on the current page: its serious and critical violations."""
        self.driver.execute_script(AXE_CORE_PATH.read_text(encoding="utf-8"))
        result = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {resultTypes: ['violations']}).then((r) => done(r.violations), (e) => done(String(e)));"
        )
        assert isinstance(result, list), result
        return [v for v in result if v.get("impact") in ("serious", "critical")]
