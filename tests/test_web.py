"""The web app in a real browser: Debian's Chromium, headless, driven through its chromedriver
(Selenium; nothing is downloaded). The server is the real API over the test database.

With MEDGRAPH_SCREENSHOTS=DIR (`make screenshots`), each page is also saved as a PNG in DIR."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import uvicorn
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service as DriverService
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from medgraphrag.api import create_app
from medgraphrag.api.auth import new_token, token_hash
from medgraphrag.core.processes import free_port
from medgraphrag.core.settings import ApiKey
from medgraphrag.service import MedGraph

WAIT_S = 60.0
SCREENSHOTS = os.environ.get("MEDGRAPH_SCREENSHOTS")


def _binary(*names: str) -> str:
    found = next((p for p in map(shutil.which, names) if p), None)
    assert found, (
        f"none of {', '.join(names)} is installed (make chromium installs Debian's chromium and chromium-driver)"
    )
    return found


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    """Headless Chromium at 1280 x 900."""
    options = webdriver.ChromeOptions()
    options.binary_location = _binary("chromium", "chromium-browser")
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900"):
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must not look for drivers online
    driver = webdriver.Chrome(options=options, service=DriverService(executable_path=_binary("chromedriver")))
    driver.set_page_load_timeout(WAIT_S)
    yield driver
    driver.quit()


def _serve(service: MedGraph, keys: list[ApiKey] | None = None) -> tuple[str, Callable[[], None]]:
    settings = service.settings.replace(api={"keys": [k.model_dump() for k in keys]}) if keys else service.settings
    app = create_app(service=MedGraph(settings, embedder=service.embedder) if keys else service)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + WAIT_S
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)

    def stop() -> None:
        server.should_exit = True
        thread.join(WAIT_S)

    return f"http://127.0.0.1:{port}", stop


@pytest.fixture
def site(service: MedGraph, clinical_vocabulary: None, corpus: Path) -> Iterator[str]:
    """The API and web app over a graph of the test corpus."""
    service.ingest([corpus / "notes"], tier="user")
    service.ingest([corpus / "reference.md"], tier="reference")
    url, stop = _serve(service)
    yield url
    stop()


def _wait(browser: WebDriver, css: str, *, text: str | None = None) -> WebElement:
    def found(driver: WebDriver) -> WebElement | bool:
        for element in driver.find_elements(By.CSS_SELECTOR, css):
            if element.is_displayed() and (text is None or text in element.text):
                return element
        return False

    try:
        # the app re-renders as data arrives: an element seen a moment ago may be gone (stale)
        return WebDriverWait(browser, WAIT_S, ignored_exceptions=[StaleElementReferenceException]).until(found)
    except TimeoutException:
        logs = [entry["message"] for entry in browser.get_log("browser")] if hasattr(browser, "get_log") else []
        raise AssertionError(f"nothing matched {css!r} (text {text!r}); console: {logs}") from None


def _screenshot(browser: WebDriver, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(Path(SCREENSHOTS) / f"{name}.png"))


def test_ask_streams_an_answer_and_a_citation_opens_its_highlighted_span(browser: WebDriver, site: str) -> None:
    browser.get(f"{site}/#/ask")
    question = _wait(browser, "#question")
    question.send_keys("What is the first-line drug therapy for type 2 diabetes?")
    browser.find_element(By.ID, "ask-button").click()
    _wait(browser, "#answer[data-done='yes']")
    answer = browser.find_element(By.ID, "answer-text").text
    assert "Metformin is first-line drug therapy for type 2 diabetes" in answer
    cite = _wait(browser, "#answer-text button[data-cite]")
    number = cite.get_attribute("data-cite")
    cite.click()
    mark = _wait(browser, "#source mark.cited")
    quote = browser.execute_script(
        "return document.querySelector('#citation-' + arguments[0] + ' .quote').textContent", number
    )
    # the highlighted span is the cited chunk, in its document
    assert mark.text.strip().startswith(quote.rstrip("…").strip()[:40])
    assert "Metformin" in mark.text
    # the trace is folded underneath, and opens
    trace = browser.find_element(By.CSS_SELECTOR, "#trace summary")
    trace.click()
    assert "meta-graphs chosen" in browser.find_element(By.ID, "trace").text
    _wait(browser, "iframe.graph")
    _screenshot(browser, "ask")


def test_an_upload_reaches_done_and_its_document_shows_statuses(browser: WebDriver, site: str, tmp_path: Path) -> None:
    note = tmp_path / "family-note.txt"
    note.write_text("Father had a myocardial infarction. The patient denies chest pain. Fever today.\n", "utf-8")
    browser.get(f"{site}/#/documents")
    _wait(browser, "#documents")
    browser.find_element(By.ID, "upload-input").send_keys(str(note))
    _wait(browser, ".job[data-status='done']")
    row = _wait(browser, "#documents tr", text="family-note")
    _screenshot(browser, "documents")
    row.find_element(By.CSS_SELECTOR, "a").click()
    _wait(browser, "#entities")
    statuses = {
        e.text: e.get_attribute("data-status") for e in browser.find_elements(By.CSS_SELECTOR, ".doctext .mention")
    }
    assert statuses["myocardial infarction"] == "family"
    assert statuses["chest pain"] == "negated" and statuses["Fever"] == "affirmed"
    _screenshot(browser, "document")


def test_a_concept_is_found_and_opened(browser: WebDriver, site: str) -> None:
    browser.get(f"{site}/#/concepts")
    box = _wait(browser, "#concept-query")
    box.send_keys("heart attack\n")
    _wait(browser, "#concept-results a", text="Myocardial infarction").click()
    assert _wait(browser, ".concept-name").text == "Myocardial infarction"
    _wait(browser, "#concept-documents table, #concept-documents p")
    _screenshot(browser, "concept")


def test_a_saved_query_runs_and_its_result_shows(browser: WebDriver, site: str) -> None:
    browser.get(f"{site}/#/explore")
    form = _wait(browser, "form.saved-query[data-name='graph-statistics']")
    form.find_element(By.CSS_SELECTOR, "button[type='submit']").click()
    table = _wait(browser, "#cypher-result table.result")
    assert "Document" in table.text or "Chunk" in table.text
    query = browser.find_element(By.ID, "cypher")
    query.send_keys("MATCH (e:Entity)-[r:DEFINITION_OF]->(c:Concept) RETURN e, r, c LIMIT 10")
    browser.find_element(By.CSS_SELECTOR, "#cypher-form button[type='submit']").click()
    graph = _wait(browser, "#cypher-result svg.results")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", graph)
    _screenshot(browser, "explore")


def test_with_keys_the_page_asks_for_one_and_refuses_a_wrong_one(
    browser: WebDriver, service: MedGraph, clinical_vocabulary: None
) -> None:
    token = new_token()
    url, stop = _serve(service, [ApiKey(name="reader", sha256=token_hash(token), scopes=["read"])])
    try:
        browser.get(f"{url}/#/documents")
        key = _wait(browser, "#key-input")
        assert "No documents" not in browser.find_element(By.ID, "main").text
        key.send_keys("not-the-key\n")
        assert "refused" in _wait(browser, "#key-error", text="refused").text
        key.clear()
        key.send_keys(token + "\n")
        _wait(browser, "#main", text="No documents yet")
        assert not browser.find_element(By.ID, "key-form").is_displayed()
    finally:
        browser.execute_script("sessionStorage.clear()")
        stop()


def test_the_app_works_at_phone_size(browser: WebDriver, site: str) -> None:
    browser.set_window_size(390, 844)
    try:
        browser.get(f"{site}/#/ask")
        _wait(browser, "#question")
        width = browser.execute_script("return document.documentElement.scrollWidth")
        assert width <= 390, f"the page is {width} px wide at 390 px"
        _screenshot(browser, "ask-phone")
    finally:
        browser.set_window_size(1280, 900)
