import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type ResolvedConfig } from '../config/app-config';
import { BackgroundReplayJobs } from './background-replay-jobs';
import { ProjectionDefinitions } from '../event-store/projection/projection-definitions';
import { RebuildInProgressError } from './replay-errors';

/**
 * At start-up, compares the fold definition that built the stored projection
 * with the code's: says when a rebuild is needed, and with REBUILD_ON_START
 * (or --rebuild-on-start) starts it, in the background, with zero downtime.
 */
@Injectable()
export class RebuildOnStart implements OnApplicationBootstrap {
  private readonly logger = new Logger('Replay');

  constructor(
    @Inject(APP_CONFIG) private readonly config: ResolvedConfig,
    private readonly definitions: ProjectionDefinitions,
    private readonly jobs: BackgroundReplayJobs,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    try {
      const status = await this.definitions.status();
      if (!status.rebuildNeeded) return;
      const built = status.builtWithDefinition ?? 'an unknown definition';
      if (!this.config.rebuildOnStart) {
        this.logger.warn(
          `the operations projection was built by fold definition ${built}, the code has ${status.codeDefinition}: ` +
            'a rebuild is needed (opledger replay, POST /v1/admin/projections/rebuild, or start with --rebuild-on-start)',
        );
        return;
      }
      const handle = await this.jobs.startRebuild({ onlyIfOutdated: true });
      if (handle) {
        this.logger.log(
          `rebuilding the operations projection (definition ${built} -> ${status.codeDefinition}) as job ${handle.job.id}`,
        );
      }
    } catch (error) {
      if (error instanceof RebuildInProgressError) {
        this.logger.log(`not rebuilding on start: ${error.message}`);
        return;
      }
      // The database may be down at start-up; the service starts anyway and readiness reports it.
      this.logger.warn(`could not check the projection definition: ${String(error)}`);
    }
  }
}
