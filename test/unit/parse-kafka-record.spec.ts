import fc from 'fast-check';
import { isValidOperationId, type ParseResult, type Rejection } from '../../src/envelope/parse-cloud-event';
import { type IncomingRecord, parseKafkaRecord } from '../../src/envelope/parse-kafka-record';

const LIMITS = { maxDataBytes: 1024 };

const STRUCTURED = {
  specversion: '1.0',
  id: 'evt-1',
  source: 'worker',
  type: 'stage.started',
  subject: 'op-1',
  time: '2026-03-04T10:36:07.5+05:30',
  data: { stage: 'validate' },
};

const BINARY_HEADERS: Record<string, string> = {
  ce_specversion: '1.0',
  ce_id: 'evt-1',
  ce_source: 'worker',
  ce_type: 'stage.started',
  ce_subject: 'op-1',
  ce_time: '2026-03-04T10:36:07.5+05:30',
};

const EXPECTED_EVENT = {
  id: 'evt-1',
  source: 'worker',
  type: 'stage.started',
  operationId: 'op-1',
  time: '2026-03-04T05:06:07.500000Z',
  data: { stage: 'validate' },
  expectedVersion: null,
};

function record(overrides: Partial<IncomingRecord> = {}): IncomingRecord {
  return {
    topic: 'operation-events',
    partition: 0,
    offset: '0',
    key: null,
    value: Buffer.from(JSON.stringify(STRUCTURED)),
    headers: {},
    ...overrides,
  };
}

function binary(overrides: Partial<IncomingRecord> = {}): IncomingRecord {
  return record({ headers: { ...BINARY_HEADERS }, value: Buffer.from(JSON.stringify(STRUCTURED.data)), ...overrides });
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

function rejectionOf(result: ParseResult): Rejection {
  if (result.ok) throw new Error(`expected a rejection, got ${JSON.stringify(result.event)}`);
  return result.rejection;
}

describe('parseKafkaRecord', () => {
  describe('structured mode (the value is the whole CloudEvent)', () => {
    it('parses the JSON value into an event with canonical time and operationId = subject', () => {
      expect(parseKafkaRecord(record(), LIMITS)).toEqual({ ok: true, event: EXPECTED_EVENT });
    });

    it('reads expectedversion from the value', () => {
      const result = parseKafkaRecord(record({ value: json({ ...STRUCTURED, expectedversion: 4 }) }), LIMITS);
      expect(result.ok && result.event.expectedVersion).toBe(4);
    });

    it('ignores ce_* headers when ce_specversion is absent', () => {
      const result = parseKafkaRecord(record({ headers: { ce_id: 'from-header', ce_subject: 'other' } }), LIMITS);
      expect(result).toEqual({ ok: true, event: EXPECTED_EVENT });
    });

    it('rejects a value that is not JSON as invalid_json', () => {
      const rejection = rejectionOf(parseKafkaRecord(record({ value: Buffer.from('{"specversion": "1.0",') }), LIMITS));
      expect(rejection.reason).toBe('invalid_json');
      expect(rejection.detail).toMatch(/not valid JSON/);
    });

    it('rejects a value that is not UTF-8 JSON as invalid_json', () => {
      expect(rejectionOf(parseKafkaRecord(record({ value: Buffer.from([0xff, 0xfe, 0x00]) }), LIMITS)).reason).toBe(
        'invalid_json',
      );
    });

    it('rejects a null value as invalid_json', () => {
      expect(rejectionOf(parseKafkaRecord(record({ value: null }), LIMITS)).reason).toBe('invalid_json');
    });

    it('rejects an empty value as invalid_json', () => {
      expect(rejectionOf(parseKafkaRecord(record({ value: Buffer.alloc(0) }), LIMITS)).reason).toBe('invalid_json');
    });

    it.each([
      ['null', 'null'],
      ['an array', '[]'],
      ['a string', '"event"'],
      ['a number', '42'],
    ])('rejects a value that is JSON %s as invalid_envelope at the root', (_name, text) => {
      expect(rejectionOf(parseKafkaRecord(record({ value: Buffer.from(text) }), LIMITS))).toMatchObject({
        reason: 'invalid_envelope',
        field: '(root)',
      });
    });

    it('passes envelope rejections through, naming the field', () => {
      const rejection = rejectionOf(
        parseKafkaRecord(record({ value: json({ ...STRUCTURED, subject: 'a b' }) }), LIMITS),
      );
      expect(rejection).toMatchObject({ reason: 'invalid_envelope', field: 'subject' });
    });

    it('applies the data size limit it is given', () => {
      const value = json({ ...STRUCTURED, data: { stage: 'validate', blob: 'x'.repeat(100) } });
      expect(rejectionOf(parseKafkaRecord(record({ value }), { maxDataBytes: 50 })).reason).toBe('oversize_data');
      expect(parseKafkaRecord(record({ value }), { maxDataBytes: 500 }).ok).toBe(true);
    });
  });

  describe('binary mode (attributes in ce_* headers, the value is data)', () => {
    it('builds the event from the headers and the JSON value', () => {
      expect(parseKafkaRecord(binary(), LIMITS)).toEqual({ ok: true, event: EXPECTED_EVENT });
    });

    it('reads ce_expectedversion given as a string', () => {
      const result = parseKafkaRecord(binary({ headers: { ...BINARY_HEADERS, ce_expectedversion: '3' } }), LIMITS);
      expect(result.ok && result.event.expectedVersion).toBe(3);
    });

    it('rejects a non-numeric ce_expectedversion', () => {
      const result = parseKafkaRecord(binary({ headers: { ...BINARY_HEADERS, ce_expectedversion: 'three' } }), LIMITS);
      expect(rejectionOf(result)).toMatchObject({ reason: 'invalid_envelope', field: 'expectedversion' });
    });

    it('ignores headers without the ce_ prefix and headers whose value is undefined', () => {
      const headers = { ...BINARY_HEADERS, traceparent: '00-abc-def-01', 'content-type': 'application/json' };
      expect(parseKafkaRecord(binary({ headers }), LIMITS)).toEqual({ ok: true, event: EXPECTED_EVENT });
      const missingSubject = { ...BINARY_HEADERS, ce_subject: undefined };
      expect(rejectionOf(parseKafkaRecord(binary({ headers: missingSubject }), LIMITS))).toMatchObject({
        reason: 'invalid_envelope',
        field: 'subject',
      });
    });

    it('treats a null value as absent data', () => {
      const headers = { ...BINARY_HEADERS, ce_type: 'custom.noted' };
      const result = parseKafkaRecord(binary({ headers, value: null }), LIMITS);
      expect(result.ok && result.event.data).toBeNull();
    });

    it('treats an empty value as absent data, so a stage event then lacks data.stage', () => {
      expect(rejectionOf(parseKafkaRecord(binary({ value: Buffer.alloc(0) }), LIMITS))).toMatchObject({
        reason: 'invalid_envelope',
        field: 'data.stage',
      });
    });

    it('rejects a value that is not JSON as invalid_json', () => {
      expect(rejectionOf(parseKafkaRecord(binary({ value: Buffer.from('stage=validate') }), LIMITS)).reason).toBe(
        'invalid_json',
      );
    });

    it('rejects a value that is a JSON array as invalid data', () => {
      expect(rejectionOf(parseKafkaRecord(binary({ value: Buffer.from('[1,2]') }), LIMITS))).toMatchObject({
        reason: 'invalid_envelope',
        field: 'data',
      });
    });

    it('rejects an invalid ce_time header naming the time field', () => {
      const headers = { ...BINARY_HEADERS, ce_time: '2026-03-04 05:06:07' };
      expect(rejectionOf(parseKafkaRecord(binary({ headers }), LIMITS))).toMatchObject({
        reason: 'invalid_envelope',
        field: 'time',
      });
    });

    it('rejects a ce_specversion other than 1.0', () => {
      const headers = { ...BINARY_HEADERS, ce_specversion: '0.3' };
      expect(rejectionOf(parseKafkaRecord(binary({ headers }), LIMITS))).toMatchObject({
        reason: 'invalid_envelope',
        field: 'specversion',
      });
    });

    it('applies the data size limit to the value', () => {
      const value = json({ stage: 'validate', blob: 'x'.repeat(100) });
      expect(rejectionOf(parseKafkaRecord(binary({ value }), { maxDataBytes: 50 })).reason).toBe('oversize_data');
    });
  });

  describe('record key', () => {
    it.each([
      ['structured', record],
      ['binary', binary],
    ])('%s: a key equal to the subject is accepted', (_mode, make) => {
      expect(parseKafkaRecord(make({ key: Buffer.from('op-1') }), LIMITS).ok).toBe(true);
    });

    it.each([
      ['structured', record],
      ['binary', binary],
    ])('%s: a key different from the subject is rejected as key_mismatch on subject', (_mode, make) => {
      const rejection = rejectionOf(parseKafkaRecord(make({ key: Buffer.from('op-2') }), LIMITS));
      expect(rejection.reason).toBe('key_mismatch');
      expect(rejection.field).toBe('subject');
      expect(rejection.detail).toContain('op-2');
      expect(rejection.detail).toContain('op-1');
    });

    it('compares the key exactly (case and surrounding spaces matter)', () => {
      expect(rejectionOf(parseKafkaRecord(record({ key: Buffer.from('OP-1') }), LIMITS)).reason).toBe('key_mismatch');
      expect(rejectionOf(parseKafkaRecord(record({ key: Buffer.from('op-1 ') }), LIMITS)).reason).toBe('key_mismatch');
    });

    it('accepts a null key', () => {
      expect(parseKafkaRecord(record({ key: null }), LIMITS)).toEqual({ ok: true, event: EXPECTED_EVENT });
    });

    it('accepts an empty key', () => {
      expect(parseKafkaRecord(record({ key: Buffer.alloc(0) }), LIMITS)).toEqual({ ok: true, event: EXPECTED_EVENT });
    });

    it('reports an invalid envelope before looking at the key', () => {
      const value = json({ ...STRUCTURED, time: 'never' });
      expect(rejectionOf(parseKafkaRecord(record({ key: Buffer.from('op-2'), value }), LIMITS))).toMatchObject({
        reason: 'invalid_envelope',
        field: 'time',
      });
    });

    it('property: any non-empty key other than the subject is a key_mismatch; the subject itself is accepted', () => {
      const idChars = [...'abcXYZ019._:-'];
      const idArb = fc.string({ unit: fc.constantFrom(...idChars), minLength: 1, maxLength: 40 });
      fc.assert(
        fc.property(idArb, fc.string({ minLength: 1, maxLength: 40 }), (subject, key) => {
          const value = json({ ...STRUCTURED, subject });
          expect(parseKafkaRecord(record({ key: Buffer.from(subject), value }), LIMITS).ok).toBe(true);
          const result = parseKafkaRecord(record({ key: Buffer.from(key), value }), LIMITS);
          if (Buffer.from(key).toString('utf8') === subject) expect(result.ok).toBe(true);
          else expect(rejectionOf(result).reason).toBe('key_mismatch');
        }),
      );
    });
  });

  describe('arbitrary input', () => {
    const REASONS = ['invalid_json', 'invalid_envelope', 'oversize_data', 'key_mismatch'];

    function expectWellFormed(result: ParseResult, input: IncomingRecord): void {
      if (result.ok) {
        expect(isValidOperationId(result.event.operationId)).toBe(true);
        expect(result.event.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
        expect(result.event.data === null || typeof result.event.data === 'object').toBe(true);
        if (input.key !== null && input.key.length > 0) {
          expect(input.key.toString('utf8')).toBe(result.event.operationId);
        }
      } else {
        expect(REASONS).toContain(result.rejection.reason);
        expect(typeof result.rejection.detail).toBe('string');
      }
    }

    const keyArb = fc.option(
      fc.oneof(
        fc.uint8Array({ maxLength: 16 }).map((bytes) => Buffer.from(bytes)),
        fc.constant(Buffer.from('op-1')),
      ),
      { nil: null },
    );

    it('property: random value bytes never throw in structured mode', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 256 }), keyArb, (bytes, key) => {
          const input = record({ key, value: Buffer.from(bytes) });
          const result = parseKafkaRecord(input, LIMITS);
          expectWellFormed(result, input);
          expect(result.ok).toBe(false);
        }),
      );
    });

    it('property: random value bytes never throw in binary mode', () => {
      fc.assert(
        fc.property(fc.option(fc.uint8Array({ maxLength: 256 }), { nil: null }), keyArb, (bytes, key) => {
          const input = binary({ key, value: bytes === null ? null : Buffer.from(bytes) });
          expectWellFormed(parseKafkaRecord(input, LIMITS), input);
        }),
      );
    });

    it('property: arbitrary JSON values and header sets never throw', () => {
      const headersArb = fc.dictionary(
        fc.oneof(fc.constantFrom(...Object.keys(BINARY_HEADERS), 'ce_expectedversion', 'ce_data'), fc.string()),
        fc.option(fc.string(), { nil: undefined }),
      );
      const valueArb = fc.option(
        fc.oneof(
          fc.jsonValue().map((v) => json(v)),
          fc.jsonValue().map((data) => json({ ...STRUCTURED, data })),
        ),
        { nil: null },
      );
      fc.assert(
        fc.property(headersArb, valueArb, keyArb, (headers, value, key) => {
          const input = record({ headers, value, key });
          expectWellFormed(parseKafkaRecord(input, LIMITS), input);
        }),
      );
    });
  });
});
