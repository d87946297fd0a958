import type { ComponentChildren } from 'preact';
import { ApiError, getJson, withQuery } from '../api/http';
import type { IngestStatus, OperationStats, StageAnalytics } from '../api/types';
import { ErrorBox, Loading } from '../components/feedback';
import { Sparkline } from '../components/sparkline';
import { StatusBadge } from '../components/status';
import { useLoad, useTitle } from '../hooks';
import { OPERATION_STATUSES } from '../model/list-filters';
import { ago, formatDuration, shortTime } from '../model/time';
import { href, Link, updateQuery } from '../router';

const WINDOWS = ['15m', '1h', '24h'] as const;

function Card({ title, children, testId }: { title: string; children: ComponentChildren; testId?: string }) {
  return (
    <section class="card" aria-label={title} data-testid={testId}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

function IngestCard({ ingest }: { ingest: IngestStatus }) {
  if (!ingest.consumer.enabled) return <p class="muted">Ingest is off on this instance (INGEST_ENABLED=false).</p>;
  if (!ingest.lag) return <p class="warn">Lag unknown: {ingest.lagError ?? 'not measured yet'}</p>;
  return (
    <>
      <p class="big" data-testid="ingest-lag">
        {ingest.lag.total.toLocaleString()} <span class="unit">records behind</span>
      </p>
      <p class="muted">
        {ingest.consumer.joinedGroup ? 'in its consumer group' : 'not in its consumer group'} · partitions{' '}
        {ingest.lag.partitions.map((p) => `${p.partition}: ${p.lag}`).join(', ') || 'none assigned'}
      </p>
    </>
  );
}

function StageTable({ analytics }: { analytics: StageAnalytics }) {
  if (analytics.stages.length === 0) return <p class="muted">No stage activity in this window.</p>;
  return (
    <table class="data" data-testid="stage-analytics">
      <caption class="visually-hidden">Stages in the last {analytics.window}</caption>
      <thead>
        <tr>
          <th scope="col">Stage</th>
          <th scope="col" class="num">
            Started
          </th>
          <th scope="col" class="num">
            Succeeded
          </th>
          <th scope="col" class="num">
            Failed
          </th>
          <th scope="col" class="num">
            Skipped
          </th>
          <th scope="col" class="num">
            Running
          </th>
          <th scope="col" class="num">
            Failure rate
          </th>
          <th scope="col" class="num">
            p50
          </th>
          <th scope="col" class="num">
            p95
          </th>
          <th scope="col" class="num">
            p99
          </th>
        </tr>
      </thead>
      <tbody>
        {analytics.stages.map((s) => (
          <tr key={s.stage} data-stage={s.stage}>
            <th scope="row">
              <Link href={href('/operations', { stage: s.stage })}>{s.stage}</Link>
            </th>
            <td class="num">{s.started}</td>
            <td class="num">{s.succeeded}</td>
            <td class="num">
              {s.failed > 0 ? (
                <Link href={href('/operations', { stage: s.stage, stageStatus: 'failed' })}>{s.failed}</Link>
              ) : (
                0
              )}
            </td>
            <td class="num">{s.skipped}</td>
            <td class="num">
              {s.running > 0 ? (
                <Link href={href('/operations', { stage: s.stage, stageStatus: 'running' })}>{s.running}</Link>
              ) : (
                0
              )}
            </td>
            <td class="num">{s.failureRate === null ? '–' : `${(s.failureRate * 100).toFixed(1)} %`}</td>
            <td class="num">{formatDuration(s.durationMs.p50)}</td>
            <td class="num">{formatDuration(s.durationMs.p95)}</td>
            <td class="num">{formatDuration(s.durationMs.p99)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * The overview: counts by status, what runs now by stage, dead letters, ingest lag, events per
 * minute and stage analytics. Polls cheap endpoints (counts kept by the service, not a scan).
 */
export function Overview({ query }: { query: URLSearchParams }) {
  useTitle('Overview');
  const windowParam = query.get('window');
  const window = (WINDOWS as readonly string[]).includes(windowParam ?? '') ? (windowParam as string) : '1h';
  const stats = useLoad((signal) => getJson<OperationStats>('/v1/stats', signal), [], 5000);
  const ingest = useLoad((signal) => getJson<IngestStatus>('/v1/stats/ingest', signal), [], 5000);
  const stages = useLoad(
    (signal) =>
      getJson<StageAnalytics>(withQuery('/v1/stats/stages', { window }), signal).catch((error: unknown) => {
        // A service without stage analytics: the rest of the page still works.
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      }),
    [window],
    15_000,
  );
  const now = Date.now();

  return (
    <>
      <h1>Overview</h1>
      <div class="cards">
        <Card title="Operations" testId="card-total">
          {stats.data ? (
            <>
              <p class="big">{stats.data.total.toLocaleString()}</p>
              <p class="muted">{stats.data.inProgress.toLocaleString()} in progress</p>
            </>
          ) : stats.error ? (
            <ErrorBox error={stats.error} retry={stats.reload} />
          ) : (
            <Loading what="counts" />
          )}
        </Card>
        <Card title="Dead letters" testId="card-dead-letters">
          {ingest.data ? (
            <>
              <p class="big">
                <Link href={href('/dead-letters')} data-testid="dead-letter-count">
                  {ingest.data.deadLetters.total.toLocaleString()}
                </Link>
              </p>
              <p class="muted">
                {ingest.data.deadLetters.newestAt
                  ? `newest ${ago(ingest.data.deadLetters.newestAt, now)}`
                  : 'none so far'}
              </p>
            </>
          ) : ingest.error ? (
            <ErrorBox error={ingest.error} retry={ingest.reload} />
          ) : (
            <Loading what="dead letters" />
          )}
        </Card>
        <Card title="Ingest lag" testId="card-lag">
          {ingest.data ? <IngestCard ingest={ingest.data} /> : ingest.error ? null : <Loading what="lag" />}
        </Card>
      </div>

      <div class="columns">
        <section aria-labelledby="by-status">
          <h2 id="by-status">By status</h2>
          {stats.data ? (
            <ul class="bars" data-testid="by-status">
              {OPERATION_STATUSES.map((status) => {
                const count = stats.data!.byStatus[status];
                const share = stats.data!.total ? count / stats.data!.total : 0;
                return (
                  <li key={status}>
                    <Link href={href('/operations', { status })}>
                      <StatusBadge status={status} />
                    </Link>
                    <span class="meter" aria-hidden="true">
                      <span class={`fill status-${status}`} style={{ width: `${Math.round(share * 100)}%` }} />
                    </span>
                    <span class="num" data-status={status}>
                      {count.toLocaleString()}
                    </span>
                  </li>
                );
              })}
            </ul>
          ) : null}
        </section>
        <section aria-labelledby="running-now">
          <h2 id="running-now">In progress now, by stage</h2>
          {stats.data ? (
            Object.keys(stats.data.runningByStage).length === 0 ? (
              <p class="muted">No stage is running.</p>
            ) : (
              <ul class="bars" data-testid="running-by-stage">
                {Object.entries(stats.data.runningByStage)
                  .sort((a, b) => b[1] - a[1])
                  .map(([stage, count]) => (
                    <li key={stage}>
                      <Link href={href('/operations', { stage, stageStatus: 'running' })}>{stage}</Link>
                      <span class="num">{count.toLocaleString()}</span>
                    </li>
                  ))}
              </ul>
            )
          ) : null}
        </section>
      </div>

      <section aria-labelledby="stage-analytics">
        <h2 id="stage-analytics">Stages</h2>
        <div class="toolbar" role="group" aria-label="Window">
          {WINDOWS.map((w) => (
            <button
              key={w}
              type="button"
              aria-pressed={w === window}
              onClick={() => updateQuery({ window: w === '1h' ? null : w })}
            >
              last {w}
            </button>
          ))}
        </div>
        {stages.data === null ? (
          <p class="muted" data-testid="stages-unavailable">
            Stage analytics unavailable: this service has no <code>/v1/stats/stages</code>.
          </p>
        ) : stages.data ? (
          <>
            <h3>Events per minute, last hour</h3>
            <Sparkline
              values={stages.data.series.events}
              labels={stages.data.series.minutes.map(shortTime)}
              label={`Events per minute over the last hour: ${stages.data.series.events.reduce((a, b) => a + b, 0)} in total, at most ${Math.max(0, ...stages.data.series.events)} in one minute`}
            />
            <StageTable analytics={stages.data} />
          </>
        ) : stages.error ? (
          <ErrorBox error={stages.error} retry={stages.reload} />
        ) : (
          <Loading what="stage analytics" />
        )}
      </section>
    </>
  );
}
