"""Browser fixtures: the app served by `streamlit run`, driven by Playwright in Debian's Chromium.

.ci/run starts the app and sets LENET_APP_URL; without it, the session starts its own server on a free port and
stops it at the end, pass or fail. Never `playwright install`: the browser is /usr/bin/chromium.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from lenet import config

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
SERVER_START_SECONDS = 120


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def wait_for_health(url, deadline_seconds=SERVER_START_SECONDS):
    deadline = time.time() + deadline_seconds
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"the app at {url} did not become healthy within {deadline_seconds} s")


@pytest.fixture(scope="session")
def app_url():
    if os.environ.get("LENET_APP_URL"):
        url = os.environ["LENET_APP_URL"].rstrip("/")
        wait_for_health(url)
        yield url
        return
    scratch = Path(tempfile.mkdtemp(prefix="lenet-browser-"))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = {**os.environ, "LENET_RUNS_DIR": str(scratch / "runs"), "LENET_MY_DIGITS_DIR": str(scratch / "my_digits")}
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.address",
         "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false"],
        cwd=config.PROJECT_ROOT, env=environment, stdout=open(scratch / "streamlit.log", "wb"), stderr=subprocess.STDOUT)
    try:
        wait_for_health(f"http://127.0.0.1:{port}")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium package")
        pytest.skip(f"{CHROMIUM} is missing; `apt-get install -y chromium` to run the browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser, app_url):
    """A fresh visitor (its own browser context, so its own Streamlit session), with console errors collected."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    opened = context.new_page()
    opened.console_errors = []
    opened.on("console", lambda message: message.type == "error" and opened.console_errors.append(message.text))
    opened.app_url = app_url
    yield opened
    context.close()
