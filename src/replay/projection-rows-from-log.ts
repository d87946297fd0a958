import type { StoredEvent } from '../envelope/operation-event';
import { applyEvent, emptyProjection, Projection } from '../projection/operation-fold';
import type { ProjectionRow } from '../event-store/projection/projection-rows';
import type { LogActivity } from '../event-store/read-models/read-model-tables';

/** Where folding also sums what the events add to the rollups: only events after `after` count. */
export interface ActivityCollector {
  log: LogActivity;
  after: number;
}

export interface FoldedOperation {
  row: ProjectionRow;
  /** How many events went into it (progress). */
  events: number;
}

interface Draft {
  projection: Projection;
  firstPosition: number;
  lastPosition: number;
  events: number;
  /** The source last put in the source index for this operation: most events repeat it. */
  lastSource: string | null;
}

function toRow(draft: Draft): ProjectionRow {
  const { state, memo } = draft.projection;
  return {
    id: state.id,
    version: state.version,
    status: state.status,
    state,
    memo,
    createdAt: state.createdAt,
    updatedAt: state.updatedAt,
    firstPosition: draft.firstPosition,
    lastPosition: draft.lastPosition,
  };
}

/**
 * Folds a stream ordered by (operation_id, version) into one projection row per
 * operation, with the shared fold (applyEvent). Only the operation being folded
 * is in memory; it is yielded as soon as the next operation's first event arrives.
 */
export async function* foldOperations(
  pages: AsyncIterable<StoredEvent[]>,
  activity?: ActivityCollector,
): AsyncGenerator<FoldedOperation> {
  let draft: Draft | null = null;
  for await (const page of pages) {
    for (const event of page) {
      if (draft && draft.projection.state.id !== event.operationId) {
        yield { row: toRow(draft), events: draft.events };
        draft = null;
      }
      draft ??= {
        projection: emptyProjection(event.operationId, event),
        firstPosition: event.position,
        lastPosition: event.position,
        events: 0,
        lastSource: null,
      };
      if (activity && event.position > activity.after) {
        activity.log.add(draft.projection, event);
        if (event.source !== draft.lastSource) {
          activity.log.addSource(event, draft.firstPosition);
          draft.lastSource = event.source;
        }
      }
      applyEvent(draft.projection, event);
      draft.firstPosition = Math.min(draft.firstPosition, event.position);
      draft.lastPosition = Math.max(draft.lastPosition, event.position);
      draft.events += 1;
    }
  }
  if (draft) yield { row: toRow(draft), events: draft.events };
}
