import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, describeError, getJson, onUnauthorized, storedKey, storeKey } from './api/http';
import type { WhoAmI } from './api/types';
import { Compare } from './pages/compare';
import { DeadLetters } from './pages/dead-letters';
import { Login } from './pages/login';
import { NotFound } from './pages/not-found';
import { OperationDetail } from './pages/operation-detail';
import { OperationsList } from './pages/operations-list';
import { Overview } from './pages/overview';
import { href, Link, type Route, useRoute } from './router';
import { SessionContext } from './session';

type Auth =
  | { state: 'checking' }
  | { state: 'need-key'; error: string | null }
  | { state: 'failed'; error: string }
  | { state: 'ready'; who: WhoAmI };

function Page({ route }: { route: Route }) {
  const { path, query } = route;
  if (path === '/') return <Overview query={query} />;
  if (path === '/operations') return <OperationsList query={query} />;
  const detail = /^\/operations\/([^/]+)$/.exec(path);
  if (detail) return <OperationDetail id={decodeURIComponent(detail[1])} query={query} />;
  if (path === '/compare') return <Compare query={query} />;
  if (path === '/dead-letters') return <DeadLetters query={query} />;
  return <NotFound />;
}

const NAV: [string, string][] = [
  ['/', 'Overview'],
  ['/operations', 'Operations'],
  ['/compare', 'Compare'],
  ['/dead-letters', 'Dead letters'],
];

function Layout({ who, route, onSignOut }: { who: WhoAmI; route: Route; onSignOut: () => void }) {
  const section = route.path === '/' ? '/' : `/${route.path.split('/')[1]}`;
  // A new page: move focus to it, so a screen reader starts there and Tab continues from it. Not on
  // the first load: focus starts at the top of the document then, the skip link first.
  const firstPage = useRef(true);
  useEffect(() => {
    if (firstPage.current) {
      firstPage.current = false;
      return;
    }
    document.getElementById('main')?.focus({ preventScroll: true });
  }, [route.path]);
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">opledger</span>
        <nav aria-label="Console">
          {NAV.map(([path, label]) => (
            <Link key={path} href={href(path)} aria-current={section === path ? 'page' : undefined}>
              {label}
            </Link>
          ))}
        </nav>
        <span class="who">
          {who.authentication ? (
            <>
              Role: <strong data-testid="role">{who.role}</strong>{' '}
              <button type="button" onClick={onSignOut}>
                Sign out
              </button>
            </>
          ) : (
            <span title="No API keys configured: the service listens on loopback only">
              Authentication off · <strong data-testid="role">{who.role}</strong>
            </span>
          )}
        </span>
      </header>
      <main id="main" tabIndex={-1}>
        <Page route={route} />
      </main>
    </>
  );
}

export function App() {
  const route = useRoute();
  const [auth, setAuth] = useState<Auth>({ state: 'checking' });
  const signedIn = useRef(false);
  signedIn.current = auth.state === 'ready';

  const check = useCallback(async () => {
    setAuth({ state: 'checking' });
    try {
      setAuth({ state: 'ready', who: await getJson<WhoAmI>('/v1/whoami') });
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        const hadKey = storedKey() !== null;
        storeKey(null);
        setAuth({ state: 'need-key', error: hadKey ? 'That key was refused. Check it and try again.' : null });
      } else {
        setAuth({ state: 'failed', error: describeError(error) });
      }
    }
  }, []);

  useEffect(() => {
    void check();
    return onUnauthorized(() => {
      // While signing in, check() itself says what went wrong.
      if (!signedIn.current) return;
      storeKey(null);
      setAuth({ state: 'need-key', error: 'The service refused the key (it may have been removed). Sign in again.' });
    });
  }, [check]);

  if (auth.state === 'checking') return <p class="boot">Connecting to opledger…</p>;
  if (auth.state === 'failed') {
    return (
      <main id="main" class="login">
        <h1>opledger console</h1>
        <p class="error" role="alert">
          The service did not answer: {auth.error}
        </p>
        <button type="button" onClick={() => void check()}>
          Try again
        </button>
      </main>
    );
  }
  if (auth.state === 'need-key') {
    return (
      <Login
        error={auth.error}
        onKey={(key) => {
          storeKey(key);
          void check();
        }}
      />
    );
  }
  return (
    <SessionContext.Provider value={auth.who}>
      <Layout
        who={auth.who}
        route={route}
        onSignOut={() => {
          storeKey(null);
          setAuth({ state: 'need-key', error: null });
        }}
      />
    </SessionContext.Provider>
  );
}
