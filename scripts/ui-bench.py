#!/usr/bin/env python3
"""Benchmark of the web UI in headless Chromium: trace list first paint, and opening a 20-span
and a 100,000-span trace (time to the first paint and to a usable tree), then scrolling the large
tree. Run against a release server on an empty store:

    cargo run --release -- serve --store /tmp/ui-bench.db &
    python3 scripts/ui-bench.py http://127.0.0.1:4318

Needs Debian's chromium and chromedriver and `pip install selenium`. Prints JSON with medians
over the runs (milliseconds)."""

import json
import statistics
import sys
import tempfile
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

BASE = sys.argv[1].rstrip("/")
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 3


def post(spans, service):
    body = json.dumps({"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]},
                                          "scopeSpans": [{"scope": {"name": "ui-bench"}, "spans": spans}]}]}).encode()
    request = urllib.request.Request(BASE + "/v1/traces", data=body, headers={"content-type": "application/json"})
    with urllib.request.urlopen(request) as response:
        assert response.status == 200, response.status


def make_trace(trace_id, agents, calls):
    base = 1_764_000_000_000_000_000
    spans, counter = [], [0]

    def new_id():
        counter[0] += 1
        return f"{counter[0]:016x}"

    root = new_id()
    spans.append({"traceId": trace_id, "spanId": root, "name": "bench run", "startTimeUnixNano": str(base),
                  "endTimeUnixNano": str(base + agents * 10_000_000),
                  "attributes": [{"key": "gen_ai.operation.name", "value": {"stringValue": "invoke_agent"}}]})
    for a in range(agents):
        agent = new_id()
        start = base + a * 10_000_000
        spans.append({"traceId": trace_id, "spanId": agent, "parentSpanId": root, "name": f"invoke_agent worker_{a % 8}",
                      "startTimeUnixNano": str(start), "endTimeUnixNano": str(start + 9_900_000),
                      "attributes": [{"key": "gen_ai.operation.name", "value": {"stringValue": "invoke_agent"}},
                                     {"key": "gen_ai.agent.name", "value": {"stringValue": f"worker_{a % 8}"}}]})
        for c in range(calls):
            s = start + c * (9_000_000 // max(calls, 1))
            chat = c % 2 == 0
            spans.append({"traceId": trace_id, "spanId": new_id(), "parentSpanId": agent,
                          "name": "chat gpt-4o" if chat else "execute_tool lookup",
                          "startTimeUnixNano": str(s), "endTimeUnixNano": str(s + 50_000),
                          "attributes": [{"key": "gen_ai.operation.name", "value": {"stringValue": "chat" if chat else "execute_tool"}},
                                         {"key": "gen_ai.request.model", "value": {"stringValue": "gpt-4o"}},
                                         {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "100"}},
                                         {"key": "gen_ai.tool.call.arguments", "value": {"stringValue": '{"q": "item %d"}' % c}}]})
    return spans


def browser():
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1600,1000",
                "--user-data-dir=" + tempfile.mkdtemp(prefix="rootspan-bench-")]:
        options.add_argument(arg)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def paint_timings(driver):
    return driver.execute_script("""
        const nav = performance.getEntriesByType('navigation')[0];
        const fcp = performance.getEntriesByName('first-contentful-paint')[0];
        return {response_end: nav.responseEnd, first_contentful_paint: fcp ? fcp.startTime : null,
                tree_ready: document.body.dataset.treeReadyMs ? Number(document.body.dataset.treeReadyMs) : null,
                html_bytes: nav.transferSize};""")


def open_page(driver, url, tree):
    driver.get("about:blank")
    driver.get(url)
    WebDriverWait(driver, 120, poll_frequency=0.02).until(
        lambda d: d.execute_script("return document.body.dataset.treeReady === 'true'") if tree else
        d.execute_script("return document.readyState === 'complete'"))
    time.sleep(0.3)
    return paint_timings(driver)


def scroll_frames(driver):
    """Scrolls the tree through 20 positions to its end; the time of each scroll until the next frame."""
    return driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const tree = document.getElementById('tree');
        const times = [];
        let i = 0;
        function step() {
            if (i > 20) { done(times); return; }
            const t0 = performance.now();
            tree.scrollTop = (tree.scrollHeight - tree.clientHeight) * i / 20;
            tree.dispatchEvent(new Event('scroll'));
            requestAnimationFrame(() => requestAnimationFrame(() => { times.push(performance.now() - t0); i++; step(); }));
        }
        step();""")


def median(values):
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 1) if values else None


small_id = "b0000000000000000000000000000020"
large_id = "b0000000000000000000000000100000"
def stored_spans(trace_id):
    with urllib.request.urlopen(f"{BASE}/api/v1/traces?limit=1000") as response:
        listed = json.load(response)
    return next((t["span_count"] for t in listed["traces"] if t["trace_id"] == trace_id), None)


# The traces are posted once; a rerun on the same store measures the pages alone, not the
# server's work after a burst (analysis, indexing), which the first run waits out.
if stored_spans(large_id) != 100_001:
    post(make_trace(small_id, 2, 9), "ui-bench-small")  # 1 + 2 + 18 = 21 spans
    large = make_trace(large_id, 1000, 99)  # 1 + 1000 + 99,000 = 100,001 spans
    for start in range(0, len(large), 10_000):
        post(large[start:start + 10_000], "ui-bench-large")
    time.sleep(20)

driver = browser()
try:
    results = {"runs": RUNS}
    for name, url, tree in [("trace_list", BASE + "/", False), ("trace_20_spans", f"{BASE}/traces/{small_id}", True),
                            ("trace_100k_spans", f"{BASE}/traces/{large_id}", True)]:
        samples = [open_page(driver, url, tree) for _ in range(RUNS)]
        results[name] = {key: median([s[key] for s in samples]) for key in samples[0]}
    frames = scroll_frames(driver)
    results["trace_100k_scroll_frame_ms"] = {"median": median(frames), "max": round(max(frames), 1)}
    print(json.dumps(results, indent=1))
finally:
    driver.quit()
