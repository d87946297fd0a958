import { IntegerQuery, pageLimitRange } from './integer-params';

/** The optional `limit` query parameter of every paged route: validated, documented, one definition. */
export function PageLimit(max: number, byDefault: number, what: string): PropertyDecorator {
  return IntegerQuery(pageLimitRange(max), {
    default: byDefault,
    example: byDefault,
    description: `Most ${what} in the page (1 to ${max}).`,
  });
}
