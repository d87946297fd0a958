import { describeError } from '../api/http';

export function ErrorBox({ error, retry }: { error: unknown; retry?: () => void }) {
  return (
    <div class="error" role="alert">
      <strong>Could not load:</strong> {describeError(error)}
      {retry ? (
        <>
          {' '}
          <button type="button" onClick={retry}>
            Retry
          </button>
        </>
      ) : null}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="loading" role="status">
      Loading {what}…
    </p>
  );
}

/** The state of a live stream, in words. */
export function LiveIndicator({ state, detail }: { state: string; detail?: string }) {
  const text =
    state === 'live'
      ? 'Live'
      : state === 'connecting'
        ? 'Connecting…'
        : state === 'retrying'
          ? 'Reconnecting…'
          : 'Not live';
  return (
    <span class={`live live-${state}`} role="status" title={detail}>
      <span aria-hidden="true">{state === 'live' ? '●' : '○'}</span> {text}
    </span>
  );
}
