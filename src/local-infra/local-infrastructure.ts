import { join, resolve } from 'node:path';
import type { AppConfig, ResolvedConfig } from '../config/app-config';
import { startLocalKafka } from './local-kafka';
import { startLocalPostgres } from './local-postgres';

export interface LocalInfrastructure {
  config: ResolvedConfig;
  stop(): Promise<void>;
}

/**
 * Fills in what the environment left unset: an embedded Postgres when there is
 * no DATABASE_URL, a local Kafka broker when there is no KAFKA_BROKERS. Both
 * keep their data under DATA_DIR, so `npm start` finds yesterday's log again.
 */
export async function provideInfrastructure(
  config: AppConfig,
  log: (line: string) => void,
): Promise<LocalInfrastructure> {
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  try {
    const dataDir = resolve(config.dataDir);
    const startPostgres = async () => {
      if (config.databaseUrl) return config.databaseUrl;
      log(`DATABASE_URL not set: starting embedded Postgres in ${join(dataDir, 'postgres')}`);
      const pg = await startLocalPostgres({ dataDir: join(dataDir, 'postgres') });
      stops.push(pg.stop);
      log(`embedded Postgres ready at ${pg.url.replace(/:[^:@/]*@/, ':***@')}`);
      return pg.url;
    };
    const startKafka = async () => {
      if (config.kafkaBrokers) return config.kafkaBrokers;
      log(`KAFKA_BROKERS not set: starting a local Kafka broker in ${join(dataDir, 'kafka')}`);
      const kafka = await startLocalKafka({ dataDir: join(dataDir, 'kafka'), log });
      stops.push(kafka.stop);
      log(`local Kafka broker ready at ${kafka.brokers}`);
      return kafka.brokers.split(',');
    };
    const [databaseUrl, kafkaBrokers] = await Promise.all([startPostgres(), startKafka()]);
    return { config: { ...config, databaseUrl, kafkaBrokers }, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
