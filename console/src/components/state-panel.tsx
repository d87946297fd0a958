import type { OperationState } from '../api/types';
import { JsonBlock, jsonPreview } from './json-block';
import { StatusBadge } from './status';
import { shortTime } from '../model/time';

/** The state of an operation (current, or at a past version): status, stages, result, error, metadata. */
export function StatePanel({ state }: { state: OperationState }) {
  // In the order they started, as on the timeline (never-started ones last).
  const key = (time: string | null) => time ?? '\uffff';
  const stages = Object.entries(state.stages).sort(([a, x], [b, y]) =>
    key(x.firstStartedAt) !== key(y.firstStartedAt)
      ? key(x.firstStartedAt) < key(y.firstStartedAt)
        ? -1
        : 1
      : a < b
        ? -1
        : 1,
  );
  return (
    <section aria-labelledby="state-title" class="state" data-testid="state">
      <h2 id="state-title">State</h2>
      <dl class="facts">
        <dt>Status</dt>
        <dd data-testid="state-status">
          <StatusBadge status={state.status} />
        </dd>
        <dt>Version</dt>
        <dd data-testid="state-version">{state.version}</dd>
        <dt>Events</dt>
        <dd>{state.eventCount}</dd>
        <dt>Created</dt>
        <dd>{shortTime(state.createdAt)}</dd>
        <dt>Updated</dt>
        <dd>{shortTime(state.updatedAt)}</dd>
      </dl>
      {stages.length > 0 ? (
        <table class="data">
          <caption class="visually-hidden">Stages</caption>
          <thead>
            <tr>
              <th scope="col">Stage</th>
              <th scope="col">Status</th>
              <th scope="col" class="num">
                Attempts
              </th>
              <th scope="col">First start</th>
              <th scope="col">Finished</th>
              <th scope="col">Source</th>
              <th scope="col">Error</th>
            </tr>
          </thead>
          <tbody>
            {stages.map(([name, stage]) => (
              <tr key={name} data-stage={name}>
                <th scope="row">{name}</th>
                <td>
                  <StatusBadge status={stage.status} />
                </td>
                <td class="num">{stage.attempts}</td>
                <td>{shortTime(stage.firstStartedAt)}</td>
                <td>{shortTime(stage.finishedAt)}</td>
                <td>{stage.source}</td>
                <td class="error-cell">{stage.error === null ? '' : jsonPreview(stage.error)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <div class="json-grid">
        <div>
          <h3>Result</h3>
          <JsonBlock value={state.result} label="Result" />
        </div>
        <div>
          <h3>Error</h3>
          <JsonBlock value={state.error} label="Error" />
        </div>
        <div>
          <h3>Metadata</h3>
          <JsonBlock value={state.metadata} label="Metadata" />
        </div>
      </div>
    </section>
  );
}
