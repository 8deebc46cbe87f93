"""Checks in headless Chromium that stored payloads are shown as text and never run: a trace whose
span name, messages and tool arguments hold <script> and onerror payloads is opened in the trace
list and the trace page, and the payloads must appear as text while none of them ran. Also checks
that the Content-Security-Policy blocks an inline script added to the page. Called by
crates/rootspan-cli/tests/web_csp.rs with the server's base URL, the trace id, the span id and a
folder for screenshots; exits non-zero with a message on the first failed check."""

import sys
import tempfile

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

BASE, TRACE, SPAN, SHOTS = sys.argv[1:5]


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def browser():
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for arg in [
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--window-size=1400,900", "--user-data-dir=" + tempfile.mkdtemp(prefix="rootspan-chromium-"),
    ]:
        options.add_argument(arg)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def ran(driver):
    return driver.execute_script("return [window.__pwned, window.__inline]")


driver = browser()
try:
    driver.get(BASE + "/")
    WebDriverWait(driver, 20, poll_frequency=0.05).until(lambda d: TRACE[:8] in d.page_source)
    body = driver.execute_script("return document.body.innerText")
    check("<script>window.__pwned=1</script>" in body, "the list shows the span name as text")
    check(ran(driver) == [None, None], f"a payload ran in the list: {ran(driver)}")

    driver.get(f"{BASE}/traces/{TRACE}?span={SPAN}")
    WebDriverWait(driver, 20, poll_frequency=0.05).until(
        lambda d: "onerror" in d.execute_script("return (document.getElementById('detail') || document.body).innerText")
    )
    detail = driver.execute_script("return document.getElementById('detail').innerText")
    check("<img src=x onerror=" in detail, f"the detail panel shows the payload as text: {detail[:400]}")
    check(not driver.execute_script("return document.querySelector('#detail img, #tree img')"), "no payload became an element")
    driver.save_screenshot(f"{SHOTS}/xss-trace.png")
    check(ran(driver) == [None, None], f"a payload ran on the trace page: {ran(driver)}")

    # The policy itself: an inline script added to the page does not run.
    driver.execute_script(
        "const s = document.createElement('script'); s.textContent = 'window.__inline = 1'; document.body.appendChild(s);"
    )
    check(ran(driver) == [None, None], "the Content-Security-Policy blocked an inline script")
    print("ok: payloads shown as text, none ran, inline script blocked")
finally:
    driver.quit()
