import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { describeError, getJson, postJson, withQuery } from '../api/http';
import type { DeadLetter, DeadLetterPage, RepublishResult } from '../api/types';
import { ErrorBox, Loading } from '../components/feedback';
import { useLoad, useTitle } from '../hooks';
import { shortTime } from '../model/time';
import { href, Link, updateQuery } from '../router';
import { isAdmin, useSession } from '../session';

const PAGE_SIZE = 50;
const PREVIEW = 160;

function preview(letter: DeadLetter): string {
  if (letter.payload === null) return '(no payload)';
  const text = letter.payloadEncoding === 'base64' ? `base64: ${letter.payload}` : letter.payload;
  return text.length > PREVIEW ? `${text.slice(0, PREVIEW - 1)}…` : text;
}

function origin(letter: DeadLetter): string {
  if (letter.channel !== 'kafka') return letter.channel;
  return `${letter.topic ?? '?'} [${letter.partition ?? '?'}] @${letter.offset ?? '?'}`;
}

/**
 * Dead letters (admin only, as in the API): why each input was refused, where it came from and a
 * preview of its payload (as text; base64 when it is not UTF-8); Kafka ones can be re-published.
 */
export function DeadLetters({ query }: { query: URLSearchParams }) {
  useTitle('Dead letters');
  const session = useSession();
  const cursor = query.get('cursor') ?? undefined;
  // The dead letter named in the URL (`?letter=`) is shown open, so a link can point at one.
  const chosen = Number(query.get('letter')) || null;
  const admin = isAdmin(session);
  const page = useLoad(
    (signal) =>
      admin
        ? getJson<DeadLetterPage>(withQuery('/v1/dead-letters', { limit: PAGE_SIZE, cursor }), signal)
        : Promise.resolve(null),
    [cursor, admin],
  );
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [open, setOpen] = useState<Set<number>>(() => new Set(chosen ? [chosen] : []));
  const [outcome, setOutcome] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  if (!admin) {
    return (
      <>
        <h1>Dead letters</h1>
        <p class="notice" data-testid="needs-admin">
          Dead letters hold raw producer payloads, so the API shows them to the <strong>admin</strong> role only; this
          key is a <strong>{session.role}</strong>. The overview shows how many there are.
        </p>
      </>
    );
  }

  const republish = async () => {
    setBusy(true);
    setOutcome(null);
    try {
      const result = await postJson<RepublishResult>('/v1/dead-letters/republish', {
        ids: [...selected].sort((a, b) => a - b),
      });
      setOutcome(
        `Re-published ${result.republished.length} to the main topic` +
          (result.notFound.length
            ? `; not re-publishable (not from Kafka or gone): ${result.notFound.join(', ')}`
            : '') +
          '. Ingest treats them like new records: fixed ones are stored, the others come back as new dead letters.',
      );
      setSelected(new Set());
      page.reload();
    } catch (error) {
      setOutcome(`Re-publishing failed: ${describeError(error)}`);
    } finally {
      setBusy(false);
    }
  };

  const items = page.data?.items ?? [];
  const kafkaIds = items.filter((l) => l.channel === 'kafka').map((l) => l.id);
  return (
    <>
      <h1>Dead letters</h1>
      <div class="toolbar">
        <button
          type="button"
          data-testid="republish"
          disabled={selected.size === 0 || busy}
          onClick={() => void republish()}
        >
          Re-publish {selected.size || ''} selected
        </button>
        <span role="status" data-testid="republish-outcome">
          {outcome}
        </span>
      </div>
      {page.error ? <ErrorBox error={page.error} retry={page.reload} /> : null}
      {!page.data && !page.error ? <Loading what="dead letters" /> : null}
      {page.data && items.length === 0 ? <p class="muted">No dead letters.</p> : null}
      {items.length > 0 ? (
        <table class="data dead-letters" data-testid="dead-letters">
          <caption class="visually-hidden">Dead letters, newest first</caption>
          <thead>
            <tr>
              <th scope="col">
                <input
                  type="checkbox"
                  aria-label="Select every Kafka dead letter on this page"
                  checked={kafkaIds.length > 0 && kafkaIds.every((id) => selected.has(id))}
                  onChange={(event) =>
                    setSelected((event.target as HTMLInputElement).checked ? new Set(kafkaIds) : new Set())
                  }
                />
              </th>
              <th scope="col" class="num">
                Id
              </th>
              <th scope="col">Created</th>
              <th scope="col">Reason</th>
              <th scope="col">Detail</th>
              <th scope="col">From</th>
              <th scope="col">Operation</th>
              <th scope="col">Payload</th>
            </tr>
          </thead>
          <tbody>
            {items.map((letter) => {
              const expanded = open.has(letter.id) || letter.id === chosen;
              return (
                <Fragment key={letter.id}>
                  <tr
                    data-id={letter.id}
                    aria-current={letter.id === chosen ? 'true' : undefined}
                    class={letter.id === chosen ? 'selected' : undefined}
                  >
                    <td>
                      <input
                        type="checkbox"
                        aria-label={`Select dead letter ${letter.id}`}
                        disabled={letter.channel !== 'kafka'}
                        title={letter.channel !== 'kafka' ? 'Only Kafka records can be re-published' : undefined}
                        checked={selected.has(letter.id)}
                        onChange={(event) => {
                          const next = new Set(selected);
                          if ((event.target as HTMLInputElement).checked) next.add(letter.id);
                          else next.delete(letter.id);
                          setSelected(next);
                        }}
                      />
                    </td>
                    <td class="num">
                      {letter.id === chosen ? <span aria-hidden="true">▸ </span> : null}
                      {letter.id}
                    </td>
                    <td>
                      {shortTime(letter.createdAt)}
                      {letter.republishCount > 0 ? (
                        <div class="muted">
                          re-published ×{letter.republishCount}, last {shortTime(letter.republishedAt)}
                        </div>
                      ) : null}
                    </td>
                    <td>
                      <code>{letter.reason}</code>
                    </td>
                    <td>{letter.detail}</td>
                    <td>{origin(letter)}</td>
                    <td>
                      {letter.operationId ? (
                        <Link href={href(`/operations/${encodeURIComponent(letter.operationId)}`)}>
                          {letter.operationId}
                        </Link>
                      ) : (
                        (letter.key ?? '–')
                      )}
                    </td>
                    <td class="payload">
                      <code>{preview(letter)}</code>{' '}
                      <button
                        type="button"
                        aria-expanded={expanded}
                        onClick={() => {
                          const next = new Set(open);
                          if (expanded) next.delete(letter.id);
                          else next.add(letter.id);
                          setOpen(next);
                          // The URL names the dead letter last opened, so the link shares it.
                          if (!expanded) updateQuery({ letter: letter.id });
                          else if (letter.id === chosen) updateQuery({ letter: null });
                        }}
                      >
                        {expanded ? 'Less' : 'More'}
                        <span class="visually-hidden"> about dead letter {letter.id}</span>
                      </button>
                    </td>
                  </tr>
                  {expanded ? (
                    <tr class="raw">
                      <td colSpan={8}>
                        <h3>Headers</h3>
                        <pre class="json">{JSON.stringify(letter.headers, null, 2)}</pre>
                        <h3>Payload{letter.payloadEncoding === 'base64' ? ' (base64: not UTF-8)' : ''}</h3>
                        <pre class="json">{letter.payload ?? ''}</pre>
                      </td>
                    </tr>
                  ) : null}
                </Fragment>
              );
            })}
          </tbody>
        </table>
      ) : null}
      <nav class="pager" aria-label="Pages">
        {cursor ? <Link href={href('/dead-letters')}>« Newest</Link> : null}
        {page.data?.nextCursor ? (
          <Link href={href('/dead-letters', { cursor: page.data.nextCursor })}>Older »</Link>
        ) : null}
      </nav>
    </>
  );
}
