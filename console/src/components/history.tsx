import { Fragment } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { describeError, getJson, withQuery } from '../api/http';
import type { ApiEvent, EventsPage, OperationState } from '../api/types';
import { useLoad } from '../hooks';
import { CSV_COLUMNS, csvLine, ndjsonLine } from '../model/history-export';
import { lateFlags } from '../model/late-events';
import { shortTime } from '../model/time';
import { updateQuery } from '../router';
import { markOnce } from '../timing';
import { ErrorBox, Loading } from './feedback';
import { JsonBlock } from './json-block';

export const HISTORY_PAGE = 100;
const EXPORT_PAGE = 1000;

interface HistoryProps {
  id: string;
  /** The operation's current version (grows live). */
  latestVersion: number;
  /** The first version of the page from the URL; null follows the newest page. */
  from: number | null;
  /** Time travel: rows after this version are dimmed. */
  atVersion: number | null;
  /** The selected event from the URL (`?event=`): shown, its JSON open, scrolled to when the page opens. */
  selected: number | null;
}

function stageOf(event: ApiEvent): string {
  const stage = event.data?.stage;
  return typeof stage === 'string' ? stage : '';
}

async function loadPage(id: string, from: number, signal: AbortSignal) {
  const path = `/v1/operations/${encodeURIComponent(id)}`;
  // The latest time before the page decides which of its events are late: the state at the
  // version before the page has it as updatedAt (the fold keeps the greatest event time).
  const [page, before] = await Promise.all([
    getJson<EventsPage>(withQuery(`${path}/events`, { fromVersion: from, limit: HISTORY_PAGE }), signal),
    from > 1 ? getJson<OperationState>(withQuery(path, { atVersion: from - 1 }), signal) : Promise.resolve(null),
  ]);
  markOnce('history-data');
  return { page, late: lateFlags(page.events, before?.updatedAt ?? null) };
}

/** Pages through the whole history into a file, without rendering it: thousands of events stay cheap. */
async function download(id: string, format: 'csv' | 'ndjson', progress: (text: string) => void): Promise<void> {
  const lines: string[] = format === 'csv' ? [CSV_COLUMNS.join(',')] : [];
  let from: number | null = 1;
  let latest: string | null = null;
  while (from !== null) {
    const page: EventsPage = await getJson<EventsPage>(
      withQuery(`/v1/operations/${encodeURIComponent(id)}/events`, { fromVersion: from, limit: EXPORT_PAGE }),
    );
    const flags = lateFlags(page.events, latest);
    page.events.forEach((event, i) => {
      lines.push(format === 'csv' ? csvLine(event, flags[i]) : ndjsonLine(event, flags[i]));
      if (latest === null || event.time > latest) latest = event.time;
    });
    progress(`${lines.length - (format === 'csv' ? 1 : 0)} events…`);
    from = page.nextFromVersion;
  }
  const blob = new Blob([`${lines.join('\n')}\n`], { type: format === 'csv' ? 'text/csv' : 'application/x-ndjson' });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = `${id}-history.${format === 'csv' ? 'csv' : 'ndjson'}`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  progress(`Downloaded ${lines.length - (format === 'csv' ? 1 : 0)} events.`);
}

/**
 * The event history as a table, one page of 100 at a time (the newest page unless the URL says
 * otherwise), with late events flagged and the raw JSON of any event on demand. The newest page
 * follows new events live. The whole history downloads as CSV or NDJSON.
 */
export function History({ id, latestVersion, from, atVersion, selected }: HistoryProps) {
  const lastPageStart = Math.max(1, latestVersion - HISTORY_PAGE + 1);
  // A selected event older than the newest page brings the page around it.
  const start =
    from !== null
      ? Math.max(1, Math.min(from, latestVersion))
      : selected !== null && selected < lastPageStart
        ? Math.max(1, selected - HISTORY_PAGE / 2)
        : lastPageStart;
  // Following the tail: reload when a new version arrives (one small page, never the whole history).
  const tail = from === null || start + HISTORY_PAGE > latestVersion;
  const loaded = useLoad((signal) => loadPage(id, start, signal), [id, start], undefined, [tail ? latestVersion : 0]);
  const [open, setOpen] = useState<Set<number>>(() => new Set(selected === null ? [] : [selected]));
  const [exporting, setExporting] = useState<string | null>(null);
  const [jump, setJump] = useState('');
  const scrolledTo = useRef<string | null>(null);
  useEffect(() => setOpen(new Set(selected === null ? [] : [selected])), [id]);
  useEffect(() => {
    if (selected !== null) setOpen((current) => (current.has(selected) ? current : new Set(current).add(selected)));
  }, [selected]);
  useEffect(() => {
    if (!loaded.data) return;
    markOnce('history-rendered');
    // A shared link to an event: bring its row into view once, when it is first on the page.
    const key = `${id}@${selected}`;
    if (selected === null || scrolledTo.current === key) return;
    const row = document.querySelector(`tr[data-version="${selected}"]`);
    if (row) {
      scrolledTo.current = key;
      row.scrollIntoView({ block: 'center' });
    }
  }, [loaded.data]);

  const go = (version: number | null) => updateQuery({ from: version }, false);
  const data = loaded.data;

  return (
    <section aria-labelledby="history-title" class="history">
      <h2 id="history-title">History</h2>
      <div class="toolbar">
        <nav class="pager" aria-label="History pages">
          <button type="button" onClick={() => go(1)} disabled={start === 1}>
            « First
          </button>
          <button type="button" onClick={() => go(Math.max(1, start - HISTORY_PAGE))} disabled={start === 1}>
            ‹ Earlier
          </button>
          <span>
            versions {start}–{Math.min(latestVersion, start + HISTORY_PAGE - 1)} of {latestVersion}
          </span>
          <button
            type="button"
            onClick={() => go(start + HISTORY_PAGE)}
            disabled={start + HISTORY_PAGE > latestVersion}
          >
            Later ›
          </button>
          <button type="button" onClick={() => go(null)} disabled={from === null}>
            Newest »
          </button>
        </nav>
        <form
          class="inline"
          onSubmit={(event) => {
            event.preventDefault();
            const version = Number(jump);
            if (Number.isInteger(version) && version >= 1) go(Math.max(1, Math.min(version, latestVersion)));
          }}
        >
          <label>
            Go to version{' '}
            <input
              type="number"
              min={1}
              max={latestVersion}
              value={jump}
              onInput={(e) => setJump((e.target as HTMLInputElement).value)}
            />
          </label>
          <button type="submit">Go</button>
        </form>
        <span class="downloads">
          <button
            type="button"
            disabled={exporting !== null && exporting.endsWith('…')}
            onClick={() =>
              download(id, 'csv', setExporting).catch((e: unknown) =>
                setExporting(`Download failed: ${describeError(e)}`),
              )
            }
          >
            Download CSV
          </button>
          <button
            type="button"
            disabled={exporting !== null && exporting.endsWith('…')}
            onClick={() =>
              download(id, 'ndjson', setExporting).catch((e: unknown) =>
                setExporting(`Download failed: ${describeError(e)}`),
              )
            }
          >
            Download NDJSON
          </button>
          <span role="status">{exporting}</span>
        </span>
      </div>
      {loaded.error ? <ErrorBox error={loaded.error} retry={loaded.reload} /> : null}
      {!data && !loaded.error ? <Loading what="history" /> : null}
      {data ? (
        <table class="data history-table" data-testid="history">
          <caption class="visually-hidden">
            Events {start} to {start + data.page.events.length - 1}
          </caption>
          <thead>
            <tr>
              <th scope="col" class="num">
                Version
              </th>
              <th scope="col">Time (UTC)</th>
              <th scope="col">Recorded at</th>
              <th scope="col">Type</th>
              <th scope="col">Stage</th>
              <th scope="col">Source</th>
              <th scope="col">Raw</th>
            </tr>
          </thead>
          <tbody>
            {data.page.events.map((event, i) => {
              const late = data.late[i];
              const future = atVersion !== null && event.version > atVersion;
              const expanded = open.has(event.version);
              const chosen = event.version === selected;
              return (
                <Fragment key={event.version}>
                  <tr
                    data-version={event.version}
                    aria-current={chosen ? 'true' : undefined}
                    class={
                      [late ? 'late' : '', future ? 'future' : '', chosen ? 'selected' : ''].join(' ').trim() ||
                      undefined
                    }
                  >
                    <td class="num">
                      {chosen ? <span aria-hidden="true">▸ </span> : null}
                      {event.version}
                    </td>
                    <td>
                      <time dateTime={event.time}>{shortTime(event.time)}</time>
                      {late ? (
                        <span class="late-flag" title="Recorded after an event of this operation that happened later">
                          {' '}
                          ⚠ late
                        </span>
                      ) : null}
                    </td>
                    <td>{shortTime(event.recordedAt)}</td>
                    <td>{event.type}</td>
                    <td>{stageOf(event)}</td>
                    <td>{event.source}</td>
                    <td>
                      <button
                        type="button"
                        aria-expanded={expanded}
                        aria-controls={`raw-${event.version}`}
                        onClick={() => {
                          const next = new Set(open);
                          if (expanded) next.delete(event.version);
                          else next.add(event.version);
                          setOpen(next);
                          // The URL names the event last opened, so the link shares it.
                          if (!expanded) updateQuery({ event: event.version });
                          else if (chosen) updateQuery({ event: null });
                        }}
                      >
                        {expanded ? 'Hide JSON' : 'JSON'}
                        <span class="visually-hidden"> of version {event.version}</span>
                      </button>
                    </td>
                  </tr>
                  {expanded ? (
                    <tr class="raw" id={`raw-${event.version}`}>
                      <td colSpan={7}>
                        <JsonBlock value={event} label={`Event ${event.version} as JSON`} />
                      </td>
                    </tr>
                  ) : null}
                </Fragment>
              );
            })}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
