import type { OperationTimeline, StageTimeline } from '../api/types';

export interface CompareRow {
  stage: string;
  a: StageTimeline | null;
  b: StageTimeline | null;
  /** b's duration minus a's, when both ran. */
  deltaMs: number | null;
}

/**
 * Two operations' stages side by side, aligned by stage name: the first operation's order, then
 * the stages only the second one has, in its order.
 */
export function alignStages(a: OperationTimeline, b: OperationTimeline): CompareRow[] {
  const byName = new Map(b.stages.map((stage) => [stage.stage, stage]));
  const rows: CompareRow[] = a.stages.map((stage) => {
    const other = byName.get(stage.stage) ?? null;
    byName.delete(stage.stage);
    return { stage: stage.stage, a: stage, b: other, deltaMs: delta(stage, other) };
  });
  for (const stage of byName.values()) rows.push({ stage: stage.stage, a: null, b: stage, deltaMs: null });
  return rows;
}

function delta(a: StageTimeline, b: StageTimeline | null): number | null {
  if (!b || a.durationMs === null || b.durationMs === null) return null;
  return b.durationMs - a.durationMs;
}
