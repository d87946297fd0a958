/** Any JSON value, pretty-printed, as text (never as HTML). */
export function JsonBlock({ value, label }: { value: unknown; label?: string }) {
  return (
    <pre class="json" aria-label={label} tabIndex={0}>
      {value === undefined ? '' : JSON.stringify(value, null, 2)}
    </pre>
  );
}

/** A one-line preview of a JSON value, cut at `max` characters. */
export function jsonPreview(value: unknown, max = 120): string {
  const text = JSON.stringify(value) ?? '';
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
