/** A bar per value (events per minute), hand-drawn: a table of the same numbers is one click away. */
export function Sparkline({ values, labels, label }: { values: number[]; labels: string[]; label: string }) {
  const width = 600;
  const height = 80;
  const max = Math.max(1, ...values);
  const step = width / Math.max(1, values.length);
  return (
    <svg class="sparkline" viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label} preserveAspectRatio="none">
      {values.map((value, i) => {
        const h = (value / max) * (height - 2);
        return (
          <rect key={i} x={i * step + 1} y={height - h} width={Math.max(1, step - 2)} height={h}>
            <title>{`${labels[i] ?? ''}: ${value}`}</title>
          </rect>
        );
      })}
    </svg>
  );
}
