import { useEffect, useState } from 'preact/hooks';
import { getJson } from '../api/http';
import type { OperationTimeline } from '../api/types';
import { ErrorBox, Loading } from '../components/feedback';
import { Gantt } from '../components/gantt';
import { StatusBadge } from '../components/status';
import { useLoad, useTitle } from '../hooks';
import { alignStages } from '../model/compare';
import { formatDuration } from '../model/time';
import { href, Link, navigate } from '../router';

function loadTimeline(id: string, signal: AbortSignal) {
  return getJson<OperationTimeline>(`/v1/operations/${encodeURIComponent(id)}/timeline`, signal);
}

function Delta({ ms, base }: { ms: number | null; base: number | null }) {
  if (ms === null) return <>–</>;
  const sign = ms > 0 ? '+' : ms < 0 ? '−' : '±';
  const pct = base ? ` (${sign}${Math.abs((ms / base) * 100).toFixed(0)} %)` : '';
  return (
    <span class={ms > 0 ? 'slower' : ms < 0 ? 'faster' : undefined}>
      {sign}
      {formatDuration(Math.abs(ms))}
      {pct}
      <span class="visually-hidden">{ms > 0 ? ' slower' : ms < 0 ? ' faster' : ''}</span>
    </span>
  );
}

/** Two operations side by side: stage durations and attempts aligned by stage, and both timelines on one scale. */
export function Compare({ query }: { query: URLSearchParams }) {
  useTitle('Compare');
  const a = query.get('a') ?? '';
  const b = query.get('b') ?? '';
  const [draft, setDraft] = useState({ a, b });
  useEffect(() => setDraft({ a, b }), [a, b]);
  const both = useLoad(
    (signal) => (a && b ? Promise.all([loadTimeline(a, signal), loadTimeline(b, signal)]) : Promise.resolve(null)),
    [a, b],
  );
  const data = both.data;
  const rows = data ? alignStages(data[0], data[1]) : [];
  const scale = data ? Math.max(data[0].elapsedMs, data[1].elapsedMs, 1) / 700 : null;

  return (
    <>
      <h1>Compare two operations</h1>
      <form
        class="filters"
        onSubmit={(event) => {
          event.preventDefault();
          navigate(href('/compare', { a: draft.a.trim(), b: draft.b.trim() }));
        }}
      >
        <label>
          First operation
          <input
            name="a"
            required
            spellcheck={false}
            value={draft.a}
            onInput={(e) => setDraft({ ...draft, a: (e.target as HTMLInputElement).value })}
          />
        </label>
        <label>
          Second operation
          <input
            name="b"
            required
            spellcheck={false}
            value={draft.b}
            onInput={(e) => setDraft({ ...draft, b: (e.target as HTMLInputElement).value })}
          />
        </label>
        <div class="form-actions">
          <button type="submit">Compare</button>
        </div>
      </form>
      {!a || !b ? <p class="muted">Enter two operation ids.</p> : null}
      {both.error ? <ErrorBox error={both.error} retry={both.reload} /> : null}
      {a && b && !data && !both.error ? <Loading what="both timelines" /> : null}
      {data ? (
        <>
          <table class="data compare" data-testid="compare">
            <caption>Stages aligned by name (durations from first start to finish)</caption>
            <thead>
              <tr>
                <th scope="col">Stage</th>
                <th scope="col">
                  <Link href={href(`/operations/${encodeURIComponent(a)}`)}>{a}</Link>
                </th>
                <th scope="col" class="num">
                  Attempts
                </th>
                <th scope="col">
                  <Link href={href(`/operations/${encodeURIComponent(b)}`)}>{b}</Link>
                </th>
                <th scope="col" class="num">
                  Attempts
                </th>
                <th scope="col">Second vs first</th>
              </tr>
            </thead>
            <tbody>
              <tr class="total">
                <th scope="row">whole operation</th>
                <td>
                  <StatusBadge status={data[0].status} /> {formatDuration(data[0].elapsedMs)}
                </td>
                <td class="num">–</td>
                <td>
                  <StatusBadge status={data[1].status} /> {formatDuration(data[1].elapsedMs)}
                </td>
                <td class="num">–</td>
                <td>
                  <Delta ms={data[1].elapsedMs - data[0].elapsedMs} base={data[0].elapsedMs} />
                </td>
              </tr>
              {rows.map((row) => (
                <tr key={row.stage} data-stage={row.stage}>
                  <th scope="row">{row.stage}</th>
                  <td>
                    {row.a ? (
                      <>
                        {<StatusBadge status={row.a.status} />} {formatDuration(row.a.durationMs)}
                      </>
                    ) : (
                      'did not run'
                    )}
                  </td>
                  <td class="num">{row.a ? row.a.attempts : '–'}</td>
                  <td>
                    {row.b ? (
                      <>
                        {<StatusBadge status={row.b.status} />} {formatDuration(row.b.durationMs)}
                      </>
                    ) : (
                      'did not run'
                    )}
                  </td>
                  <td class="num">{row.b ? row.b.attempts : '–'}</td>
                  <td>
                    <Delta ms={row.deltaMs} base={row.a?.durationMs ?? null} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <h2>{a}</h2>
          <Gantt timeline={data[0]} nowMs={Date.now()} fixedScaleMsPerPx={scale} label={`Timeline of ${a}`} />
          <h2>{b}</h2>
          <Gantt timeline={data[1]} nowMs={Date.now()} fixedScaleMsPerPx={scale} label={`Timeline of ${b}`} />
        </>
      ) : null}
    </>
  );
}
