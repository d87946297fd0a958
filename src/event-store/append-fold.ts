import type { OperationEvent } from '../envelope/operation-event';
import { applyEvent, emptyProjection, type Projection } from '../projection/operation-fold';
import { StageActivityRollup, stageEventActivity, stageStateOf } from '../projection/stage-activity';

/**
 * Folds each operation's new events onto the head the append read (pure):
 * one projection per touched operation, and what the events add to the stage
 * rollups (each judged against its stage as it was just before it, as a
 * rebuild judges it). The heads are folded onto in place: they were parsed for
 * this append alone.
 */
export function foldAppended(
  heads: ReadonlyMap<string, { projection: Projection }>,
  appended: readonly (OperationEvent & { version: number })[],
): { projections: Projection[]; activity: StageActivityRollup } {
  const drafts = new Map<string, Projection>();
  const activity = new StageActivityRollup();
  for (const event of appended) {
    let draft = drafts.get(event.operationId);
    if (!draft) {
      draft = heads.get(event.operationId)?.projection ?? emptyProjection(event.operationId, event);
      drafts.set(event.operationId, draft);
    }
    const contribution = stageEventActivity(stageStateOf(draft.state.stages, event), event);
    if (contribution) activity.add(contribution);
    applyEvent(draft, event);
  }
  return { projections: [...drafts.values()], activity };
}
