import type { DataSourceOptions } from 'typeorm';
import { PoolRecordingPg } from './database-pool';
import { CreateEventLog1764000000000 } from './migrations/1764000000000-create-event-log';
import { OperationListIndexes1764000100000 } from './migrations/1764000100000-operation-list-indexes';
import { DeadLetterRepublish1764000300000 } from './migrations/1764000300000-dead-letter-republish';
import { CreateReplayJobs1764000200000 } from './migrations/1764000200000-create-replay-jobs';
import { AppendFunction1764000400000 } from './migrations/1764000400000-append-function';
import { OperatorReadModels1764000500000 } from './migrations/1764000500000-operator-read-models';
import { EventDigests1764000600000 } from './migrations/1764000600000-event-digests';
import { OperationIdPrefixIndex1764000700000 } from './migrations/1764000700000-operation-id-prefix-index';
import { ParallelAppends1764000800000 } from './migrations/1764000800000-parallel-appends';
import { PlannedReadModelTriggers1764000900000 } from './migrations/1764000900000-planned-read-model-triggers';

export function databaseOptions(url: string, poolSize = 10): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    // pg itself, with its pool recorded for the prepared-statement read (database-pool.ts).
    driver: new PoolRecordingPg(),
    // No entities: each table's owner reads and writes it with SQL.
    entities: [],
    migrations: [
      CreateEventLog1764000000000,
      OperationListIndexes1764000100000,
      CreateReplayJobs1764000200000,
      DeadLetterRepublish1764000300000,
      AppendFunction1764000400000,
      OperatorReadModels1764000500000,
      EventDigests1764000600000,
      OperationIdPrefixIndex1764000700000,
      ParallelAppends1764000800000,
      PlannedReadModelTriggers1764000900000,
    ],
    migrationsTableName: 'schema_migrations',
    // The schema only ever changes through migrations.
    synchronize: false,
    migrationsRun: false,
    // Failed queries surface as exceptions that the callers log; TypeORM's own logger would print to stdout.
    logging: false,
    extra: { max: poolSize, connectionTimeoutMillis: 5000 },
  };
}
