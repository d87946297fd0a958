import { useEffect, useRef, useState } from 'preact/hooks';
import type { OperationTimeline } from '../api/types';
import { type GanttBar, type GanttModel, ganttModel, ticks, viewWindow } from '../model/gantt';
import { formatDuration, shortTime } from '../model/time';
import { jsonPreview } from './json-block';
import { statusIcon } from './status';

export interface Zoom {
  fromMs: number;
  toMs: number;
}

interface GanttProps {
  timeline: OperationTimeline;
  nowMs: number;
  hideBelowMs?: number | null;
  zoom?: Zoom | null;
  onZoom?: (zoom: Zoom | null) => void;
  /** Milliseconds per pixel to use instead of fitting the width (compare: two charts on one scale). */
  fixedScaleMsPerPx?: number | null;
  label: string;
}

const LABEL_WIDTH = 170;
const SIDE_WIDTH = 200;
const ROW = 30;
const BAR = 16;
const AXIS = 26;

function describe(bar: GanttBar): string {
  const which = bar.marker ? 'reported without a start' : `attempt ${bar.attempt} of ${bar.of}`;
  const duration = bar.marker ? '' : `, ${formatDuration(bar.endMs - bar.startMs)}${bar.running ? ' so far' : ''}`;
  return `${bar.stage}, ${which}: ${bar.outcome}${duration}`;
}

function Tooltip({ bar, x, y }: { bar: GanttBar; x: number; y: number }) {
  return (
    <div class="tooltip" role="tooltip" id="gantt-tooltip" style={{ left: `${x}px`, top: `${y}px` }}>
      <div class="tooltip-title">
        {bar.stage} · {bar.marker ? 'no start' : `attempt ${bar.attempt} of ${bar.of}`}
      </div>
      <dl>
        <dt>Outcome</dt>
        <dd>
          <span aria-hidden="true">{statusIcon(bar.outcome)}</span> {bar.outcome}
        </dd>
        <dt>Source</dt>
        <dd>{bar.source}</dd>
        <dt>Started</dt>
        <dd>{shortTime(bar.startedAt)}</dd>
        <dt>Ended</dt>
        <dd>{bar.running ? 'running' : shortTime(bar.endedAt)}</dd>
        {bar.marker ? null : (
          <>
            <dt>Duration</dt>
            <dd>
              {formatDuration(bar.endMs - bar.startMs)}
              {bar.running ? ' so far' : ''}
            </dd>
          </>
        )}
        {bar.error !== null && bar.error !== undefined ? (
          <>
            <dt>Error</dt>
            <dd class="tooltip-error">{jsonPreview(bar.error, 400)}</dd>
          </>
        ) : null}
      </dl>
    </div>
  );
}

function barClass(bar: GanttBar): string {
  return ['bar', `outcome-${bar.outcome}`, bar.earlier ? 'earlier' : 'last', bar.running ? 'running' : ''].join(' ');
}

/**
 * The Gantt chart of one operation, hand-drawn in SVG: one lane per stage, one bar per attempt
 * (earlier attempts lighter and dashed), running bars growing to now with an arrow head, failures
 * marked with ✗, skips as ◆. Every bar is focusable and describes itself; hover, focus or tap shows
 * its source, times, duration and error. Dragging across the chart zooms to that range.
 */
export function Gantt({
  timeline,
  nowMs,
  hideBelowMs = null,
  zoom = null,
  onZoom,
  fixedScaleMsPerPx = null,
  label,
}: GanttProps) {
  const container = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(900);
  const [hover, setHover] = useState<{ bar: GanttBar; x: number; y: number; pinned: boolean } | null>(null);
  const [brush, setBrush] = useState<{ from: number; to: number } | null>(null);

  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const observer = new ResizeObserver(([entry]) => setWidth(Math.max(360, Math.floor(entry.contentRect.width))));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  const model: GanttModel = ganttModel(timeline, nowMs, hideBelowMs);
  const view = viewWindow(model.totalMs, zoom);
  const fitted = Math.max(100, width - LABEL_WIDTH - SIDE_WIDTH);
  const plotWidth = fixedScaleMsPerPx
    ? Math.max(4, Math.min(fitted, (view.toMs - view.fromMs) / fixedScaleMsPerPx))
    : fitted;
  const span = view.toMs - view.fromMs;
  const x = (ms: number) => LABEL_WIDTH + ((ms - view.fromMs) / span) * plotWidth;
  const clampX = (value: number) => Math.max(LABEL_WIDTH, Math.min(LABEL_WIDTH + plotWidth, value));
  const height = AXIS + model.lanes.length * ROW + 8;
  const msAt = (clientX: number) => {
    const box = container.current!.getBoundingClientRect();
    const px = Math.max(0, Math.min(plotWidth, clientX - box.left - LABEL_WIDTH));
    return view.fromMs + (px / plotWidth) * span;
  };

  const show = (bar: GanttBar, target: Element, pinned: boolean) => {
    const box = container.current!.getBoundingClientRect();
    const rect = target.getBoundingClientRect();
    setHover({ bar, x: Math.min(rect.left - box.left, box.width - 320), y: rect.bottom - box.top + 6, pinned });
  };

  return (
    <div class="gantt" ref={container}>
      <div class="gantt-scroll">
        {model.lanes.length === 0 ? (
          <p class="muted">
            {timeline.stages.length === 0 ? 'No stage has reported yet.' : 'Every stage is hidden by the threshold.'}
          </p>
        ) : (
          <svg
            width={LABEL_WIDTH + plotWidth + SIDE_WIDTH}
            height={height}
            role="group"
            aria-label={label}
            onMouseDown={(event) => {
              if (!onZoom || event.button !== 0 || (event.target as Element).closest('.bar')) return;
              const from = msAt(event.clientX);
              setBrush({ from, to: from });
            }}
            onMouseMove={(event) => brush && setBrush({ ...brush, to: msAt(event.clientX) })}
            onMouseUp={() => {
              if (!brush || !onZoom) return;
              const [from, to] = brush.from < brush.to ? [brush.from, brush.to] : [brush.to, brush.from];
              setBrush(null);
              if (((to - from) / span) * plotWidth >= 5) onZoom({ fromMs: from, toMs: to });
            }}
            onMouseLeave={() => setBrush(null)}
          >
            <defs>
              <pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
                <rect width="6" height="6" class="hatch-bg" />
                <line x1="0" y1="0" x2="0" y2="6" class="hatch-line" />
              </pattern>
            </defs>
            <g class="axis" aria-hidden="true">
              {ticks(view.fromMs, view.toMs, Math.max(2, Math.floor(plotWidth / 110))).map((tick) => (
                <g key={tick}>
                  <line x1={x(tick)} x2={x(tick)} y1={AXIS - 6} y2={height} class="grid" />
                  <text x={x(tick)} y={AXIS - 10} text-anchor="middle">
                    {tick === 0 ? '0' : `+${formatDuration(tick)}`}
                  </text>
                </g>
              ))}
            </g>
            {model.lanes.map((lane, index) => {
              const y = AXIS + index * ROW;
              const center = y + ROW / 2;
              return (
                <g class="lane" key={lane.stage} data-stage={lane.stage}>
                  <rect
                    x={0}
                    y={y}
                    width={LABEL_WIDTH + plotWidth + SIDE_WIDTH}
                    height={ROW}
                    class={index % 2 ? 'lane-odd' : 'lane-even'}
                  />
                  <text x={8} y={center + 4} class="lane-label">
                    <title>{lane.stage}</title>
                    {lane.stage.length > 22 ? `${lane.stage.slice(0, 21)}…` : lane.stage}
                  </text>
                  {lane.bars.map((bar) => {
                    const x1 = clampX(x(bar.startMs));
                    const x2 = clampX(x(bar.endMs));
                    const visible = x(bar.endMs) >= LABEL_WIDTH && x(bar.startMs) <= LABEL_WIDTH + plotWidth;
                    const common = {
                      class: barClass(bar),
                      tabIndex: 0,
                      role: 'img' as const,
                      'aria-label': describe(bar),
                      'aria-describedby': hover?.bar === bar ? 'gantt-tooltip' : undefined,
                      'data-stage': bar.stage,
                      'data-attempt': String(bar.attempt),
                      'data-outcome': bar.outcome,
                      'data-start-ms': bar.startMs.toFixed(3),
                      'data-end-ms': bar.endMs.toFixed(3),
                      onMouseEnter: (event: MouseEvent) =>
                        !hover?.pinned && show(bar, event.currentTarget as Element, false),
                      onMouseLeave: () => hover && !hover.pinned && setHover(null),
                      onFocus: (event: FocusEvent) => show(bar, event.currentTarget as Element, false),
                      onBlur: () => setHover(null),
                      onClick: (event: MouseEvent) =>
                        show(bar, event.currentTarget as Element, !(hover?.pinned && hover.bar === bar)),
                      onKeyDown: (event: KeyboardEvent) => event.key === 'Escape' && setHover(null),
                    };
                    if (!visible) return null;
                    if (bar.marker) {
                      const size = BAR / 2;
                      return (
                        <g {...common} key={`${bar.attempt}-${bar.startMs}`}>
                          <path
                            d={`M${x1} ${center - size} L${x1 + size} ${center} L${x1} ${center + size} L${x1 - size} ${center} Z`}
                          />
                        </g>
                      );
                    }
                    const w = Math.max(3, x2 - x1);
                    return (
                      <g {...common} key={`${bar.attempt}-${bar.startMs}`}>
                        <rect x={x1} y={center - BAR / 2} width={w} height={BAR} rx={2} />
                        {bar.outcome === 'failed' ? (
                          <text x={x1 + w + 3} y={center + 5} class="bar-glyph" aria-hidden="true">
                            ✗
                          </text>
                        ) : null}
                        {bar.running ? (
                          <path
                            class="bar-head"
                            aria-hidden="true"
                            d={`M${x1 + w} ${center - BAR / 2} L${x1 + w + 7} ${center} L${x1 + w} ${center + BAR / 2} Z`}
                          />
                        ) : null}
                        {bar.of > 1 && w > 26 ? (
                          <text x={x1 + 4} y={center + 4} class="bar-text" aria-hidden="true">
                            #{bar.attempt}
                          </text>
                        ) : null}
                      </g>
                    );
                  })}
                  <text x={LABEL_WIDTH + plotWidth + 14} y={center + 4} class="lane-side">
                    {formatDuration(lane.durationMs)}
                    {lane.attempts > 1 ? ` ×${lane.attempts}` : ''} {statusIcon(lane.status)} {lane.status}
                  </text>
                </g>
              );
            })}
            {brush ? (
              <rect
                class="brush"
                x={x(Math.min(brush.from, brush.to))}
                y={AXIS}
                width={Math.abs(x(brush.to) - x(brush.from))}
                height={height - AXIS}
              />
            ) : null}
          </svg>
        )}
      </div>
      {model.hidden.length > 0 ? (
        <p class="muted hidden-stages">
          {model.hidden.length} stage{model.hidden.length === 1 ? '' : 's'} hidden as shorter than the threshold:{' '}
          {model.hidden.join(', ')}
        </p>
      ) : null}
      {hover ? <Tooltip bar={hover.bar} x={Math.max(0, hover.x)} y={hover.y} /> : null}
    </div>
  );
}

export function GanttLegend() {
  return (
    <p class="legend" aria-label="Legend">
      <span class="key key-succeeded">✓ succeeded</span>
      <span class="key key-failed">✗ failed</span>
      <span class="key key-running">▶ running</span>
      <span class="key key-earlier">lighter, dashed: earlier attempt</span>
      <span class="key key-superseded">↺ superseded (restarted without an outcome)</span>
      <span class="key key-skipped">◆ skipped</span>
    </p>
  );
}
