import { useState } from 'preact/hooks';
import { useTitle } from '../hooks';

/** Asks for an API key once; it is kept in sessionStorage (this tab, until it closes), never in a URL. */
export function Login({ error, onKey }: { error: string | null; onKey: (key: string) => void }) {
  const [key, setKey] = useState('');
  useTitle('Sign in');
  return (
    <main id="main" class="login">
      <h1>opledger console</h1>
      <p>This service checks API keys. Enter yours to continue.</p>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (key.trim()) onKey(key.trim());
        }}
      >
        <label for="api-key">API key</label>
        <input
          id="api-key"
          name="api-key"
          type="password"
          autoComplete="off"
          spellcheck={false}
          required
          value={key}
          onInput={(event) => setKey((event.target as HTMLInputElement).value)}
          aria-describedby="api-key-help"
          autoFocus
        />
        <button type="submit">Sign in</button>
        <p id="api-key-help" class="muted">
          Kept for this browser tab only (sessionStorage), sent as an Authorization header, never put in a URL.
        </p>
        {error ? (
          <p class="error" role="alert">
            {error}
          </p>
        ) : null}
      </form>
    </main>
  );
}
