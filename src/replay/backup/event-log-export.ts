import { Injectable } from '@nestjs/common';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { GlobalPosition } from '../../event-store/global-position';
import { EventLogReader } from '../../event-store/log/event-log-reader';
import { toBackupLine } from './backup-line';

export interface ExportOptions {
  /** Only events after this position (incremental backups). */
  after: GlobalPosition;
  pageSize: number;
  onProgress?: (done: number, total: number) => void;
}

export interface ExportSummary {
  file: string;
  events: number;
  after: GlobalPosition;
  /** The head of the log when the export began: the file holds every event in (after, upTo]. */
  upTo: GlobalPosition;
  gzip: boolean;
}

/**
 * Writes the log as NDJSON, in position order, gzip-compressed when the file
 * name ends in .gz. The file is written under a temporary name and renamed at
 * the end, so a file with the final name is always complete.
 */
@Injectable()
export class EventLogExporter {
  constructor(private readonly log: EventLogReader) {}

  async export(file: string, options: ExportOptions): Promise<ExportSummary> {
    // Every event at or below the head is already committed (gap-safe positions): the file is a true cut.
    const upTo = await this.log.headPosition();
    const total = await this.log.countEvents(options.after, upTo);
    const gzip = file.endsWith('.gz');
    let events = 0;
    const log = this.log;
    async function* lines(): AsyncGenerator<string> {
      for await (const page of log.byPosition(options.after, upTo, options.pageSize)) {
        events += page.length;
        yield page.map((event) => `${toBackupLine(event)}\n`).join('');
        options.onProgress?.(events, total);
      }
    }
    const partial = `${file}.partial`;
    try {
      const source = Readable.from(lines());
      const target = createWriteStream(partial);
      await (gzip ? pipeline(source, createGzip(), target) : pipeline(source, target));
      await rename(partial, file);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    return { file, events, after: options.after, upTo, gzip };
  }
}
