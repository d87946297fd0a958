import fc from 'fast-check';
import {
  DEFAULT_ENVELOPE_LIMITS,
  type EnvelopeLimits,
  isValidOperationId,
  MAX_DATA_DEPTH,
  parseCloudEvent,
  type Rejection,
} from '../../src/envelope/parse-cloud-event';

const VALID = {
  specversion: '1.0',
  id: 'evt-1',
  source: 'billing-service',
  type: 'custom.noted',
  subject: 'op-1',
  time: '2026-03-04T05:06:07Z',
};

function event(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...VALID, ...overrides };
}

function without(attribute: string): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...VALID };
  delete copy[attribute];
  return copy;
}

function rejectionOf(input: unknown, limits?: EnvelopeLimits): Rejection {
  const result = parseCloudEvent(input, limits);
  if (result.ok) throw new Error(`expected a rejection, got ${JSON.stringify(result.event)}`);
  return result.rejection;
}

function acceptedEvent(input: unknown, limits?: EnvelopeLimits) {
  const result = parseCloudEvent(input, limits);
  if (!result.ok) throw new Error(`expected acceptance, got ${JSON.stringify(result.rejection)}`);
  return result.event;
}

const OPERATION_ID_CHARS = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', '.', '_', ':', '-'];

describe('parseCloudEvent', () => {
  describe('a valid event', () => {
    it('is returned with operationId taken from subject, canonical time and null data/expectedVersion', () => {
      expect(parseCloudEvent(event())).toEqual({
        ok: true,
        event: {
          id: 'evt-1',
          source: 'billing-service',
          type: 'custom.noted',
          operationId: 'op-1',
          time: '2026-03-04T05:06:07.000000Z',
          data: null,
          expectedVersion: null,
        },
      });
    });

    it('has its time converted to UTC with microsecond precision', () => {
      expect(acceptedEvent(event({ time: '2026-03-04T10:36:07.1234567+05:30' })).time).toBe(
        '2026-03-04T05:06:07.123456Z',
      );
    });

    it('keeps its data object', () => {
      const data = { nested: { list: [1, 'two', null, true] }, note: 'é✓' };
      expect(acceptedEvent(event({ data })).data).toEqual(data);
    });

    it('treats data: null like absent data', () => {
      expect(acceptedEvent(event({ data: null })).data).toBeNull();
    });

    it('ignores attributes it does not know', () => {
      const accepted = acceptedEvent(event({ datacontenttype: 'application/json', traceparent: '00-abc', extra: 1 }));
      expect(accepted).not.toHaveProperty('datacontenttype');
      expect(accepted.id).toBe('evt-1');
    });

    it('accepts unknown event types without any data', () => {
      expect(acceptedEvent(event({ type: 'com.example.something.happened' })).type).toBe(
        'com.example.something.happened',
      );
    });
  });

  describe('the root', () => {
    it.each([
      ['null', null],
      ['undefined', undefined],
      ['an array', [VALID]],
      ['a string', JSON.stringify(VALID)],
      ['a number', 42],
    ])('is rejected when it is %s', (_name, input) => {
      expect(rejectionOf(input)).toMatchObject({ reason: 'invalid_envelope', field: '(root)' });
    });
  });

  describe('required attributes', () => {
    it.each(['specversion', 'id', 'source', 'type', 'subject', 'time'])(
      'rejects an event without %s, naming the attribute',
      (attribute) => {
        const rejection = rejectionOf(without(attribute));
        expect(rejection.reason).toBe('invalid_envelope');
        expect(rejection.field).toBe(attribute);
        expect(rejection.detail).toContain(attribute);
      },
    );

    it.each([
      ['specversion', '0.3'],
      ['specversion', '1'],
      ['specversion', 1.0],
      ['specversion', ''],
      ['id', ''],
      ['id', 'x'.repeat(201)],
      ['id', 17],
      ['source', ''],
      ['source', 5],
      ['source', null],
      ['type', ''],
      ['type', 't'.repeat(201)],
      ['type', ['stage.started']],
      ['subject', ''],
      ['subject', 'a'.repeat(201)],
      ['subject', 'op 1'],
      ['subject', 'op/1'],
      ['subject', 'op#1'],
      ['subject', 'opé'],
      ['subject', 'op-1\n'],
      ['subject', 'op\u00001'],
      ['subject', 12],
      ['time', 12345],
      ['time', '2026-03-04T05:06:07'],
      ['time', '2026-02-30T00:00:00Z'],
      ['time', 'now'],
    ])('rejects %s = %j as invalid_envelope on that field', (attribute, value) => {
      expect(rejectionOf(event({ [attribute]: value }))).toMatchObject({
        reason: 'invalid_envelope',
        field: attribute,
      });
    });

    it('quotes the offending time in the detail', () => {
      expect(rejectionOf(event({ time: '2026-13-01T00:00:00Z' })).detail).toContain('2026-13-01T00:00:00Z');
    });

    it.each([
      ['id', 1],
      ['id', 200],
      ['type', 1],
      ['type', 200],
      ['subject', 1],
      ['subject', 200],
    ])('accepts %s of length %i', (attribute, length) => {
      expect(parseCloudEvent(event({ [attribute]: 'a'.repeat(length) })).ok).toBe(true);
    });

    it('accepts a long source (no upper limit)', () => {
      expect(acceptedEvent(event({ source: 's'.repeat(5000) })).source).toHaveLength(5000);
    });

    it('accepts a subject made of every allowed character', () => {
      const subject = OPERATION_ID_CHARS.join('');
      expect(acceptedEvent(event({ subject })).operationId).toBe(subject);
    });
  });

  describe('NUL characters', () => {
    it.each(['id', 'source', 'type'])('rejects a NUL in %s', (attribute) => {
      const rejection = rejectionOf(event({ [attribute]: 'a\u0000b' }));
      expect(rejection).toMatchObject({ reason: 'invalid_envelope', field: attribute });
      expect(rejection.detail).toContain('NUL');
    });

    it.each([
      ['a top-level string', { note: 'a\u0000b' }],
      ['a nested string', { outer: { inner: 'x\u0000' } }],
      ['a string inside an array', { list: ['ok', ['\u0000']] }],
      ['a top-level key', { 'bad\u0000key': 1 }],
      ['a nested key', { outer: [{ '\u0000': true }] }],
    ])('rejects a NUL in data (%s)', (_name, data) => {
      expect(rejectionOf(event({ data }))).toMatchObject({ reason: 'invalid_envelope', field: 'data' });
    });

    it('accepts the escaped text "\\u0000" (a backslash, not a NUL) in data', () => {
      expect(parseCloudEvent(event({ data: { note: '\\u0000' } })).ok).toBe(true);
    });
  });

  describe('lone UTF-16 surrogates (Postgres refuses them in JSON)', () => {
    it.each(['id', 'source', 'type'])('rejects a lone surrogate in %s', (attribute) => {
      const rejection = rejectionOf(event({ [attribute]: 'a\uD800b' }));
      expect(rejection).toMatchObject({ reason: 'invalid_envelope', field: attribute });
      expect(rejection.detail).toContain('surrogate');
    });

    it.each([
      ['a high surrogate at the end of a string', { note: 'x\uD83D' }],
      ['a low surrogate without its high one', { note: '\uDE00x' }],
      ['a nested key', { outer: { ['k\uDC00']: 1 } }],
    ])('rejects %s in data', (_name, data) => {
      const rejection = rejectionOf(event({ data }));
      expect(rejection).toMatchObject({ reason: 'invalid_envelope', field: 'data' });
      expect(rejection.detail).toContain('surrogate');
    });

    it('accepts a well-formed pair (an emoji) everywhere', () => {
      expect(parseCloudEvent(event({ type: 'custom.\uD83D\uDE00', data: { note: '\uD83D\uDE00' } })).ok).toBe(true);
    });
  });

  describe('data', () => {
    it.each([
      ['an array', [1, 2]],
      ['a string', 'hello'],
      ['a number', 3],
      ['a boolean', true],
    ])('rejects data that is %s', (_name, data) => {
      expect(rejectionOf(event({ data }))).toMatchObject({ reason: 'invalid_envelope', field: 'data' });
    });

    it('accepts data whose serialised size equals the limit', () => {
      const data = { a: 'xxxx' };
      const limit = Buffer.byteLength(JSON.stringify(data));
      expect(parseCloudEvent(event({ data }), { maxDataBytes: limit }).ok).toBe(true);
    });

    it('rejects data one byte over the limit as oversize_data, stating size and limit', () => {
      const data = { a: 'xxxx' };
      const size = Buffer.byteLength(JSON.stringify(data));
      const rejection = rejectionOf(event({ data }), { maxDataBytes: size - 1 });
      expect(rejection.reason).toBe('oversize_data');
      expect(rejection.field).toBe('data');
      expect(rejection.detail).toContain(String(size));
      expect(rejection.detail).toContain(String(size - 1));
    });

    it('measures the limit in UTF-8 bytes, not characters', () => {
      const data = { a: 'ééé' };
      const chars = JSON.stringify(data).length;
      const bytes = Buffer.byteLength(JSON.stringify(data));
      expect(bytes).toBe(chars + 3);
      expect(rejectionOf(event({ data }), { maxDataBytes: chars }).reason).toBe('oversize_data');
      expect(parseCloudEvent(event({ data }), { maxDataBytes: bytes }).ok).toBe(true);
    });

    it('applies a default limit of 256 KiB', () => {
      expect(DEFAULT_ENVELOPE_LIMITS.maxDataBytes).toBe(256 * 1024);
      const atLimit = { a: 'x'.repeat(256 * 1024 - '{"a":""}'.length) };
      expect(parseCloudEvent(event({ data: atLimit })).ok).toBe(true);
      expect(rejectionOf(event({ data: { a: `${atLimit.a}x` } })).reason).toBe('oversize_data');
    });

    it('does not count an absent data against the limit', () => {
      expect(parseCloudEvent(event(), { maxDataBytes: 0 }).ok).toBe(true);
    });
  });

  describe('expectedversion', () => {
    it.each([
      [0, 0],
      [3, 3],
      ['3', 3],
      ['0', 0],
      ['42', 42],
      [2147483647, 2147483647],
      ['2147483647', 2147483647],
      [null, null],
      [undefined, null],
    ])('accepts %j as %j', (value, expected) => {
      expect(acceptedEvent(event({ expectedversion: value })).expectedVersion).toBe(expected);
    });

    it.each([
      ['negative number', -1],
      ['negative string', '-1'],
      ['non-integer number', 1.5],
      ['non-integer string', '1.5'],
      ['empty string', ''],
      ['non-numeric string', 'three'],
      ['NaN', NaN],
      ['Infinity', Infinity],
      ['unsafe integer', 2 ** 53],
      ['version past a Postgres integer', 2147483648],
      ['version string past a Postgres integer', '2147483648'],
      ['number past a Postgres bigint', 1e30],
      ['boolean', true],
      ['object', { version: 1 }],
      ['array', [1]],
    ])('rejects a %s', (_name, value) => {
      expect(rejectionOf(event({ expectedversion: value }))).toMatchObject({
        reason: 'invalid_envelope',
        field: 'expectedversion',
      });
    });

    it('property: every version a Postgres integer holds is accepted as a number and as its decimal string', () => {
      fc.assert(
        fc.property(fc.nat({ max: 2147483647 }), (n) => {
          expect(acceptedEvent(event({ expectedversion: n })).expectedVersion).toBe(n);
          expect(acceptedEvent(event({ expectedversion: String(n) })).expectedVersion).toBe(n);
        }),
      );
    });
  });

  describe('stage events', () => {
    const STAGE_TYPES = ['stage.started', 'stage.completed', 'stage.failed', 'stage.skipped'];

    it.each(STAGE_TYPES)('%s is accepted with data.stage', (type) => {
      expect(acceptedEvent(event({ type, data: { stage: 'validate' } })).data).toEqual({ stage: 'validate' });
    });

    it.each(
      STAGE_TYPES.flatMap((type) => [
        [type, 'no data', undefined],
        [type, 'data without stage', { other: 1 }],
        [type, 'an empty stage', { stage: '' }],
        [type, 'a 201-character stage', { stage: 's'.repeat(201) }],
        [type, 'a numeric stage', { stage: 7 }],
        [type, 'a null stage', { stage: null }],
      ]),
    )('%s is rejected on data.stage with %s', (type, _name, data) => {
      expect(rejectionOf(event({ type, data }))).toMatchObject({ reason: 'invalid_envelope', field: 'data.stage' });
    });

    it('accepts a 200-character stage name', () => {
      expect(parseCloudEvent(event({ type: 'stage.started', data: { stage: 's'.repeat(200) } })).ok).toBe(true);
    });

    it('does not require data.stage for other types that merely start with "stage."', () => {
      expect(parseCloudEvent(event({ type: 'stage.paused' })).ok).toBe(true);
    });
  });

  describe('metadata.updated', () => {
    it('is accepted with a data.metadata object', () => {
      const data = { metadata: { owner: 'team-a', priority: 2 } };
      expect(acceptedEvent(event({ type: 'metadata.updated', data })).data).toEqual(data);
    });

    it('is accepted with an empty data.metadata object', () => {
      expect(parseCloudEvent(event({ type: 'metadata.updated', data: { metadata: {} } })).ok).toBe(true);
    });

    it.each([
      ['no data', undefined],
      ['data without metadata', { owner: 'x' }],
      ['metadata that is an array', { metadata: [] }],
      ['metadata that is a string', { metadata: 'owner=x' }],
      ['metadata that is null', { metadata: null }],
    ])('is rejected on data.metadata with %s', (_name, data) => {
      expect(rejectionOf(event({ type: 'metadata.updated', data }))).toMatchObject({
        reason: 'invalid_envelope',
        field: 'data.metadata',
      });
    });
  });

  describe('properties', () => {
    it('property: never throws on arbitrary JSON input and always returns a well-formed result', () => {
      const input = fc.oneof(
        fc.jsonValue(),
        fc.record(
          {
            specversion: fc.oneof(fc.constant('1.0'), fc.jsonValue()),
            id: fc.oneof(fc.string(), fc.jsonValue()),
            source: fc.oneof(fc.string(), fc.jsonValue()),
            type: fc.oneof(fc.constantFrom('stage.started', 'metadata.updated', 'x'), fc.jsonValue()),
            subject: fc.oneof(fc.string(), fc.jsonValue()),
            time: fc.oneof(fc.constant('2026-01-01T00:00:00Z'), fc.string()),
            data: fc.jsonValue(),
            expectedversion: fc.jsonValue(),
          },
          { requiredKeys: [] },
        ),
      );
      fc.assert(
        fc.property(input, (value) => {
          const result = parseCloudEvent(value, { maxDataBytes: 64 });
          if (result.ok) {
            expect(isValidOperationId(result.event.operationId)).toBe(true);
            expect(result.event.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
          } else {
            expect(['invalid_envelope', 'oversize_data']).toContain(result.rejection.reason);
            expect(typeof result.rejection.detail).toBe('string');
          }
        }),
      );
    });

    it('property: a valid envelope is returned unchanged apart from operationId and canonical time', () => {
      const valid = fc.record({
        id: fc.string({ minLength: 1, maxLength: 200 }).filter((s) => !s.includes('\u0000')),
        source: fc.string({ minLength: 1 }).filter((s) => !s.includes('\u0000')),
        subject: fc.string({ unit: fc.constantFrom(...OPERATION_ID_CHARS), minLength: 1, maxLength: 200 }),
        data: fc.option(fc.dictionary(fc.string({ unit: 'grapheme-ascii' }), fc.integer()), { nil: null }),
      });
      fc.assert(
        fc.property(valid, ({ id, source, subject, data }) => {
          const accepted = acceptedEvent(event({ id, source, subject, data }));
          expect(accepted).toEqual({
            id,
            source,
            type: VALID.type,
            operationId: subject,
            time: '2026-03-04T05:06:07.000000Z',
            data,
            expectedVersion: null,
          });
        }),
      );
    });
  });
});

describe('isValidOperationId', () => {
  it.each(['a', 'op-1', 'tenant:42.job_7', 'A'.repeat(200)])('accepts %j', (value) => {
    expect(isValidOperationId(value)).toBe(true);
  });

  it.each([
    ['empty string', ''],
    ['201 characters', 'A'.repeat(201)],
    ['a space', 'op 1'],
    ['a slash', 'op/1'],
    ['a trailing newline', 'op\n'],
    ['a non-ASCII letter', 'ø'],
    ['a number', 1],
    ['null', null],
    ['undefined', undefined],
  ])('rejects %s', (_name, value) => {
    expect(isValidOperationId(value)).toBe(false);
  });

  it('property: accepts exactly the strings of 1 to 200 characters from [A-Za-z0-9._:-]', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...OPERATION_ID_CHARS), minLength: 1, maxLength: 200 }), (s) => {
        expect(isValidOperationId(s)).toBe(true);
      }),
    );
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...OPERATION_ID_CHARS), maxLength: 100 }),
        fc.string({ minLength: 1, maxLength: 1 }).filter((c) => !OPERATION_ID_CHARS.includes(c)),
        fc.string({ unit: fc.constantFrom(...OPERATION_ID_CHARS), maxLength: 99 }),
        (before, bad, after) => {
          expect(isValidOperationId(before + bad + after)).toBe(false);
        },
      ),
    );
  });
});

describe('parseCloudEvent: hostile data', () => {
  const base = {
    specversion: '1.0',
    id: 'e1',
    source: 's',
    type: 'x.y',
    subject: 'op-1',
    time: '2026-01-01T00:00:00Z',
  };

  it('refuses data nested deeper than the limit instead of overflowing the stack', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 10_000; i += 1) deep = [deep];
    const result = parseCloudEvent({ ...base, data: { a: deep } });
    expect(result).toMatchObject({ ok: false, rejection: { reason: 'invalid_envelope', field: 'data' } });
  });

  it('accepts data nested up to the limit', () => {
    let deep: unknown = 1;
    for (let i = 0; i < MAX_DATA_DEPTH - 1; i += 1) deep = [deep];
    expect(parseCloudEvent({ ...base, data: { a: deep } }).ok).toBe(true);
  });

  it.each(['  ', '\t', ' 3 ', '1e3', '0x10', '0b11', '3.0'])('refuses expectedversion %j', (value) => {
    expect(parseCloudEvent({ ...base, expectedversion: value })).toMatchObject({
      ok: false,
      rejection: { field: 'expectedversion' },
    });
  });
});
