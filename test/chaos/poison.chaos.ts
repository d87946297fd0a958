import { Kafka, logLevel, type Producer } from 'kafkajs';
import { DEAD_LETTER_HEADERS } from '../../src/ingest/dead-letters/dead-letter';
import { connectProducer, createTestContext, queryDatabase, uniqueName } from '../support/test-app';
import { testInfrastructure } from '../support/test-env';
import { waitFor } from '../support/wait-for';
import { CHAOS_SIZE, chaosSeed } from './support/chaos-size';
import { ServiceProcess } from '../support/service-process';
import { checkLedger, expectLedgerIntact, ledgerFigures, waitForStoredCount } from './support/ledger-check';
import { writeResult } from './support/results';
import {
  type ChaosEvent,
  generateOperations,
  integer,
  pick,
  type Random,
  seededRandom,
  type SentLedger,
  shuffle,
} from './support/workload';

const { validOperations, invalidRecords } = CHAOS_SIZE.poison;
const MAX_DATA_BYTES = 4096;
/** Every record carries its number here; dead letters keep the original headers, so each can be traced. */
const RECORD_HEADER = 'chaos-record';

type Reason =
  | 'invalid_json'
  | 'invalid_envelope'
  | 'oversize_data'
  | 'key_mismatch'
  | 'version_conflict'
  | 'time_in_future'
  | 'id_conflict';

interface PoisonRecord {
  category: string;
  key: string | null;
  value: Buffer | null;
  expected: Reason;
  /** The valid event whose id this record reuses: it must reach the consumer after that event. */
  reusesIdOf?: string;
}

/** What opledger must answer for arbitrary bytes, decided the way the envelope rules say: JSON first. */
function reasonForBytes(value: Buffer): Reason {
  try {
    JSON.parse(value.toString('utf8'));
    return 'invalid_envelope';
  } catch {
    return 'invalid_json';
  }
}

function validLooking(random: Random, subject: string): ChaosEvent {
  return {
    specversion: '1.0',
    id: `poison-${Math.floor(random() * 1e12)}`,
    source: 'chaos/poison',
    type: 'custom.noted',
    subject,
    time: '2026-03-01T10:00:00Z',
    data: { note: 'looks valid' },
  };
}

function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: true };
  for (let i = 0; i < depth; i += 1) value = { next: value };
  return value;
}

/**
 * One bad record of a random kind, aimed at the partition of `subject`, whose
 * valid events are `valid` (a conflicting id reuses one of them).
 */
function poisonRecord(random: Random, subject: string, valid: readonly ChaosEvent[]): PoisonRecord {
  const json = (event: unknown) => Buffer.from(JSON.stringify(event));
  const base = validLooking(random, subject);
  const kinds: (() => PoisonRecord)[] = [
    () => {
      const bytes = Buffer.from(Array.from({ length: integer(random, 1, 300) }, () => integer(random, 0, 255)));
      return { category: 'random bytes', key: subject, value: bytes, expected: reasonForBytes(bytes) };
    },
    () => ({
      category: 'random bytes',
      key: subject,
      value: random() < 0.5 ? null : Buffer.alloc(0),
      expected: 'invalid_json',
    }),
    () => ({ category: 'truncated JSON', key: subject, value: json(base).subarray(0, 20), expected: 'invalid_json' }),
    () => {
      const [field, wrong] = pick(random, [
        ['id', 42],
        ['source', ['a']],
        ['type', { t: 1 }],
        ['subject', 7],
        ['time', 1_700_000_000],
        ['specversion', 1.0],
        ['data', [1, 2]],
        ['data', 'text'],
        ['expectedversion', 'abc'],
        ['expectedversion', -1],
        ['expectedversion', 1.5],
      ] as [string, unknown][]);
      return {
        category: 'wrong type',
        key: subject,
        value: json({ ...base, [field]: wrong }),
        expected: 'invalid_envelope',
      };
    },
    () => {
      const field = pick(random, ['specversion', 'id', 'source', 'type', 'subject', 'time']);
      const event: Record<string, unknown> = { ...base };
      delete event[field];
      return { category: 'missing field', key: subject, value: json(event), expected: 'invalid_envelope' };
    },
    () => {
      const time = pick(random, [
        'yesterday',
        '2026-02-30T00:00:00Z',
        '2026-13-01T00:00:00Z',
        '2026-01-01 00:00:00Z',
        '2026-01-01T00:00:00',
        '2026-01-01T24:00:00Z',
        '',
      ]);
      return { category: 'bad time', key: subject, value: json({ ...base, time }), expected: 'invalid_envelope' };
    },
    () => {
      const event = pick(random, [
        { ...base, type: 'stage.started', data: { note: 'no stage' } },
        { ...base, type: 'metadata.updated', data: { metadata: 'not an object' } },
        { ...base, id: 'nul\u0000id' },
        { ...base, data: nested(80) },
        { ...base, subject: 'bad subject!' },
      ]);
      return { category: 'type rule broken', key: null, value: json(event), expected: 'invalid_envelope' };
    },
    () => ({
      category: 'oversize data',
      key: subject,
      value: json({ ...base, data: { blob: 'x'.repeat(integer(random, MAX_DATA_BYTES, 200_000)) } }),
      expected: 'oversize_data',
    }),
    () => ({ category: 'key/subject mismatch', key: `${subject}-other`, value: json(base), expected: 'key_mismatch' }),
    () => ({
      category: 'version conflict',
      key: subject,
      value: json({ ...base, expectedversion: 1_000_000 }),
      expected: 'version_conflict',
    }),
    () => {
      // From 10 minutes to 10 hours ahead of the service's clock: over the default MAX_CLOCK_SKEW of 5 minutes.
      const time = new Date(Date.now() + integer(random, 10, 600) * 60_000).toISOString();
      return { category: 'time in future', key: subject, value: json({ ...base, time }), expected: 'time_in_future' };
    },
    () => {
      // A producer that reuses the id of one of its events for another one (other data, or another time).
      const original = pick(random, valid);
      const reused =
        random() < 0.5
          ? { ...original, data: { ...original.data, reused: true } }
          : { ...original, time: new Date(Date.parse(original.time) + integer(random, 1, 1000)).toISOString() };
      return {
        category: 'id conflict',
        key: subject,
        value: json(reused),
        expected: 'id_conflict',
        reusesIdOf: original.id,
      };
    },
  ];
  return pick(random, kinds)();
}

describe('scenario 5: poison input on Kafka', () => {
  let producer: Producer | undefined;
  let service: ServiceProcess | undefined;

  afterAll(async () => {
    await service?.stop();
    await producer?.disconnect();
  });

  it('stores every valid event, dead-letters every invalid record with its reason, and never stalls a partition', async () => {
    const startedAt = Date.now();
    const seed = chaosSeed();
    const random = seededRandom(seed);
    const context = await createTestContext();
    service = await ServiceProcess.start(context, {
      MAX_EVENT_DATA_BYTES: String(MAX_DATA_BYTES),
      INGEST_BATCH_MAX_EVENTS: '100',
    });
    producer = await connectProducer();

    const ledger: SentLedger = new Map();
    const valid = generateOperations('poison-op', validOperations, random, ledger);
    const subjects = [...ledger.keys()];
    const poison = Array.from({ length: invalidRecords }, () => {
      const subject = pick(random, subjects);
      return poisonRecord(
        random,
        subject,
        ledger.get(subject)!.map(({ event }) => event),
      );
    });
    // Exact repeats of valid events (a producer retry): stored once, never dead-lettered.
    const repeats = valid.filter(() => random() < 0.05);
    // Valid events, their repeats and the poison in random order, each on its operation's partition...
    const shuffled = shuffle(random, [
      ...[...valid, ...repeats].map(({ event }) => ({
        key: event.subject as string | null,
        value: Buffer.from(JSON.stringify(event)),
        eventId: event.id,
      })),
      ...poison.map((record, index) => ({ ...record, poisonIndex: index })),
    ]);
    // ...except that a record reusing an id comes after the first copy of the event it reuses it from
    // (the first copy to arrive is the one stored).
    const firstIndex = new Map<string, number>();
    shuffled.forEach((record, index) => {
      if ('eventId' in record && !firstIndex.has(record.eventId)) firstIndex.set(record.eventId, index);
    });
    shuffled.forEach((record, index) => {
      if (!('reusesIdOf' in record) || record.reusesIdOf === undefined) return;
      const original = firstIndex.get(record.reusesIdOf)!;
      if (original < index) return;
      [shuffled[index], shuffled[original]] = [shuffled[original], shuffled[index]];
      firstIndex.set(record.reusesIdOf, index);
    });
    const records = shuffled.map((record, index) => ({ ...record, number: index }));
    const expectedByNumber = new Map<string, Reason>();
    for (const record of records) {
      if ('poisonIndex' in record) expectedByNumber.set(String(record.number), record.expected);
    }
    for (let start = 0; start < records.length; start += 25) {
      await producer.send({
        topic: context.topic,
        messages: records.slice(start, start + 25).map((record) => ({
          key: record.key,
          value: record.value,
          headers: { [RECORD_HEADER]: String(record.number) },
        })),
      });
    }

    const kafka = new Kafka({
      clientId: uniqueName('poison'),
      brokers: testInfrastructure().brokers,
      logLevel: logLevel.ERROR,
    });
    const admin = kafka.admin();
    await admin.connect();
    const lag = async () => {
      const [ends, [committed]] = await Promise.all([
        admin.fetchTopicOffsets(context.topic),
        admin.fetchOffsets({ groupId: context.groupId, topics: [context.topic] }),
      ]);
      const done = new Map(committed.partitions.map((p) => [p.partition, Number(p.offset)]));
      return ends.reduce((sum, end) => sum + Number(end.high) - Math.max(done.get(end.partition) ?? 0, 0), 0);
    };
    const stalled = await waitFor('every partition committed to its end', async () => (await lag()) === 0, {
      timeoutMs: 180_000,
      intervalMs: 250,
    }).then(
      () => null,
      (error: unknown) => error as Error,
    );
    const remainingLag = await lag();
    await admin.disconnect();
    const timeout = await waitForStoredCount(context.databaseUrl, valid.length, 30_000);

    const tableRows = await queryDatabase<{ record: string; reason: string; rows: string }>(
      context.databaseUrl,
      `SELECT headers ->> '${RECORD_HEADER}' AS record, reason, count(*) AS rows FROM dead_letters GROUP BY 1, 2`,
    );
    const topicReasons = new Map<string, Set<string>>();
    const consumer = kafka.consumer({ groupId: uniqueName('dlq-reader') });
    await consumer.connect();
    await consumer.subscribe({ topic: `${context.topic}.dlq`, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const number = message.headers?.[RECORD_HEADER]?.toString() ?? '?';
        const reasons = topicReasons.get(number) ?? new Set<string>();
        reasons.add(message.headers?.[DEAD_LETTER_HEADERS.reason]?.toString() ?? '(none)');
        topicReasons.set(number, reasons);
      },
    });
    const topicTimeout = await waitFor('every dead letter on the topic', () => topicReasons.size >= invalidRecords, {
      timeoutMs: 60_000,
    }).then(
      () => null,
      (error: unknown) => error as Error,
    );
    await consumer.disconnect();

    const figures = await checkLedger(context.databaseUrl, ledger);
    const problems: string[] = [];
    const note = (text: string) => void (problems.length < 10 && problems.push(text));
    const tableByNumber = new Map<string, { reason: string; rows: number }[]>();
    for (const row of tableRows) {
      const entries = tableByNumber.get(row.record) ?? [];
      entries.push({ reason: row.reason, rows: Number(row.rows) });
      tableByNumber.set(row.record, entries);
    }
    let tableWrongReason = 0;
    let tableMissing = 0;
    let tableRepeated = 0;
    let topicWrongReason = 0;
    let topicMissing = 0;
    for (const [number, expected] of expectedByNumber) {
      const entries = tableByNumber.get(number);
      if (!entries) {
        tableMissing += 1;
        note(`record ${number} (${expected}) not in the dead_letters table`);
      } else {
        if (entries.some((e) => e.reason !== expected)) {
          tableWrongReason += 1;
          note(`record ${number}: table says ${JSON.stringify(entries)}, expected ${expected}`);
        }
        if (entries.reduce((sum, e) => sum + e.rows, 0) > 1) tableRepeated += 1;
      }
      const reasons = topicReasons.get(number);
      if (!reasons) {
        topicMissing += 1;
        note(`record ${number} (${expected}) not on the dead-letter topic`);
      } else if ([...reasons].some((reason) => reason !== expected)) {
        topicWrongReason += 1;
        note(`record ${number}: topic says ${[...reasons].join(',')}, expected ${expected}`);
      }
    }
    const deadLetteredValid = [...tableByNumber.keys()].filter((n) => !expectedByNumber.has(n)).length;
    if (deadLetteredValid > 0) note(`${deadLetteredValid} valid records dead-lettered`);
    const categories: Record<string, number> = {};
    for (const record of poison) categories[record.category] = (categories[record.category] ?? 0) + 1;

    writeResult({
      scenario: 'poison',
      order: 5,
      title: 'Poison input on Kafka, interleaved with valid events',
      sizeDescription: `${valid.length.toLocaleString('en')} valid events, ${invalidRecords.toLocaleString('en')} invalid records`,
      seed,
      durationMs: Date.now() - startedAt,
      columns: {
        eventsSent: records.length,
        distinctEvents: figures.distinctEvents,
        stored: figures.stored,
        duplicated: figures.duplicated,
        lost: figures.lost,
        deadLettered: tableByNumber.size,
        baselineStaleRows: null,
      },
      figures: {
        ...ledgerFigures(figures),
        invalidRecords,
        tableMissing,
        tableWrongReason,
        tableRepeated,
        topicMissing,
        topicWrongReason,
        deadLetteredValid,
        remainingLag,
        ...Object.fromEntries(Object.entries(categories).map(([name, n]) => [`sent: ${name}`, n])),
        'sent: exact repeat of a valid event': repeats.length,
      },
    });

    expect(problems).toEqual([]);
    expect({ tableMissing, tableWrongReason, tableRepeated, topicMissing, topicWrongReason, remainingLag }).toEqual({
      tableMissing: 0,
      tableWrongReason: 0,
      tableRepeated: 0,
      topicMissing: 0,
      topicWrongReason: 0,
      remainingLag: 0,
    });
    expectLedgerIntact(figures);
    for (const error of [stalled, timeout, topicTimeout]) if (error) throw error;
  });
});
