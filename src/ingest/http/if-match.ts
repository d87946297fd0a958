import { Problems } from '../../common/problem';

/** `If-Match: "3"` (the ETag of GET /v1/operations/{id}) → 3; absent → null. */
export function parseIfMatch(header: string | undefined): number | null {
  if (header === undefined) return null;
  const match = /^\s*(?:W\/)?"(\d{1,15})"\s*$/.exec(header) ?? /^\s*(\d{1,15})\s*$/.exec(header);
  if (!match) throw Problems.validation('If-Match', 'If-Match must be the operation version as an ETag, e.g. "3"');
  return Number(match[1]);
}
