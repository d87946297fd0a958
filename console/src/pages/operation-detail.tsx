import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, getJson, withQuery } from '../api/http';
import type { OperationState, OperationTimeline } from '../api/types';
import { watch, type WatchState } from '../api/watch';
import { CopyButton } from '../components/copy-button';
import { ErrorBox, LiveIndicator, Loading } from '../components/feedback';
import { Gantt, GanttLegend, type Zoom } from '../components/gantt';
import { History } from '../components/history';
import { StatePanel } from '../components/state-panel';
import { StatusBadge } from '../components/status';
import { useLoad, useNow, useTitle } from '../hooks';
import { formatDuration, parseDuration, shortTime, toMs } from '../model/time';
import { href, Link, updateQuery } from '../router';
import { useSession } from '../session';
import { markOnce } from '../timing';

const THRESHOLDS = ['', '10ms', '100ms', '1s', '10s', '1m'];
const FINISHED = new Set(['succeeded', 'failed', 'cancelled']);

function parseZoom(text: string | null): Zoom | null {
  const match = /^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)$/.exec(text ?? '');
  if (!match) return null;
  const [fromMs, toMs] = [Number(match[1]), Number(match[2])];
  return toMs > fromMs ? { fromMs, toMs } : null;
}

function zoomText(zoom: Zoom | null): string | null {
  return zoom ? `${Math.round(zoom.fromMs)}-${Math.round(zoom.toMs)}` : null;
}

function positiveInt(text: string | null): number | null {
  const value = Number(text);
  return text !== null && Number.isInteger(value) && value >= 1 ? value : null;
}

/** Version slider: the state and timeline as they were right after any version. */
function TimeTravel({ version, latest }: { version: number | null; latest: number }) {
  const [value, setValue] = useState(version ?? latest);
  const timer = useRef<ReturnType<typeof setTimeout>>();
  useEffect(() => setValue(version ?? latest), [version, latest]);
  const commit = (next: number) => {
    setValue(next);
    clearTimeout(timer.current);
    timer.current = setTimeout(() => updateQuery({ v: next >= latest ? null : next }), 150);
  };
  return (
    <section class="time-travel" aria-labelledby="tt-title">
      <h2 id="tt-title">Time travel</h2>
      <div class="toolbar">
        <label for="tt-slider">Version</label>
        <input
          id="tt-slider"
          type="range"
          min={1}
          max={Math.max(1, latest)}
          step={1}
          value={value}
          aria-valuetext={`version ${value} of ${latest}`}
          onInput={(event) => commit(Number((event.target as HTMLInputElement).value))}
        />
        <output for="tt-slider" data-testid="tt-value">
          {value} / {latest}
        </output>
        {version !== null ? (
          <button type="button" onClick={() => updateQuery({ v: null })}>
            Back to live
          </button>
        ) : null}
      </div>
    </section>
  );
}

/**
 * One operation: its stages as a Gantt chart (one bar per attempt, live), its state, its history,
 * time travel to any version, and copy buttons for the id and the equivalent CLI and curl commands.
 */
export function OperationDetail({ id, query }: { id: string; query: URLSearchParams }) {
  useTitle(id);
  const session = useSession();
  const version = positiveInt(query.get('v'));
  const from = positiveInt(query.get('from'));
  const zoom = parseZoom(query.get('zoom'));
  const collapse = query.get('collapseBelow') ?? '';
  const hideBelowMs = parseDuration(collapse);
  const path = `/v1/operations/${encodeURIComponent(id)}`;

  const [current, setCurrent] = useState<OperationState | null>(null);
  const [currentError, setCurrentError] = useState<unknown>(null);
  const [live, setLive] = useState<WatchState>('connecting');
  const [changes, setChanges] = useState(0);

  // The current state, then every change from the watch stream (each run of events ends with a state frame).
  useEffect(() => {
    setCurrent(null);
    setCurrentError(null);
    setChanges(0);
    // At most one timeline read per 200 ms: the first change at once, a burst's last one at the end.
    let timer: ReturnType<typeof setTimeout> | null = null;
    let pending = false;
    const refresh = () => {
      if (timer) {
        pending = true;
        return;
      }
      setChanges((n) => n + 1);
      timer = setTimeout(() => {
        timer = null;
        if (pending) {
          pending = false;
          refresh();
        }
      }, 200);
    };
    const stop = watch(`${path}/watch`, {
      onState: (state, detail) => {
        setLive(state);
        if (state === 'stopped' && detail) setCurrentError(new Error(detail));
      },
      onMessage: (message) => {
        if (message.event !== 'state') return;
        const state = JSON.parse(message.data) as OperationState | null;
        if (state === null) {
          setCurrentError(
            new ApiError(404, { status: 404, title: 'Not found', detail: `no events recorded for "${id}" yet` }),
          );
          return;
        }
        markOnce('state-data');
        setCurrentError(null);
        setCurrent(state);
        refresh();
      },
    });
    return () => {
      stop();
      if (timer) clearTimeout(timer);
    };
  }, [id]);

  const past = useLoad(
    (signal) =>
      version === null
        ? Promise.resolve(null)
        : getJson<OperationState>(withQuery(path, { atVersion: version }), signal),
    [id, version],
  );
  // Live, the first read waits for the stream's first state (changes 1): one read, not a read at
  // once and another when that state arrives. Later changes refresh it in place.
  const timeline = useLoad(
    (signal) =>
      version === null && changes === 0
        ? Promise.resolve(undefined)
        : getJson<OperationTimeline>(withQuery(`${path}/timeline`, { atVersion: version ?? undefined }), signal).then(
            (data) => {
              markOnce('timeline-data');
              return data;
            },
          ),
    [id, version],
    undefined,
    [version === null ? changes : 0],
  );
  const running = version === null && current !== null && !FINISHED.has(current.status);
  const now = useNow(running, 250);
  useEffect(() => {
    if (current && timeline.data) markOnce('detail-rendered');
  }, [current, timeline.data]);

  if (currentError && !current) return <ErrorBox error={currentError} />;
  if (!current) return <Loading what={`operation ${id}`} />;
  const shown = version === null ? current : past.data;
  const origin = location.origin;
  const at = version === null ? '' : `?atVersion=${version}`;
  const authHeader = session.authentication ? ' -H "Authorization: Bearer $OPLEDGER_API_KEY"' : '';
  const nowMs = version === null || !timeline.data ? now : toMs(timeline.data.updatedAt);

  return (
    <>
      <div class="title-row">
        <h1>
          <span class="muted">Operation</span> <span data-testid="operation-id">{id}</span>
        </h1>
        <StatusBadge status={current.status} />
        <LiveIndicator state={live} />
      </div>
      <div class="toolbar copies">
        <CopyButton text={id} label="id" />
        <CopyButton
          text={`npx opledger get ${id} --url ${origin}${version === null ? '' : ` --at-version ${version}`}`}
          label="CLI command"
        />
        <CopyButton text={`curl${authHeader} '${origin}${path}${at}'`} label="curl command" />
        <Link href={href('/compare', { a: id })}>Compare with another operation…</Link>
      </div>

      <TimeTravel version={version} latest={current.version} />
      {version !== null ? (
        <p class="banner" role="status" data-testid="time-travel-banner">
          Showing the operation as it was at version {version} of {current.version}
          {shown ? ` (last event time ${shortTime(shown.updatedAt)})` : ''}. Live changes are not applied.
        </p>
      ) : null}

      <section aria-labelledby="timeline-title">
        <h2 id="timeline-title">Timeline</h2>
        <div class="toolbar">
          <label>
            Hide stages shorter than{' '}
            <select
              value={collapse}
              onChange={(event) => updateQuery({ collapseBelow: (event.target as HTMLSelectElement).value || null })}
            >
              {THRESHOLDS.map((t) => (
                <option key={t} value={t}>
                  {t === '' ? 'show all' : t}
                </option>
              ))}
            </select>
          </label>
          <span role="group" aria-label="Zoom">
            <button
              type="button"
              disabled={!timeline.data}
              onClick={() => {
                const total = timeline.data?.elapsedMs ?? 0;
                const z = zoom ?? { fromMs: 0, toMs: Math.max(1, total) };
                const mid = (z.fromMs + z.toMs) / 2;
                const half = (z.toMs - z.fromMs) / 4;
                updateQuery({ zoom: zoomText({ fromMs: Math.max(0, mid - half), toMs: mid + half }) });
              }}
            >
              Zoom in
            </button>
            <button
              type="button"
              disabled={!zoom}
              onClick={() => {
                if (!zoom) return;
                const mid = (zoom.fromMs + zoom.toMs) / 2;
                const half = zoom.toMs - zoom.fromMs;
                const total = timeline.data?.elapsedMs ?? Infinity;
                const next = { fromMs: Math.max(0, mid - half), toMs: mid + half };
                updateQuery({ zoom: next.fromMs <= 0 && next.toMs >= total ? null : zoomText(next) });
              }}
            >
              Zoom out
            </button>
            <button type="button" disabled={!zoom} onClick={() => updateQuery({ zoom: null })}>
              Reset zoom
            </button>
          </span>
          {zoom ? (
            <span class="muted">
              showing +{formatDuration(zoom.fromMs)} to +{formatDuration(zoom.toMs)}
            </span>
          ) : (
            <span class="muted">Drag across the chart to zoom.</span>
          )}
          {timeline.data ? (
            <span class="muted">
              {FINISHED.has(timeline.data.status) ? 'took' : 'running for'}{' '}
              {formatDuration(
                FINISHED.has(timeline.data.status) ? timeline.data.elapsedMs : nowMs - toMs(timeline.data.createdAt),
              )}
            </span>
          ) : null}
        </div>
        {timeline.error ? <ErrorBox error={timeline.error} retry={timeline.reload} /> : null}
        {timeline.data ? (
          <>
            <Gantt
              timeline={timeline.data}
              nowMs={nowMs}
              hideBelowMs={hideBelowMs}
              zoom={zoom}
              onZoom={(z) => updateQuery({ zoom: zoomText(z) })}
              label={`Timeline of ${id}: one lane per stage, one bar per attempt`}
            />
            <GanttLegend />
          </>
        ) : timeline.error ? null : (
          <Loading what="timeline" />
        )}
      </section>

      {shown ? (
        <StatePanel state={shown} />
      ) : past.error ? (
        <ErrorBox error={past.error} retry={past.reload} />
      ) : (
        <Loading what="state" />
      )}
      <History
        id={id}
        latestVersion={current.version}
        from={from}
        atVersion={version}
        selected={positiveInt(query.get('event'))}
      />
    </>
  );
}
