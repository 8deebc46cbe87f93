"""Drives the rootspan web UI in headless Chromium (Selenium over ChromeDriver) and checks what a
person would see. Called by crates/rootspan-cli/tests/web_ui.rs with the server's base URL, a JSON
spec of the traces it loaded, and a folder for screenshots. Exits non-zero with a message on the
first check that fails; prints a JSON summary of measured timings on success."""

import json
import re
import sys
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

BASE, SPEC, SHOTS = sys.argv[1], json.load(open(sys.argv[2])), sys.argv[3]
HEX16 = re.compile(r"^[0-9a-f]{16}$")


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def browser():
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for arg in [
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--window-size=1600,1000", "--user-data-dir=" + tempfile.mkdtemp(prefix="rootspan-chromium-"),
    ]:
        options.add_argument(arg)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def wait(driver, predicate, what, timeout=20):
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.05).until(lambda d: predicate(d))
    except Exception as error:  # noqa: BLE001 - the message says what was awaited
        shot(driver, "failed-" + re.sub(r"[^a-z0-9]+", "-", what.lower())[:40])
        raise AssertionError(f"timed out waiting for {what}: {error}") from error


def shot(driver, name):
    driver.save_screenshot(f"{SHOTS}/{name}.png")


def rows(driver):
    return driver.find_elements(By.CSS_SELECTOR, "#tree .row")


def selected_id(driver):
    found = driver.find_elements(By.CSS_SELECTOR, "#tree .row.sel")
    return found[0].get_attribute("data-span-id") if found else None


def tree_ready(driver):
    return driver.execute_script("return document.body.dataset.treeReady === 'true'")


def analysis_loaded(driver):
    return driver.find_elements(By.CSS_SELECTOR, "#analysis #agent-graph")


timings = {}
driver = browser()
try:
    # The trace list: every loaded trace, the silent failure marked.
    started = time.monotonic()
    driver.get(BASE + "/")
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "tr.trace-row"), "trace list rows")
    timings["trace_list_ms"] = round((time.monotonic() - started) * 1000, 1)
    listed = {r.get_attribute("data-trace-id") for r in driver.find_elements(By.CSS_SELECTOR, "tr.trace-row")}
    for trace_id in SPEC["listed"]:
        check(trace_id in listed, f"trace {trace_id} is not in the list ({len(listed)} rows)")
    silent = driver.find_elements(By.CSS_SELECTOR, f"tr[data-trace-id='{SPEC['silent']}']")
    check(silent, "the silent wrong answer is not in the list")
    silent = silent[0]
    check(silent.get_attribute("data-silent-failure") is not None, "the silent wrong answer is not marked as such")
    check("succeeded" in silent.text and "wrong" in silent.text, f"silent failure row says {silent.text!r}")
    shot(driver, "01-trace-list")

    # Search narrows the list.
    box = driver.find_element(By.CSS_SELECTOR, "form.filters input[name=q]")
    box.send_keys(SPEC["search"]["word"])
    box.submit()
    wait(driver, lambda d: "q=" in d.current_url, "the search to run")
    found = {r.get_attribute("data-trace-id") for r in driver.find_elements(By.CSS_SELECTOR, "tr.trace-row")}
    check(SPEC["search"]["trace_id"] in found, f"search for {SPEC['search']['word']!r} misses its trace: {found}")
    check(len(found) < len(listed), "search did not narrow the list")

    # Each faulty trace: rows with span ids, the root cause marked, keyboard, detail panel.
    for case in SPEC["traces"]:
        started = time.monotonic()
        driver.get(f"{BASE}/traces/{case['trace_id']}")
        wait(driver, tree_ready, "the span tree")
        timings.setdefault("open_small_trace_ms", []).append(round((time.monotonic() - started) * 1000, 1))
        shown = rows(driver)
        check(len(shown) == case["spans"], f"{case['trace_id']}: {len(shown)} rows, expected {case['spans']}")
        for row in shown:
            check(HEX16.match(row.get_attribute("data-span-id") or ""), "a row without a 16-hex data-span-id")
        marked = driver.find_elements(By.CSS_SELECTOR, "#tree .row[data-root-cause]")
        check(len(marked) == 1, f"{case['trace_id']}: {len(marked)} rows marked as root cause")
        root_cause = marked[0].get_attribute("data-span-id")
        check(root_cause in case["root_causes"], f"{case['trace_id']}: root cause {root_cause}, expected one of {case['root_causes']}")
        diagnosis = driver.find_element(By.ID, "diagnosis").text
        check(case["failure_mode"].replace("_", "-") in diagnosis.replace("_", "-"), f"diagnosis panel says {diagnosis[:200]!r}")

        # Keyboard: focus the tree, move down, collapse the root, expand it again.
        # Rows are re-rendered on every move: find them again by id, never keep them.
        ids = [row.get_attribute("data-span-id") for row in shown]
        tree = driver.find_element(By.ID, "tree")
        driver.find_element(By.CSS_SELECTOR, f"#tree .row[data-span-id='{ids[0]}'] .nm").click()
        wait(driver, lambda d: selected_id(d) == ids[0], "the first row to be selected")
        tree.send_keys(Keys.ARROW_DOWN)
        wait(driver, lambda d: selected_id(d) == ids[1], "arrow down to select the second row")
        tree.send_keys(Keys.HOME)
        tree.send_keys(Keys.ARROW_LEFT)
        wait(driver, lambda d: len(rows(d)) == 1, "arrow left on the root to collapse the tree")
        check(rows(driver)[0].get_attribute("aria-expanded") == "false", "collapsed root is not aria-expanded=false")
        tree.send_keys(Keys.ARROW_RIGHT)
        wait(driver, lambda d: len(rows(d)) == case["spans"], "arrow right to expand it again")

        # Open the root cause from the diagnosis panel: the detail shows it, the URL names it.
        driver.find_element(By.CSS_SELECTOR, f"#diagnosis a[data-goto='{root_cause}']").click()
        wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, f"#detail [data-detail-span='{root_cause}']"), "the root cause's detail panel")
        check(f"span={root_cause}" in driver.current_url, "the URL does not name the open span")
        detail = driver.find_element(By.ID, "detail")
        for text in case["detail_contains"]:
            check(text in detail.text, f"the detail of {root_cause} lacks {text!r}: {detail.text[:300]!r}")
        raw = detail.find_element(By.CSS_SELECTOR, "details.raw")
        raw.find_element(By.TAG_NAME, "summary").click()
        check(raw.get_attribute("open") is not None and "attributes" in raw.text, "raw attributes do not open")
        wait(driver, analysis_loaded, "the analyses")
        shot(driver, f"02-trace-{case['name']}")

        # A shared link opens the same span.
        driver.get(f"{BASE}/traces/{case['trace_id']}?span={root_cause}")
        wait(driver, tree_ready, "the span tree from a shared link")
        check(selected_id(driver) == root_cause, "a shared ?span= link does not select the span")

    # The multi-agent graph: agents as nodes, delegations as edges.
    driver.get(f"{BASE}/traces/{SPEC['multi_agent']['trace_id']}")
    wait(driver, analysis_loaded, "the analyses of the multi-agent trace")
    agents = {n.get_attribute("data-agent") for n in driver.find_elements(By.CSS_SELECTOR, "#agent-graph g.node")}
    check(len(agents) >= SPEC["multi_agent"]["min_agents"], f"agent graph has {agents}")
    check(driver.find_elements(By.CSS_SELECTOR, "#agent-graph g.edge"), "agent graph has no edges")
    driver.execute_script("document.getElementById('agent-graph').scrollIntoView()")
    shot(driver, "03-agent-graph")

    # The diff of a faulty and a healthy run: the first divergence marked.
    pair = SPEC["diff"]
    driver.get(f"{BASE}/diff?a={pair['a']}&b={pair['b']}")
    marked = wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "[data-first-divergence]"), "the first divergence")
    check(len(marked) == 1, f"{len(marked)} elements marked as first divergence")
    ids = {c.get_attribute("data-span-id") for c in marked[0].find_elements(By.CSS_SELECTOR, "td.side")}
    check(ids & set(pair["accepted"]), f"first divergence at {ids}, expected one of {pair['accepted']}")
    shot(driver, "04-diff")
    # "Compare with the most similar good run" from the faulty trace's page.
    driver.get(f"{BASE}/traces/{pair['a']}")
    wait(driver, tree_ready, "the faulty run's tree")
    driver.find_element(By.CSS_SELECTOR, "a[data-compare-good]").click()
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#steps"), "the auto-picked diff")
    check(pair["b"] in driver.page_source, "the most similar good run is not the healthy pair")

    # A large trace: rows are virtualised, the end is reachable, a span opens.
    big = SPEC["big"]
    started = time.monotonic()
    driver.get(f"{BASE}/traces/{big['trace_id']}")
    wait(driver, tree_ready, "the large trace's tree", timeout=60)
    timings["open_large_trace_ms"] = round((time.monotonic() - started) * 1000, 1)
    in_dom = len(rows(driver))
    check(0 < in_dom < 300, f"{in_dom} rows in the page for a {big['spans']}-span trace (not virtualised)")
    count = driver.execute_script("return JSON.parse(document.getElementById('boot').textContent).outline.rows.length")
    check(count == big["spans"], f"outline has {count} rows, expected {big['spans']}")
    tree = driver.find_element(By.ID, "tree")
    rows(driver)[0].find_element(By.CSS_SELECTOR, ".nm").click()
    tree.send_keys(Keys.END)
    wait(driver, lambda d: selected_id(d) == big["last_span_id"], "End to reach the last span")
    tree.send_keys(Keys.ENTER)
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, f"#detail [data-detail-span='{big['last_span_id']}']"), "the last span's detail")
    shot(driver, "05-large-trace")

    # The other pages render their content.
    for path, selector in [("/clusters", "table.clusters tr[data-signature-id][data-issue-state] .badge"), ("/sessions", "table"), ("/governance", "form.filters")]:
        driver.get(BASE + path)
        wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, selector), f"{path} content")
        shot(driver, "06" + path.replace("/", "-"))
    print(json.dumps({"ok": True, "timings": timings}))
finally:
    driver.quit()
