import { Module } from '@nestjs/common';
import { EventStoreModule } from '../event-store/event-store.module';
import { BackgroundReplayJobs } from './background-replay-jobs';
import { ProjectionsAdminController } from './http/projections-admin.controller';
import { OperationRebuilder } from './operation-rebuild';
import { ProjectionRebuilder } from './projection-rebuilder';
import { RebuildOnStart } from './rebuild-on-start';
import { ReplayJobStore } from './jobs/replay-job-store';

/**
 * Replay: the projection rebuilt from the log (zero-downtime rebuild, verify,
 * single-operation rebuild) and the fold-definition check at start-up.
 */
@Module({
  imports: [EventStoreModule],
  controllers: [ProjectionsAdminController],
  providers: [ReplayJobStore, ProjectionRebuilder, OperationRebuilder, BackgroundReplayJobs, RebuildOnStart],
  exports: [ProjectionRebuilder, OperationRebuilder, ReplayJobStore],
})
export class ReplayModule {}
