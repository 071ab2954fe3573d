"""The web example (examples/web) as a person uses it: in Chromium, served from an origin of its
own, against a real `taskhub serve` in development mode. Every call it makes is cross-origin, so
the CORS preflights and the headers the API exposes to browsers are exercised for real."""

from __future__ import annotations

import base64
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.wait import WebDriverWait

from taskhub.adapters.jose_tokens import mint_shared_secret_token
from taskhub.adapters.postgres.migrations import upgrade
from tests.support.services import SECRET, running_service, service_environment

pytestmark = pytest.mark.postgres

REPOSITORY = Path(__file__).resolve().parents[2]
WEB_EXAMPLE = REPOSITORY / "examples" / "web"
# Debian's own browser and driver: Selenium must never try to download one.
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WAIT_SECONDS = 10
# A zone with an offset from UTC, so a due date sent without converting it would be caught.
BROWSER_TIME_ZONE = "Europe/Paris"


@dataclass(frozen=True)
class Person:
    """A user of their own for each test, so no test sees another's tasks."""

    api_url: str
    token: str

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The API straight, as another device of the same person would call it."""
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return httpx.request(method, f"{self.api_url}{path}", headers=headers, **kwargs)

    def create(self, title: str) -> dict[str, Any]:
        response = self.call("POST", "/api/tasks", json={"title": title})
        assert response.status_code == 201, response.text
        task: dict[str, Any] = response.json()
        return task

    def task(self, task_id: str) -> httpx.Response:
        return self.call("GET", f"/api/tasks/{task_id}")

    def titles(self) -> list[str]:
        return [task["title"] for task in self.call("GET", "/api/tasks").json()["items"]]


class ExamplePage:
    """The example page, driven through what a person sees: labels, buttons, messages."""

    def __init__(self, driver: WebDriver, origin: str, person: Person) -> None:
        self.driver = driver
        self.origin = origin
        self.person = person
        self.wait = WebDriverWait(driver, WAIT_SECONDS, ignored_exceptions=[StaleElementReferenceException])

    def connect(self, limit: int = 20) -> None:
        query = urlencode({"api": self.person.api_url, "limit": limit})
        self.driver.get(f"{self.origin}/index.html?{query}")
        self.driver.find_element(By.ID, "token").send_keys(self.person.token)
        self.driver.find_element(By.XPATH, "//button[normalize-space()='Connect']").click()
        workspace, status = (
            self.driver.find_element(By.ID, "workspace"),
            self.driver.find_element(By.ID, "status"),
        )
        self.until(
            lambda: workspace.is_displayed() or "error" in (status.get_attribute("class") or ""),
            "the page neither connected nor said why",
        )
        assert workspace.is_displayed(), status.text

    def add(self, title: str, due: str | None = None) -> None:
        title_input = self.driver.find_element(By.ID, "new-title")
        title_input.clear()
        title_input.send_keys(title)
        if due is not None:
            # Typing into datetime-local depends on the browser's locale; setting it does not.
            self.driver.execute_script(
                "arguments[0].value = arguments[1]", self.driver.find_element(By.ID, "new-due"), due
            )
        self.driver.find_element(By.XPATH, "//button[normalize-space()='Add task']").click()

    def titles(self) -> list[str]:
        return [element.text for element in self.driver.find_elements(By.CSS_SELECTOR, "#tasks .title")]

    def item(self, title: str) -> WebElement:
        found: WebElement = self.until(
            lambda: self.driver.find_element(
                By.XPATH, f"//li[contains(@class, 'task')][.//*[@class='title' and text()='{title}']]"
            ),
            f"no task titled {title!r} on the page",
        )
        return found

    def more(self) -> WebElement:
        return self.driver.find_element(By.XPATH, "//button[normalize-space()='More']")

    def edit(self, title: str, new_title: str) -> WebElement:
        item = self.item(title)
        item.find_element(By.CSS_SELECTOR, "button.edit").click()
        title_input = item.find_element(By.CSS_SELECTOR, ".edit-form input[name='title']")
        title_input.clear()
        title_input.send_keys(new_title)
        item.find_element(By.XPATH, ".//button[normalize-space()='Save']").click()
        return item

    def until(self, condition: Callable[[], Any], message: str = "") -> Any:
        return self.wait.until(lambda _: condition(), message)


def artifacts() -> Path:
    folder = Path(os.environ.get("TASKHUB_ARTIFACTS") or REPOSITORY / "test-artifacts") / "web-example"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def whole_page_png(driver: webdriver.Chrome) -> bytes:
    """The whole page, not only the window: messages below the fold are what matters most."""
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}
    )
    return base64.b64decode(shot["data"])


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.is_file()]
    if missing:
        pytest.fail(
            f"{' and '.join(missing)} not found: scripts/ensure-test-services.sh (as root) "
            "or apt-get install chromium chromium-driver installs them",
            pytrace=False,
        )
    options = Options()
    options.binary_location = str(CHROMIUM)
    # --no-sandbox: Chromium refuses to start as root with its sandbox; --disable-dev-shm-usage:
    # containers often give /dev/shm only 64 MB, where Chromium's renderers crash.
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1024"):
        options.add_argument(argument)
    service = Service(executable_path=str(CHROMEDRIVER), env={**os.environ, "TZ": BROWSER_TIME_ZONE})
    driver = webdriver.Chrome(options=options, service=service)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def api_url(fresh_database: Callable[[], str]) -> Iterator[str]:
    url = fresh_database()
    upgrade(url)
    # Development mode: the API lets any http://127.0.0.1:<port> page call it (docs/api.md, CORS).
    with running_service(service_environment(url, TASKHUB_ENV="development")) as service:
        yield service.base_url


@pytest.fixture(scope="module")
def page_origin() -> Iterator[str]:
    """examples/web as a static site on a port of its own: another origin than the API's."""

    class Quiet(SimpleHTTPRequestHandler):
        """A line per file fetched would bury the test's own output."""

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(WEB_EXAMPLE)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def person(api_url: str) -> Person:
    # Signed with the service's secret, as `taskhub token --sub <user>` signs it (and without
    # the CLI's start-up time, once per test).
    user = f"web-{uuid.uuid4().hex[:12]}"
    return Person(api_url, mint_shared_secret_token(SECRET, user, timedelta(minutes=10)))


@pytest.fixture
def page(
    browser: webdriver.Chrome, page_origin: str, person: Person, request: pytest.FixtureRequest
) -> Iterator[ExamplePage]:
    yield ExamplePage(browser, page_origin, person)
    # What the page looked like at the end, passed or failed, to look at afterwards.
    (artifacts() / f"{request.node.name}.png").write_bytes(whole_page_png(browser))


def test_tasks_added_on_the_page_are_listed_newest_first(page: ExamplePage, person: Person) -> None:
    page.connect()

    page.add("Buy milk")
    page.item("Buy milk")
    page.add("Call the plumber")
    page.item("Call the plumber")

    assert page.titles() == ["Call the plumber", "Buy milk"]
    assert person.titles() == ["Call the plumber", "Buy milk"]


def test_a_due_date_is_sent_as_the_moment_the_person_meant(page: ExamplePage, person: Person) -> None:
    page.connect()

    page.add("Pay the rent", due="2030-12-24T18:00")

    due = page.item("Pay the rent").find_element(By.CSS_SELECTOR, "time.due")
    (stored,) = person.call("GET", "/api/tasks").json()["items"]
    assert stored["due_at"] == "2030-12-24T17:00:00Z"  # 18:00 in Paris, in winter
    assert due.get_attribute("datetime") == stored["due_at"]


def test_more_follows_the_next_link_until_every_task_is_shown_once(page: ExamplePage, person: Person) -> None:
    created = [person.create(f"Task {number}")["title"] for number in range(1, 6)]
    page.connect(limit=2)
    assert page.titles() == ["Task 5", "Task 4"]

    page.more().click()
    page.until(lambda: len(page.titles()) == 4, "the second page never came")
    page.more().click()
    page.until(lambda: len(page.titles()) == 5, "the last page never came")

    assert page.titles() == created[::-1]
    page.until(lambda: not page.more().is_displayed(), "More is still offered after the last page")


def test_an_edit_is_saved_against_the_version_the_page_showed(page: ExamplePage, person: Person) -> None:
    task = person.create("Water the plants")
    page.connect()

    page.edit("Water the plants", "Water the ferns")

    page.item("Water the ferns")
    saved = person.task(task["id"]).json()
    assert (saved["title"], saved["version"]) == ("Water the ferns", 2)


def test_an_edit_over_a_version_changed_elsewhere_is_refused_in_words(
    page: ExamplePage, person: Person
) -> None:
    task = person.create("Water the plants")
    page.connect()
    elsewhere = person.call(
        "PATCH", f"/api/tasks/{task['id']}", json={"title": "Water the garden"}, headers={"If-Match": '"1"'}
    )
    assert elsewhere.status_code == 200

    item = page.edit("Water the plants", "Water the ferns")

    conflict = item.find_element(By.CSS_SELECTOR, ".conflict")
    page.until(conflict.is_displayed, "the page showed no conflict")
    assert conflict.get_attribute("role") == "alert"
    assert "was not saved" in conflict.text
    # The current version comes from the 412's ETag, a header the page can read only because the
    # API exposes it to other origins.
    assert "now at version 2" in conflict.text
    assert person.task(task["id"]).json()["title"] == "Water the garden"


def test_reloading_after_a_conflict_lets_the_person_save_their_edit(
    page: ExamplePage, person: Person
) -> None:
    task = person.create("Water the plants")
    page.connect()
    assert person.call("PATCH", f"/api/tasks/{task['id']}", json={"title": "Water the garden"}).is_success
    item = page.edit("Water the plants", "Water the ferns")
    page.until(item.find_element(By.CSS_SELECTOR, ".conflict").is_displayed, "the page showed no conflict")

    item.find_element(By.XPATH, ".//button[normalize-space()='Reload this task']").click()
    page.item("Water the garden")
    item.find_element(By.XPATH, ".//button[normalize-space()='Save']").click()

    page.item("Water the ferns")
    saved = person.task(task["id"]).json()
    assert (saved["title"], saved["version"]) == ("Water the ferns", 3)


def test_the_servers_message_for_a_bad_title_is_shown_next_to_the_title_input(
    page: ExamplePage, person: Person
) -> None:
    too_long = "x" * 201
    (expected,) = person.call("POST", "/api/tasks", json={"title": too_long}).json()["errors"]
    page.connect()

    page.add(too_long)

    title_input = page.driver.find_element(By.ID, "new-title")
    page.until(
        lambda: title_input.get_attribute("aria-invalid") == "true", "the title was not marked invalid"
    )
    message = page.driver.find_element(By.ID, title_input.get_attribute("aria-describedby") or "")
    assert expected["field"] == "title"
    assert message.text == expected["message"]
    assert message == title_input.find_element(By.XPATH, "following-sibling::*[1]")
    assert person.titles() == []


def test_completing_a_task_marks_it_done(page: ExamplePage, person: Person) -> None:
    task = person.create("File the taxes")
    page.connect()
    item = page.item("File the taxes")

    item.find_element(By.XPATH, ".//button[normalize-space()='Complete']").click()

    page.until(lambda: "completed" in (item.get_attribute("class") or ""))
    assert item.find_element(By.CSS_SELECTOR, ".done-badge").is_displayed()
    assert person.task(task["id"]).json()["completed"] is True


def test_deleting_a_task_removes_it_from_the_page_and_the_api(page: ExamplePage, person: Person) -> None:
    kept = person.create("Keep me")
    gone = person.create("Delete me")
    page.connect()

    page.item("Delete me").find_element(By.XPATH, ".//button[normalize-space()='Delete']").click()

    page.until(lambda: page.titles() == ["Keep me"])
    assert person.task(gone["id"]).status_code == 404
    assert person.task(kept["id"]).status_code == 200
