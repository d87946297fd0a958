import { Module } from '@nestjs/common';
import { BackgroundReplayJobs } from './background-replay-jobs';
import { ProjectionsAdminController } from './http/projections-admin.controller';
import { OperationRebuilder } from './operation-rebuild';
import { ProjectionDefinitions } from './projection-definitions';
import { ProjectionRebuilder } from './projection-rebuilder';
import { RebuildOnStart } from './rebuild-on-start';
import { ReplayJobStore } from './replay-job-store';

/**
 * Replay: the projection rebuilt from the log (zero-downtime rebuild, verify,
 * single-operation rebuild) and the fold-definition check at start-up.
 */
@Module({
  controllers: [ProjectionsAdminController],
  providers: [
    ReplayJobStore,
    ProjectionDefinitions,
    ProjectionRebuilder,
    OperationRebuilder,
    BackgroundReplayJobs,
    RebuildOnStart,
  ],
  exports: [ProjectionRebuilder, OperationRebuilder, ProjectionDefinitions, ReplayJobStore],
})
export class ReplayModule {}
