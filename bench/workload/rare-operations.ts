/**
 * A few operations the main workload never produces, one per window of 1,000
 * operations (0.1 %), so that the reads benchmark can also time filters whose
 * answer is rare: a pending operation, a stage that failed or is still running
 * while its operation runs on, a stage that was skipped, a source seen on a
 * handful of operations. A read that must find a needle in a large projection
 * costs differently from one that fills its page from the first rows it meets.
 */
import { type CloudEventJson, eventsOfOperation, OPERATIONS_PER_WINDOW } from './workload';

export const RARE_SOURCE = 'pipeline/manual-review';
export const RARE_STAGE = 'manual-review';

/** The four shapes, in turn by window: what each leaves in the projection. */
export const RARE_SHAPES = [
  'pending (created, nothing else)',
  'running, stage ocr failed',
  'running, stage ocr running',
  `running, stage ${RARE_STAGE} skipped (source ${RARE_SOURCE})`,
] as const;

export function rareOperationId(window: number): string {
  return `rare-${window.toString().padStart(6, '0')}`;
}

type Sketch = Pick<CloudEventJson, 'type' | 'source'> & { data?: Record<string, unknown> };

/** The events of the rare operation of `window`, timed in the middle of the window's own events. */
export function rareOperationEvents(window: number): CloudEventJson[] {
  const subject = rareOperationId(window);
  const created: Sketch = { type: 'operation.created', source: 'pipeline/ingest', data: { channel: 'manual' } };
  const ocr = (type: string, extra: Record<string, unknown> = {}): Sketch => ({
    type,
    source: 'pipeline/ocr',
    data: { stage: 'ocr', ...extra },
  });
  const review = (type: string): Sketch => ({ type, source: RARE_SOURCE, data: { stage: RARE_STAGE } });
  const shapes: Sketch[][] = [
    [created],
    [created, ocr('stage.started'), ocr('stage.failed', { error: { code: 'UNREADABLE' } })],
    [created, ocr('stage.started')],
    [created, review('stage.started'), review('stage.skipped')],
  ];
  const sketches = shapes[window % shapes.length];
  const start = Date.parse(eventsOfOperation(window * OPERATIONS_PER_WINDOW + OPERATIONS_PER_WINDOW / 2)[0].time);
  return sketches.map((sketch, position) => ({
    specversion: '1.0',
    id: `${subject}-e${position}`,
    source: sketch.source,
    type: sketch.type,
    subject,
    time: new Date(start + position * 40).toISOString(),
    ...(sketch.data ? { data: sketch.data } : {}),
  }));
}
