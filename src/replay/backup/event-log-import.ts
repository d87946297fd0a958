import { Inject, Injectable } from '@nestjs/common';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { APP_CONFIG, type ResolvedConfig } from '../../config/app-config';
import type { OperationEvent } from '../../envelope/operation-event';
import { AppendOutcome, EventStore } from '../../event-store/event-store.service';
import { isTransientDatabaseError } from '../../event-store/transient-errors';
import { parseBackupLine } from './backup-line';

export interface ImportOptions {
  /** Events per append transaction. */
  batchSize: number;
  onProgress?: (bytesRead: number, bytesTotal: number) => void;
}

export interface ImportSummary {
  file: string;
  lines: number;
  appended: number;
  /** Already in the log (same event id): skipped, which is what makes a second import a no-op. */
  duplicates: number;
  /** Appended with another version than in the exported log (the target already had events for the operation). */
  renumbered: number;
}

const APPEND_ATTEMPTS = 5;

async function isGzip(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(2), 0, 2, 0);
    return bytesRead === 2 && buffer[0] === 0x1f && buffer[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

/**
 * Appends a backup file into the log through EventStore.append, in bounded
 * batches and in file order, so that versions, idempotency and projections
 * follow exactly the rules of ingest. Importing the same file twice changes nothing.
 */
@Injectable()
export class EventLogImporter {
  constructor(
    private readonly store: EventStore,
    @Inject(APP_CONFIG) private readonly config: ResolvedConfig,
  ) {}

  async import(file: string, options: ImportOptions): Promise<ImportSummary> {
    const summary: ImportSummary = { file, lines: 0, appended: 0, duplicates: 0, renumbered: 0 };
    const bytesTotal = (await stat(file)).size;
    const gzip = await isGzip(file);
    const raw = createReadStream(file);
    const input: Readable = gzip ? raw.pipe(createGunzip()) : raw;
    raw.on('error', (error) => input.destroy(error));

    let batch: { event: OperationEvent; version: number | null }[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const outcomes = await this.appendWithRetry(batch.map((line) => line.event));
      outcomes.forEach((outcome, index) => {
        if (outcome.status === 'appended') {
          summary.appended += 1;
          if (batch[index].version !== null && outcome.version !== batch[index].version) summary.renumbered += 1;
        } else if (outcome.status === 'duplicate') {
          summary.duplicates += 1;
        }
      });
      batch = [];
      options.onProgress?.(raw.bytesRead, bytesTotal);
    };

    const limits = { maxDataBytes: this.config.maxEventDataBytes };
    for await (const text of createInterface({ input, crlfDelay: Infinity })) {
      summary.lines += 1;
      if (text.trim() === '') continue;
      batch.push(parseBackupLine(text, summary.lines, limits));
      if (batch.length >= options.batchSize) await flush();
    }
    await flush();
    return summary;
  }

  /** The batch is one transaction and idempotent by event id, so a retry after a transient error is safe. */
  private async appendWithRetry(events: OperationEvent[]): Promise<AppendOutcome[]> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.store.append(events);
      } catch (error) {
        if (attempt >= APPEND_ATTEMPTS || !isTransientDatabaseError(error)) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
      }
    }
  }
}
