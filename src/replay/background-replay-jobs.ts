import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { ProjectionRebuilder, ReplayJobHandle, ReplayRunOptions } from './projection-rebuilder';

/**
 * Jobs the service runs for the admin API and rebuild-on-start. On shutdown
 * they are cancelled (each stops at its next checkpoint, resumable) and
 * awaited before the database connections close.
 */
@Injectable()
export class BackgroundReplayJobs implements BeforeApplicationShutdown {
  private readonly stopping = new AbortController();
  private readonly running = new Set<Promise<unknown>>();

  constructor(private readonly rebuilder: ProjectionRebuilder) {}

  async startRebuild(options: Omit<ReplayRunOptions, 'signal'> = {}): Promise<ReplayJobHandle | null> {
    return this.track(await this.rebuilder.startRebuild({ ...options, signal: this.stopping.signal }));
  }

  async resume(jobId: number, options: Omit<ReplayRunOptions, 'signal'> = {}): Promise<ReplayJobHandle> {
    return this.track(await this.rebuilder.resume(jobId, { ...options, signal: this.stopping.signal }))!;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping.abort();
    await Promise.allSettled([...this.running]);
  }

  private track(handle: ReplayJobHandle | null): ReplayJobHandle | null {
    if (handle) {
      this.running.add(handle.done);
      void handle.done.finally(() => this.running.delete(handle.done));
    }
    return handle;
  }
}
