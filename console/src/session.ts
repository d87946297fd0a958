import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { WhoAmI } from './api/types';

/** Who is signed in: decides what is shown (no republish button for a reader). */
export const SessionContext = createContext<WhoAmI>({ role: 'reader', authentication: true });

export function useSession(): WhoAmI {
  return useContext(SessionContext);
}

export function isAdmin(session: WhoAmI): boolean {
  return session.role === 'admin';
}
