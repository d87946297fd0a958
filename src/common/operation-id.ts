import { isValidOperationId } from '../envelope/parse-cloud-event';
import { Problems } from './problem';

/** An operation id from a path, checked: 400 problem (field `id`) unless it is a valid operation id. */
export function checkOperationId(id: string): string {
  if (!isValidOperationId(id)) {
    throw Problems.validation('id', 'the operation id must be 1 to 200 characters of [A-Za-z0-9._:-]');
  }
  return id;
}
