import { useEffect, useRef, useState } from 'preact/hooks';
import { getJson, withQuery } from '../api/http';
import type { OperationList, OperationState } from '../api/types';
import { watch, type WatchState } from '../api/watch';
import { ErrorBox, LiveIndicator, Loading } from '../components/feedback';
import { StatusBadge, statusIcon } from '../components/status';
import { useLoad, useNow, useTitle } from '../hooks';
import { filtersOf, type ListFilters, OPERATION_STATUSES, queryOf, STAGE_STATUSES } from '../model/list-filters';
import { ago, formatDuration, shortTime, toMs } from '../model/time';
import { href, Link, navigate } from '../router';
import { markOnce } from '../timing';

const PAGE_SIZE = 50;

/** What an operator scans for in a row: what runs now, or else where it stopped. */
function currentStages(op: OperationState): { text: string; running: boolean } {
  const stages = Object.entries(op.stages);
  const running = stages.filter(([, s]) => s.status === 'running').map(([name]) => name);
  if (running.length > 0) return { text: running.join(', '), running: true };
  let last: [string, (typeof stages)[number][1]] | null = null;
  for (const entry of stages) {
    if (entry[1].finishedAt && (!last || entry[1].finishedAt > (last[1].finishedAt ?? ''))) last = entry;
  }
  return last
    ? { text: `${last[0]} ${statusIcon(last[1].status)} ${last[1].status}`, running: false }
    : { text: '–', running: false };
}

function attemptsOf(op: OperationState): { total: number; retries: number } {
  let total = 0;
  let retries = 0;
  for (const stage of Object.values(op.stages)) {
    total += stage.attempts;
    retries += Math.max(0, stage.attempts - 1);
  }
  return { total, retries };
}

/** From an <input type="datetime-local"> (the operator's local time) to RFC 3339 UTC, and back. */
function toUtc(local: string): string {
  return local ? new Date(local).toISOString() : '';
}
function toLocal(utc: string): string {
  if (!utc) return '';
  const date = new Date(utc);
  if (Number.isNaN(date.getTime())) return '';
  const offset = date.getTimezoneOffset() * 60_000;
  return new Date(date.getTime() - offset).toISOString().slice(0, 19);
}

function FilterForm({ filters }: { filters: ListFilters }) {
  const [draft, setDraft] = useState(filters);
  useEffect(() => setDraft(filters), [JSON.stringify(filters)]);
  const set = (changes: Partial<ListFilters>) => setDraft({ ...draft, ...changes });
  const text = (name: 'stage' | 'source' | 'idPrefix', label: string, hint?: string) => (
    <label>
      {label}
      <input
        name={name}
        type="text"
        value={draft[name]}
        placeholder={hint}
        spellcheck={false}
        onInput={(event) => set({ [name]: (event.target as HTMLInputElement).value })}
      />
    </label>
  );
  return (
    <form
      class="filters"
      aria-label="Filters"
      onSubmit={(event) => {
        event.preventDefault();
        navigate(href('/operations', queryOf({ ...draft, cursor: '' })));
      }}
    >
      <fieldset>
        <legend>Status</legend>
        {OPERATION_STATUSES.map((status) => (
          <label key={status} class="check">
            <input
              type="checkbox"
              name="status"
              value={status}
              checked={draft.status.includes(status)}
              onChange={(event) =>
                set({
                  status: (event.target as HTMLInputElement).checked
                    ? [...draft.status, status]
                    : draft.status.filter((s) => s !== status),
                })
              }
            />
            <span aria-hidden="true">{statusIcon(status)}</span> {status}
          </label>
        ))}
      </fieldset>
      {text('idPrefix', 'Id starts with', 'order-4')}
      {text('stage', 'Stage', 'enrich-geo')}
      <label>
        Stage status
        <select
          name="stageStatus"
          value={draft.stageStatus}
          disabled={!draft.stage.trim()}
          onChange={(event) =>
            set({ stageStatus: (event.target as HTMLSelectElement).value as ListFilters['stageStatus'] })
          }
        >
          <option value="">any</option>
          {STAGE_STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      {text('source', 'Source', 'pipeline/merge')}
      <label>
        Updated after <span class="muted">(local time)</span>
        <input
          name="updatedAfter"
          type="datetime-local"
          step="1"
          value={toLocal(draft.updatedAfter)}
          onInput={(event) => set({ updatedAfter: toUtc((event.target as HTMLInputElement).value) })}
        />
      </label>
      <label>
        Updated before <span class="muted">(local time)</span>
        <input
          name="updatedBefore"
          type="datetime-local"
          step="1"
          value={toLocal(draft.updatedBefore)}
          onInput={(event) => set({ updatedBefore: toUtc((event.target as HTMLInputElement).value) })}
        />
      </label>
      <div class="form-actions">
        <button type="submit">Apply filters</button>
        <Link href={href('/operations')}>Clear</Link>
      </div>
    </form>
  );
}

/**
 * The operations list: the API's filters (in the URL, so a view can be shared), keyset pages, and
 * rows that follow the global watch stream: a row whose operation changes is fetched again, and
 * operations not on the page that start or change are counted so the operator can show them.
 */
export function OperationsList({ query }: { query: URLSearchParams }) {
  useTitle('Operations');
  const filters = filtersOf(query);
  const apiQuery = queryOf(filters);
  const key = JSON.stringify(apiQuery);
  const page = useLoad(
    (signal) =>
      getJson<OperationList>(withQuery('/v1/operations', { ...apiQuery, limit: PAGE_SIZE }), signal).then((data) => {
        markOnce('list-data');
        return data;
      }),
    [key],
  );
  // Rows as the page answered, each replaced by a newer state the live stream brought since.
  const [fresher, setFresher] = useState<Map<string, OperationState>>(new Map());
  const [changed, setChanged] = useState<Set<string>>(new Set());
  const [elsewhere, setElsewhere] = useState<Set<string>>(new Set());
  const [live, setLive] = useState<WatchState>('connecting');
  const visible = useRef(new Set<string>());
  const now = useNow(true, 5000);

  const rows =
    page.data?.items.map((op) => {
      const newer = fresher.get(op.id);
      return newer && newer.version > op.version ? newer : op;
    }) ?? null;
  visible.current = new Set(page.data?.items.map((op) => op.id) ?? []);
  useEffect(() => {
    setFresher(new Map());
    setElsewhere(new Set());
    if (page.data) markOnce('list-rendered');
  }, [page.data]);

  // Live: refetch visible rows that changed (coalesced), count the others.
  useEffect(() => {
    const pending = new Set<string>();
    let timer: ReturnType<typeof setTimeout> | null = null;
    const flush = () => {
      timer = null;
      const ids = [...pending];
      pending.clear();
      for (const id of ids) {
        getJson<OperationState>(`/v1/operations/${encodeURIComponent(id)}`)
          .then((fresh) => {
            setFresher((current) =>
              (current.get(fresh.id)?.version ?? 0) >= fresh.version ? current : new Map(current).set(fresh.id, fresh),
            );
            setChanged((current) => new Set(current).add(fresh.id));
          })
          .catch(() => undefined);
      }
    };
    const stop = watch('/v1/events/watch', {
      onState: (state) => setLive(state),
      onMessage: (message) => {
        if (message.event !== 'event') return;
        const subject = (JSON.parse(message.data) as { subject: string }).subject;
        if (visible.current.has(subject)) {
          pending.add(subject);
          timer ??= setTimeout(flush, 250);
        } else {
          setElsewhere((current) =>
            current.has(subject) || current.size > 999 ? current : new Set(current).add(subject),
          );
        }
      },
    });
    return () => {
      stop();
      if (timer) clearTimeout(timer);
    };
  }, []);

  useEffect(() => {
    if (changed.size === 0) return;
    const timer = setTimeout(() => setChanged(new Set()), 1500);
    return () => clearTimeout(timer);
  }, [changed]);

  const firstPage = !filters.cursor;
  return (
    <>
      <h1>Operations</h1>
      <FilterForm filters={filters} />
      <div class="toolbar">
        <LiveIndicator state={live} />
        {elsewhere.size > 0 ? (
          <button
            type="button"
            class="notice"
            onClick={() =>
              firstPage ? page.reload() : navigate(href('/operations', { ...apiQuery, cursor: undefined }))
            }
          >
            {elsewhere.size}
            {elsewhere.size > 999 ? '+' : ''} other operation{elsewhere.size === 1 ? '' : 's'} changed or started · show
            the latest
          </button>
        ) : null}
      </div>
      {page.error ? <ErrorBox error={page.error} retry={page.reload} /> : null}
      {!rows && !page.error ? <Loading what="operations" /> : null}
      {rows ? (
        rows.length === 0 ? (
          <p class="muted" data-testid="no-operations">
            No operation matches these filters.
          </p>
        ) : (
          <table class="data operations" data-testid="operations">
            <caption class="visually-hidden">Operations, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Id</th>
                <th scope="col">Status</th>
                <th scope="col">Running / last stage</th>
                <th scope="col" class="num">
                  Attempts
                </th>
                <th scope="col" class="num">
                  Events
                </th>
                <th scope="col">Age</th>
                <th scope="col">Last update</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((op) => {
                const stages = currentStages(op);
                const attempts = attemptsOf(op);
                return (
                  <tr key={op.id} data-id={op.id} class={changed.has(op.id) ? 'flash' : undefined}>
                    <th scope="row">
                      <Link href={href(`/operations/${encodeURIComponent(op.id)}`)}>{op.id}</Link>
                    </th>
                    <td>
                      <StatusBadge status={op.status} />
                    </td>
                    <td class={stages.running ? 'running-stages' : undefined}>
                      {stages.running ? <span aria-hidden="true">▶ </span> : null}
                      {stages.text}
                    </td>
                    <td class="num">
                      {attempts.total}
                      {attempts.retries > 0 ? (
                        <span class="retries">
                          {' '}
                          ({attempts.retries} {attempts.retries === 1 ? 'retry' : 'retries'})
                        </span>
                      ) : null}
                    </td>
                    <td class="num">{op.eventCount}</td>
                    <td title={shortTime(op.createdAt)}>{formatDuration(Math.max(0, now - toMs(op.createdAt)))}</td>
                    <td>
                      <time dateTime={op.updatedAt} title={shortTime(op.updatedAt)}>
                        {ago(op.updatedAt, now)}
                      </time>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )
      ) : null}
      <nav class="pager" aria-label="Pages">
        {!firstPage ? <Link href={href('/operations', { ...apiQuery, cursor: undefined })}>« Newest</Link> : null}
        {page.data?.nextCursor ? (
          <Link href={href('/operations', { ...apiQuery, cursor: page.data.nextCursor })}>Older »</Link>
        ) : null}
      </nav>
    </>
  );
}
