// The trace list stays live: every few seconds the rows of the same filters are fetched again
// (as HTML rendered by the server) and replace the table body when they changed. Only the first
// page is live; older pages stay as they were.
const table = document.getElementById('traces');
const body = document.getElementById('trace-rows');
const note = document.getElementById('live-note');
const PERIOD_MS = 3000;

async function refresh() {
  const query = table.dataset.query;
  const url = '/?' + (query ? query + '&' : '') + 'fragment=rows';
  try {
    const response = await fetch(url, { headers: { accept: 'text/html' } });
    if (!response.ok) throw new Error('HTTP ' + response.status);
    const html = await response.text();
    if (html !== body.dataset.last) {
      const before = new Set([...body.querySelectorAll('tr[data-trace-id]')].map((r) => r.dataset.traceId));
      body.innerHTML = html;
      body.dataset.last = html;
      for (const row of body.querySelectorAll('tr[data-trace-id]')) {
        if (before.size && !before.has(row.dataset.traceId)) row.classList.add('new');
      }
    }
    note.textContent = 'Live: updated ' + new Date().toLocaleTimeString();
  } catch (error) {
    note.textContent = 'Live updates paused (' + error.message + '); retrying.';
  }
}

if (table && table.dataset.live === 'true') {
  body.dataset.last = body.innerHTML;
  setInterval(() => { if (!document.hidden) refresh(); }, PERIOD_MS);
}
