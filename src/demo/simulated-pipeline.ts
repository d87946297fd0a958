import type { CloudEvent } from '../client/cloud-event';
import type { EmitResult, OpledgerClient } from '../client/opledger-client';
import type { DemoDocument } from './demo-documents';
import type { SeededRandom } from './seeded-random';

/** The services of the pipeline, in order; the two enrich stages run in parallel. */
export const PIPELINE_STAGES = ['ingest', 'validate', 'enrich-geo', 'enrich-score', 'merge', 'publish'] as const;
export type PipelineStage = (typeof PIPELINE_STAGES)[number];
export const PIPELINE_DIAGRAM = 'ingest → validate → (enrich-geo ∥ enrich-score) → merge → publish';

/** How often things go wrong, per event or per attempt: enough that every effect shows in a few hundred documents. */
const CHAOS = {
  /** A service resends an event it already sent (same id): a lost acknowledgement. */
  duplicateSend: 0.05,
  /** Ingest's first metadata reaches opledger only after the document is finished. */
  lateMetadata: 0.1,
  enrichGeoFailure: 0.25,
  enrichScoreFailure: 0.1,
  enrichScoreSkipped: 0.15,
  mergeFailure: 0.02,
  publishFailure: 0.05,
} as const;

/** Mean latency of each stage at speed 1. */
const MEAN_LATENCY_MS: Record<PipelineStage, number> = {
  ingest: 40,
  validate: 60,
  'enrich-geo': 250,
  'enrich-score': 150,
  merge: 80,
  publish: 100,
};
const MAX_ATTEMPTS = 3;
const RETRY_BACKOFF_MS = 120;

export interface PipelineCounters {
  documentsStarted: number;
  documentsFinished: number;
  /** Every send, duplicates included. */
  eventsSent: number;
  duplicateSends: number;
  lateEvents: number;
}

/** What a document's operation must look like once opledger has stored everything. */
export interface DocumentOutcome {
  id: string;
  status: 'succeeded' | 'failed' | 'interrupted';
  /** Distinct event ids sent: the log must hold exactly these, whatever was sent twice. */
  eventIds: string[];
  duplicateSends: number;
  /** Starts per stage, i.e. the stage's `attempts` in the state. */
  attempts: Partial<Record<PipelineStage, number>>;
  /** Whether ingest's `priority: low` was delivered last, after the document finished. */
  lateMetadata: boolean;
  /**
   * The priority the state must show. Decided by event time, not arrival: a late
   * `low` loses to merge's newer `high`, but wins over ingest's older `normal`
   * when the document failed before merge.
   */
  expectedPriority: 'normal' | 'low' | 'high' | null;
}

export interface PipelineOptions {
  /** Multiplies every latency: 0.1 runs ten times faster. */
  speed: number;
  concurrency: number;
  random: SeededRandom;
  signal: AbortSignal;
}

/**
 * A simulated pipeline: each stage is a "service" with its own SDK client
 * (its own `source`; publish reports over HTTP, the others over Kafka). Each
 * document is ingested, validated, enriched by two stages in parallel, merged
 * and published, with random latencies, failures and retries, duplicate sends
 * and late events.
 */
export class SimulatedPipeline {
  readonly counters: PipelineCounters = {
    documentsStarted: 0,
    documentsFinished: 0,
    eventsSent: 0,
    duplicateSends: 0,
    lateEvents: 0,
  };

  constructor(
    private readonly services: Record<PipelineStage, OpledgerClient>,
    private readonly options: PipelineOptions,
  ) {}

  /** Processes every document, `concurrency` at a time; resolves with what each operation must show. */
  async run(documents: readonly DemoDocument[]): Promise<DocumentOutcome[]> {
    const outcomes: DocumentOutcome[] = [];
    let next = 0;
    const worker = async () => {
      while (next < documents.length && !this.options.signal.aborted) {
        const document = documents[next++];
        this.counters.documentsStarted += 1;
        outcomes.push(await new DocumentRun(document, this.services, this.options, this.counters).process());
        this.counters.documentsFinished += 1;
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.options.concurrency) }, worker));
    return outcomes;
  }
}

class DocumentRun {
  private readonly eventIds = new Set<string>();
  private readonly attempts: Partial<Record<PipelineStage, number>> = {};
  private duplicateSends = 0;
  private lateMetadata: CloudEvent | null = null;
  private priorityRaised = false;

  constructor(
    private readonly document: DemoDocument,
    private readonly services: Record<PipelineStage, OpledgerClient>,
    private readonly options: PipelineOptions,
    private readonly counters: PipelineCounters,
  ) {}

  async process(): Promise<DocumentOutcome> {
    let status: DocumentOutcome['status'];
    try {
      status = (await this.pipeline()) ? 'succeeded' : 'failed';
      // Held back since ingest; its time is older than the `high` the merge stage set.
      if (this.lateMetadata) {
        await this.deliver('ingest', (client) => client.sendBatch(this.document.id, [this.lateMetadata!]));
        this.counters.lateEvents += 1;
      }
    } catch (error) {
      if (!this.options.signal.aborted) throw error;
      status = 'interrupted';
    }
    const late = this.lateMetadata !== null && status !== 'interrupted';
    return {
      id: this.document.id,
      status,
      eventIds: [...this.eventIds],
      duplicateSends: this.duplicateSends,
      attempts: this.attempts,
      lateMetadata: late,
      expectedPriority: status === 'interrupted' ? null : this.priorityRaised ? 'high' : late ? 'low' : 'normal',
    };
  }

  private async pipeline(): Promise<boolean> {
    const { id, customer, country, amount, malformed } = this.document;
    const random = this.options.random;
    await this.send('ingest', (c) => c.created(id, { customer }));
    await this.send('ingest', (c) => c.updateMetadata(id, { customer, country, priority: 'normal' }));
    if (random.chance(CHAOS.lateMetadata)) {
      // Stamped now, delivered at the very end: it is newer than `normal` and older than merge's `high`.
      this.lateMetadata = this.services.ingest.build(id, 'metadata.updated', { metadata: { priority: 'low' } });
    }
    await this.attempt('ingest', 0);

    if (malformed) {
      await this.startStage('validate');
      await this.work('validate');
      const error = { message: 'schema violation: amount is not a number', document: id };
      await this.send('validate', (c) => c.stageFailed(id, 'validate', error));
      await this.send('validate', (c) => c.failed(id, { stage: 'validate', ...error }));
      return false;
    }
    await this.attempt('validate', 0);

    const [geo, score] = await Promise.all([
      this.attempt('enrich-geo', CHAOS.enrichGeoFailure),
      random.chance(CHAOS.enrichScoreSkipped)
        ? this.send('enrich-score', (c) => c.stageSkipped(id, 'enrich-score', 'no score for this customer')).then(
            () => true,
          )
        : this.attempt('enrich-score', CHAOS.enrichScoreFailure),
    ]);
    if (!geo) return this.giveUp('enrich-geo');
    if (!score) return this.giveUp('enrich-score');

    if (!(await this.attempt('merge', CHAOS.mergeFailure))) return this.giveUp('merge');
    await this.send('merge', (c) => c.updateMetadata(id, { priority: 'high', amount }));
    this.priorityRaised = true;

    if (!(await this.attempt('publish', CHAOS.publishFailure))) return this.giveUp('publish');
    await this.send('publish', (c) => c.completed(id, { location: `s3://published/${id}.json` }));
    return true;
  }

  /** Up to MAX_ATTEMPTS tries of a stage: started, work, then completed or failed (and a backoff). */
  private async attempt(stage: PipelineStage, failureRate: number): Promise<boolean> {
    const id = this.document.id;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      await this.startStage(stage);
      await this.work(stage);
      if (!this.options.random.chance(failureRate)) {
        await this.send(stage, (c) => c.stageCompleted(id, stage));
        return true;
      }
      const error = new Error(`${stage}: upstream timed out (attempt ${attempt} of ${MAX_ATTEMPTS})`);
      await this.send(stage, (c) => c.stageFailed(id, stage, error));
      if (attempt < MAX_ATTEMPTS) await this.sleep(RETRY_BACKOFF_MS * attempt * this.options.speed);
    }
    return false;
  }

  private async startStage(stage: PipelineStage): Promise<void> {
    this.attempts[stage] = (this.attempts[stage] ?? 0) + 1;
    await this.send(stage, (c) => c.stageStarted(this.document.id, stage, { attempt: this.attempts[stage] }));
  }

  private async giveUp(stage: PipelineStage): Promise<false> {
    await this.send(stage, (c) =>
      c.failed(this.document.id, { stage, message: `${stage} failed ${MAX_ATTEMPTS} times; giving up` }),
    );
    return false;
  }

  private work(stage: PipelineStage): Promise<void> {
    return this.sleep(this.options.random.latencyMs(MEAN_LATENCY_MS[stage]) * this.options.speed);
  }

  /** One event from a stage's service; now and then sent twice, as a producer retry would. */
  private async send(stage: PipelineStage, emit: (client: OpledgerClient) => Promise<EmitResult>): Promise<void> {
    const [{ event }] = await this.deliver(stage, async (client) => [await emit(client)]);
    if (this.options.random.chance(CHAOS.duplicateSend)) {
      await this.deliver(stage, (client) => client.sendBatch(this.document.id, [event]));
      this.duplicateSends += 1;
      this.counters.duplicateSends += 1;
    }
  }

  private async deliver(
    stage: PipelineStage,
    sending: (client: OpledgerClient) => Promise<EmitResult[]>,
  ): Promise<EmitResult[]> {
    if (this.options.signal.aborted) throw this.options.signal.reason;
    const results = await sending(this.services[stage]);
    for (const { event } of results) this.eventIds.add(event.id);
    this.counters.eventsSent += results.length;
    return results;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const signal = this.options.signal;
      if (signal.aborted) return reject(signal.reason);
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
