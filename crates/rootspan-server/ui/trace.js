// The trace page: a virtualised span tree with a waterfall. Only the rows in view exist in the
// page, so a 100,000-span trace opens and scrolls like a small one. The rows come from the
// outline the server embedded (#boot); a span's detail is HTML the server renders when the span
// is opened. Keyboard: up/down move, left/right collapse/expand (or go to parent/child), Home/End,
// Enter opens. The URL (?span=ID) names the open span, so every view can be shared.

const boot = JSON.parse(document.getElementById('boot').textContent);
const outline = boot.outline;
const rows = outline.rows;
const H = boot.row_height;
const traceId = outline.trace_id;
const total = Math.max(outline.duration_ns, 1);
// Field positions of a row (outline.fields).
const ID = 0, PARENT = 1, DEPTH = 2, SUBTREE = 3, NAME = 4, KIND = 5, START = 6, DUR = 7, STATUS = 9, LABEL = 10, FLAGS = 13;
const CRITICAL = 1;

const tree = document.getElementById('tree');
const inner = document.getElementById('tree-inner');
const detail = document.getElementById('detail');

const rowOfSpan = new Map();
rows.forEach((row, index) => rowOfSpan.set(row[ID], index));
const collapsed = new Uint8Array(rows.length);
let visible = new Int32Array(0);
let positionOf = new Int32Array(rows.length);
let selected = -1;
let rootCause = boot.diagnosis && boot.diagnosis.root_cause ? boot.diagnosis.root_cause.span_id : null;

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

function duration(ns) {
  if (ns >= 60e9) return (ns / 60e9).toFixed(1) + ' min';
  if (ns >= 1e9) return (ns / 1e9).toFixed(2) + ' s';
  if (ns >= 1e6) return (ns / 1e6).toFixed(1) + ' ms';
  if (ns >= 1e3) return (ns / 1e3).toFixed(0) + ' µs';
  return ns + ' ns';
}

// Pre-order rows: a collapsed row hides the rows of its subtree, which follow it.
function computeVisible() {
  const out = new Int32Array(rows.length);
  positionOf.fill(-1);
  let count = 0;
  for (let i = 0; i < rows.length; ) {
    positionOf[i] = count;
    out[count++] = i;
    i += collapsed[i] ? rows[i][SUBTREE] : 1;
  }
  visible = out.subarray(0, count);
  inner.style.height = count * H + 'px';
}

function rowHtml(index, position) {
  const row = rows[index];
  const hasChildren = row[SUBTREE] > 1;
  let cls = 'row';
  if (row[FLAGS] & CRITICAL) cls += ' crit';
  if (row[STATUS] === 'error') cls += ' err';
  const isRootCause = row[ID] === rootCause;
  if (isRootCause) cls += ' rc';
  if (index === selected) cls += ' sel';
  const left = (row[START] / total) * 100;
  const width = Math.max((row[DUR] / total) * 100, 0.15);
  const kind = escapeHtml(row[KIND]);
  return `<div class="${cls}" role="treeitem" data-row="${index}" data-span-id="${row[ID]}"${isRootCause ? ' data-root-cause' : ''} aria-level="${row[DEPTH] + 1}"${hasChildren ? ` aria-expanded="${collapsed[index] ? 'false' : 'true'}"` : ''}${index === selected ? ' aria-selected="true"' : ''} style="top:${position * H}px">` +
    `<span class="c-name" style="padding-left:${row[DEPTH] * 14 + 4}px"><span class="tw">${hasChildren ? (collapsed[index] ? '▸' : '▾') : ''}</span><span class="kind kind-${kind}">${kind}</span> <span class="nm">${escapeHtml(row[NAME])}</span> <span class="lbl">${escapeHtml(row[LABEL])}</span></span>` +
    `<span class="c-bar"><span class="bar kind-${kind}" style="left:${left.toFixed(3)}%;width:${width.toFixed(3)}%"></span></span>` +
    `<span class="c-dur">${duration(row[DUR])}</span></div>`;
}

let pending = false;
function render() {
  pending = false;
  const first = Math.max(0, Math.floor(tree.scrollTop / H) - 10);
  const last = Math.min(visible.length, first + Math.ceil(tree.clientHeight / H) + 20);
  let html = '';
  for (let p = first; p < last; p++) html += rowHtml(visible[p], p);
  inner.innerHTML = html;
}
function schedule() {
  if (!pending) {
    pending = true;
    requestAnimationFrame(render);
  }
}

function scrollToRow(index) {
  const position = positionOf[index];
  if (position < 0) return;
  const top = position * H;
  if (top < tree.scrollTop) tree.scrollTop = top;
  else if (top + H > tree.scrollTop + tree.clientHeight) tree.scrollTop = top + H - tree.clientHeight;
}

function revealRow(index) {
  let changed = false;
  for (let p = rows[index][PARENT]; p >= 0; p = rows[p][PARENT]) {
    if (collapsed[p]) {
      collapsed[p] = 0;
      changed = true;
    }
  }
  if (changed) computeVisible();
}

async function openDetail(index) {
  const spanId = rows[index][ID];
  const url = new URL(location.href);
  url.searchParams.set('span', spanId);
  history.replaceState(null, '', url);
  if (detail.firstElementChild && detail.firstElementChild.dataset.detailSpan === spanId) return;
  detail.innerHTML = '<p class="sub">Loading…</p>';
  try {
    const response = await fetch(`/traces/${traceId}/spans/${spanId}/fragment`);
    const html = await response.text();
    if (rows[selected] && rows[selected][ID] === spanId) detail.innerHTML = html;
  } catch (error) {
    detail.innerHTML = `<p class="error-box">Could not load the span: ${escapeHtml(error.message)}</p>`;
  }
}

function select(index, open) {
  if (index < 0 || index >= rows.length) return;
  revealRow(index);
  selected = index;
  scrollToRow(index);
  render();
  if (open) openDetail(index);
}

function toggle(index, expand) {
  if (rows[index][SUBTREE] <= 1) return;
  const next = expand === undefined ? !collapsed[index] : !expand;
  collapsed[index] = next ? 1 : 0;
  computeVisible();
  schedule();
}

export function gotoSpan(spanId) {
  const index = rowOfSpan.get(spanId);
  if (index !== undefined) {
    select(index, true);
    tree.focus({ preventScroll: true });
  }
}

tree.addEventListener('scroll', schedule);
window.addEventListener('resize', schedule);

tree.addEventListener('click', (event) => {
  const element = event.target.closest('.row');
  if (!element) return;
  const index = Number(element.dataset.row);
  if (event.target.closest('.tw')) {
    toggle(index);
    return;
  }
  select(index, true);
});

tree.addEventListener('keydown', (event) => {
  const position = selected >= 0 ? positionOf[selected] : -1;
  let handled = true;
  switch (event.key) {
    case 'ArrowDown':
      select(visible[Math.min(visible.length - 1, position + 1)], false);
      break;
    case 'ArrowUp':
      select(visible[Math.max(0, position - 1)], false);
      break;
    case 'ArrowRight':
      if (selected < 0) select(visible[0], false);
      else if (rows[selected][SUBTREE] > 1 && collapsed[selected]) toggle(selected, true);
      else if (rows[selected][SUBTREE] > 1) select(selected + 1, false);
      break;
    case 'ArrowLeft':
      if (selected < 0) break;
      if (rows[selected][SUBTREE] > 1 && !collapsed[selected]) toggle(selected, false);
      else if (rows[selected][PARENT] >= 0) select(rows[selected][PARENT], false);
      break;
    case 'Home':
      select(visible[0], false);
      break;
    case 'End':
      select(visible[visible.length - 1], false);
      break;
    case 'Enter':
    case ' ':
      if (selected >= 0) openDetail(selected);
      break;
    default:
      handled = false;
  }
  if (handled) event.preventDefault();
});

// Links to spans anywhere on the page (diagnosis, charts) open them in the tree.
document.addEventListener('click', (event) => {
  const link = event.target.closest('[data-goto]');
  if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
  if (!rowOfSpan.has(link.dataset.goto)) return;
  event.preventDefault();
  gotoSpan(link.dataset.goto);
});

document.querySelector('[data-action="expand-all"]').addEventListener('click', () => {
  collapsed.fill(0);
  computeVisible();
  schedule();
});
document.querySelector('[data-action="collapse-all"]').addEventListener('click', () => {
  rows.forEach((row, index) => { collapsed[index] = row[SUBTREE] > 1 && row[PARENT] >= 0 ? 1 : 0; });
  computeVisible();
  tree.scrollTop = 0;
  schedule();
});
document.querySelector('[data-action="goto-root-cause"]').addEventListener('click', () => {
  if (rootCause) gotoSpan(rootCause);
});

function verdictHtml(failureMode) {
  const status = outline.summary.error_spans > 0 ? 'error' : 'ok';
  if (!failureMode || failureMode === 'none') {
    return status === 'error' ? '<span class="verdict failed">error</span>' : '<span class="verdict ok">ok</span>';
  }
  const mode = `<span class="mode">${escapeHtml(failureMode)}</span>`;
  return status === 'error'
    ? `<span class="verdict failed">failed</span> ${mode}`
    : `<span class="verdict silent" title="OTel status ok, but the diagnosis found a failure">succeeded · wrong</span> ${mode}`;
}

async function loadDiagnosis() {
  try {
    const response = await fetch(`/traces/${traceId}/fragments/diagnosis`);
    const html = await response.text();
    const old = document.getElementById('diagnosis');
    old.outerHTML = html;
    const fresh = document.getElementById('diagnosis');
    rootCause = (fresh && fresh.dataset.rootCauseId) || null;
    document.getElementById('verdict').innerHTML = verdictHtml(fresh && fresh.dataset.failureMode);
    render();
  } catch (error) {
    document.getElementById('diagnosis').innerHTML = `<p class="error-box">Diagnosis failed: ${escapeHtml(error.message)}</p>`;
  }
}

async function loadAnalysis() {
  const target = document.getElementById('analysis');
  try {
    const response = await fetch(`/traces/${traceId}/fragments/analysis`);
    target.innerHTML = await response.text();
  } catch (error) {
    target.innerHTML = `<section class="panel"><p class="error-box">Analyses failed: ${escapeHtml(error.message)}</p></section>`;
  }
}

computeVisible();
if (boot.selected && rowOfSpan.has(boot.selected)) {
  selected = rowOfSpan.get(boot.selected);
  scrollToRow(selected);
}
render();
document.body.dataset.treeReady = 'true';
document.body.dataset.treeReadyMs = String(Math.round(performance.now()));
if (!boot.diagnosis) loadDiagnosis();
loadAnalysis();
