/**
 * The numeric parameters of the published OpenAPI document, and the values at, just
 * inside and just beyond each declared bound (and beyond Postgres int4 and int8): shared by
 * the e2e bounds test and the chaos suite's HTTP fuzzing, so a new numeric parameter is
 * covered by both as soon as it is documented.
 */

export const INT4_MAX = 2n ** 31n - 1n;
export const INT8_MAX = 2n ** 63n - 1n;
/** The `after` of issue 20's first request: larger than a Postgres bigint. */
export const ISSUE_20_AFTER = '18965905600350871552';
/** The vendor extension that carries the range of a string-typed numeric parameter. */
const RANGE_EXTENSION = 'x-integer-range';

type Json = Record<string, unknown>;
interface ParameterObject {
  name: string;
  in: string;
  schema?: Json;
}
export interface OpenApiLike {
  paths: Record<string, Record<string, { parameters?: ParameterObject[] }>>;
}

export interface NumericParameter {
  method: 'GET' | 'POST';
  /** The path template, `{id}` and `{jobId}` included. */
  path: string;
  name: string;
  in: 'query' | 'path' | 'header';
  /** Undefined when the document declares none: a contract gap the tests report. */
  minimum: bigint | undefined;
  maximum: bigint | undefined;
}

function bound(value: unknown): bigint | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : undefined;
}

/** Every path, query and header parameter that carries an integer: `type: integer`, or a string with the range extension. */
export function numericParameters(document: OpenApiLike): NumericParameter[] {
  const found: NumericParameter[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      for (const parameter of operation.parameters ?? []) {
        const schema = parameter.schema ?? {};
        const range = (schema.type === 'integer' ? schema : schema[RANGE_EXTENSION]) as Json | undefined;
        if (range === undefined || !['query', 'path', 'header'].includes(parameter.in)) continue;
        found.push({
          method: method.toUpperCase() as 'GET' | 'POST',
          path,
          name: parameter.name,
          in: parameter.in as NumericParameter['in'],
          minimum: bound(range.minimum),
          maximum: bound(range.maximum),
        });
      }
    }
  }
  return found;
}

export type BoundaryKind =
  | 'below minimum'
  | 'at minimum'
  | 'just inside minimum'
  | 'just inside maximum'
  | 'at maximum'
  | 'just beyond maximum'
  | 'beyond int4'
  | 'int8 maximum'
  | 'beyond int8'
  | 'far beyond int8'
  | 'below int8';

/** How the chaos report groups the kinds: at a declared bound, just inside, just beyond, at or past int4/int8. */
export function boundaryGroup(kind: BoundaryKind): 'AtBound' | 'JustInside' | 'JustBeyond' | 'Int4Int8Edges' {
  if (kind.startsWith('at ')) return 'AtBound';
  if (kind.startsWith('just inside')) return 'JustInside';
  if (kind === 'below minimum' || kind === 'just beyond maximum') return 'JustBeyond';
  return 'Int4Int8Edges';
}

export interface BoundaryValue {
  kind: BoundaryKind;
  value: string;
  inRange: boolean;
}

/** The values at, just inside and just beyond each bound, and past int4 and int8 on both sides; no repeats. */
export function boundaryValues(parameter: NumericParameter): BoundaryValue[] {
  const { minimum, maximum } = parameter;
  if (minimum === undefined || maximum === undefined) return [];
  const candidates: [BoundaryKind, bigint | string][] = [
    ['below minimum', minimum - 1n],
    ['at minimum', minimum],
    ['just inside minimum', minimum + 1n],
    ['just inside maximum', maximum - 1n],
    ['at maximum', maximum],
    ['just beyond maximum', maximum + 1n],
    ['beyond int4', INT4_MAX + 1n],
    ['int8 maximum', INT8_MAX],
    ['beyond int8', INT8_MAX + 1n],
    ['far beyond int8', ISSUE_20_AFTER],
    ['below int8', -INT8_MAX - 2n],
  ];
  const seen = new Set<string>();
  const values: BoundaryValue[] = [];
  for (const [kind, raw] of candidates) {
    const value = String(raw);
    if (seen.has(value)) continue;
    seen.add(value);
    const number = BigInt(value);
    values.push({ kind, value, inRange: number >= minimum && number <= maximum });
  }
  return values;
}

/** `name` of the parameter as a problem's `field` names it (headers keep their usual capitalisation). */
export function fieldName(parameter: NumericParameter): string {
  if (parameter.in !== 'header') return parameter.name;
  return parameter.name
    .split('-')
    .map((part) => (part === 'id' ? 'ID' : part.charAt(0).toUpperCase() + part.slice(1)))
    .join('-');
}

export interface BoundaryRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  /** A valid event for append routes. */
  body: unknown;
  stream: boolean;
}

/**
 * A request that is valid in everything but `parameter`, which is `value`: path parameters
 * other than it take `operationId` and job 1; an append carries `event`.
 */
export function boundaryRequest(
  parameter: NumericParameter,
  value: string,
  operationId: string,
  event: (operationId: string) => unknown,
): BoundaryRequest {
  let path = parameter.path.replace(/\{([^}]+)\}/g, (_match, name: string) => {
    if (parameter.in === 'path' && name === parameter.name) return encodeURIComponent(value);
    return name === 'id' ? operationId : '1';
  });
  if (parameter.in === 'query') path += `?${parameter.name}=${encodeURIComponent(value)}`;
  const headers: Record<string, string> = {};
  if (parameter.in === 'header') headers[parameter.name] = value;
  const append = parameter.method === 'POST' && parameter.path.endsWith('/events');
  if (append) headers['content-type'] = 'application/cloudevents+json';
  return {
    method: parameter.method,
    path,
    headers,
    body: append ? event(operationId) : undefined,
    stream: parameter.path.endsWith('/watch'),
  };
}

/** How the service must answer a value out of range: 400 naming it, or 404 for an id in the path. */
export function acceptsRefusal(
  parameter: NumericParameter,
  answer: { status: number; type: string; body: Json | null },
): boolean {
  if (!answer.type.startsWith('application/problem+json')) return false;
  if (answer.status === 400) return answer.body?.field === fieldName(parameter);
  return answer.status === 404 && parameter.in === 'path';
}

/** How the service may answer a value in range: anything but a 5xx, or a refusal of that parameter. */
export function acceptsInRange(
  parameter: NumericParameter,
  answer: { status: number; type: string; body: Json | null },
): boolean {
  if (answer.status >= 500) return false;
  if (answer.status >= 400 && !answer.type.startsWith('application/problem+json')) return false;
  return !(answer.status === 400 && answer.body?.field === fieldName(parameter));
}
