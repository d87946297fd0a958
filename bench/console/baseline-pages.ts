/**
 * The console benchmark's baseline: the least a page can do to show the same thing, written by hand
 * (no framework, no router, no styles): fetch the same API and put the text into a table. It sets the
 * console's own performance marks, "rendered" after the next paint as Preact's effects are, so the
 * two are timed alike.
 */

const MARK = `
  const mark = (name) => { if (!performance.getEntriesByName('console:' + name).length) performance.mark('console:' + name); };
  const painted = (name) => requestAnimationFrame(() => setTimeout(() => mark(name)));
  const cell = (row, text) => { const td = document.createElement('td'); td.textContent = text; row.append(td); };
`;

export const BASELINE_LIST = `<!doctype html><meta charset="utf-8"><title>baseline list</title><table id="t"></table>
<script>${MARK}
fetch('/v1/operations?limit=50').then((r) => r.json()).then((page) => {
  mark('list-data');
  const table = document.getElementById('t');
  for (const op of page.items) {
    const row = document.createElement('tr');
    cell(row, op.id); cell(row, op.status);
    cell(row, Object.entries(op.stages).filter(([, s]) => s.status === 'running').map(([n]) => n).join(', '));
    cell(row, String(Object.values(op.stages).reduce((n, s) => n + s.attempts, 0)));
    cell(row, String(op.eventCount)); cell(row, op.createdAt); cell(row, op.updatedAt);
    table.append(row);
  }
  painted('list-rendered');
});
</script>`;

export function baselineDetail(id: string): string {
  return `<!doctype html><meta charset="utf-8"><title>baseline detail</title>
<pre id="s"></pre><div id="g"></div><table id="h"></table>
<script>${MARK}
const path = '/v1/operations/${id}';
fetch(path).then((r) => r.json()).then(async (state) => {
  mark('state-data');
  document.getElementById('s').textContent = JSON.stringify(state, null, 2);
  const from = Math.max(1, state.version - 99);
  const [timeline, page] = await Promise.all([
    fetch(path + '/timeline').then((r) => r.json()),
    fetch(path + '/events?fromVersion=' + from + '&limit=100').then((r) => r.json()),
  ]);
  mark('timeline-data'); mark('history-data');
  const start = Date.parse(timeline.createdAt);
  const scale = 800 / Math.max(1, timeline.elapsedMs);
  const chart = document.getElementById('g');
  for (const stage of timeline.stages) {
    const lane = document.createElement('div');
    lane.textContent = stage.stage;
    for (const span of stage.attemptSpans) {
      const bar = document.createElement('span');
      bar.textContent = span.outcome;
      bar.title = String(((Date.parse(span.endedAt || timeline.updatedAt) - Date.parse(span.startedAt || span.endedAt)) * scale) | 0);
      lane.append(bar);
    }
    chart.append(lane);
  }
  const table = document.getElementById('h');
  for (const event of page.events) {
    const row = document.createElement('tr');
    cell(row, String(event.version)); cell(row, event.time); cell(row, event.recordedAt); cell(row, event.type);
    cell(row, (event.data && event.data.stage) || ''); cell(row, event.source);
    table.append(row);
  }
  painted('detail-rendered'); painted('history-rendered');
});
</script>`;
}
