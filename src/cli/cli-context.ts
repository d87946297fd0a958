import { ConsoleLogger, DynamicModule, INestApplicationContext, LogLevel, Module, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { loadConfig, type ResolvedConfig } from '../config/app-config';
import { ConfigModule } from '../config/config.module';
import { EventStoreModule } from '../event-store/event-store.module';
import { MetricsModule } from '../metrics/metrics.module';
import { openCliDatabase } from './cli-database';

@Module({})
class CliModule {
  static forRoot(config: ResolvedConfig, features: readonly Type[]): DynamicModule {
    return {
      module: CliModule,
      // The event store records into the metrics registry, as in the service.
      imports: [ConfigModule.forRoot(config), CqrsModule.forRoot(), MetricsModule, EventStoreModule, ...features],
    };
  }
}

/** Nest's console logger, on stderr: stdout carries the command's results only. */
class StderrLogger extends ConsoleLogger {
  protected override printMessages(
    messages: unknown[],
    context?: string,
    logLevel?: LogLevel,
    _writeStreamType?: 'stdout' | 'stderr',
    errorStack?: unknown,
  ): void {
    super.printMessages(messages, context, logLevel, 'stderr', errorStack);
  }
}

export interface CliContext {
  app: INestApplicationContext;
  config: ResolvedConfig;
}

export interface CliContextOptions {
  /** The feature modules the command needs (the event store is always there); never Kafka. */
  modules: readonly Type[];
  verbose: boolean;
}

/**
 * Runs a command against the database (DATABASE_URL, or the embedded Postgres
 * under DATA_DIR) inside a Nest application context without HTTP or Kafka;
 * migrations are applied first, as at service start-up. Everything is closed
 * afterwards, whatever happens.
 */
export async function withCliContext<T>(options: CliContextOptions, command: (context: CliContext) => Promise<T>) {
  const loaded = loadConfig();
  const database = await openCliDatabase(loaded);
  try {
    // Kafka is never used by the CLI; rebuild-on-start belongs to the service.
    const config: ResolvedConfig = { ...loaded, databaseUrl: database.url, kafkaBrokers: [], rebuildOnStart: false };
    const logger = new StderrLogger('opledger', { logLevels: options.verbose ? ['log', 'warn', 'error'] : ['error'] });
    const app = await NestFactory.createApplicationContext(CliModule.forRoot(config, options.modules), {
      logger: options.verbose ? logger : false,
      abortOnError: false,
    });
    try {
      return await command({ app, config });
    } finally {
      await app.close();
    }
  } finally {
    await database.release();
  }
}
