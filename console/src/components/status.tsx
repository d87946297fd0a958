/** A status as an icon and a word: colour helps, but is never the only signal. */
const ICONS: Record<string, string> = {
  pending: '◷',
  running: '▶',
  succeeded: '✓',
  failed: '✗',
  cancelled: '⊘',
  skipped: '↷',
  superseded: '↺',
};

export function statusIcon(status: string): string {
  return ICONS[status] ?? '•';
}

export function StatusBadge({ status }: { status: string }) {
  return (
    <span class={`badge status-${status}`}>
      <span aria-hidden="true">{statusIcon(status)}</span> {status}
    </span>
  );
}
