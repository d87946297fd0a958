import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { APP_CONFIG, ResolvedConfig } from '../config/app-config';
import { EventStoreModule } from '../event-store/event-store.module';
import { RepublishDeadLettersHandler } from './dead-letters/commands/republish-dead-letters.handler';
import { DeadLetterStore } from './dead-letters/dead-letter-store';
import { DeadLetterService } from './dead-letters/dead-letter.service';
import { ListDeadLettersHandler } from './dead-letters/queries/list-dead-letters.handler';
import { AppendEventsController } from './http/append-events.controller';
import { DeadLettersController } from './http/dead-letters.controller';
import { RequestAppendCoalescer } from './http/request-append-coalescer';
import { KafkaGateway } from './kafka/kafka-gateway';
import { KafkaIngestService } from './kafka-ingest.service';

@Module({
  imports: [CqrsModule, EventStoreModule],
  controllers: [AppendEventsController, DeadLettersController],
  providers: [
    ListDeadLettersHandler,
    RepublishDeadLettersHandler,
    {
      provide: KafkaGateway,
      inject: [APP_CONFIG],
      useFactory: (config: ResolvedConfig) =>
        new KafkaGateway({
          brokers: config.kafkaBrokers,
          clientId: config.kafkaClientId,
          groupId: config.kafkaGroupId,
          fetchMaxWaitMs: config.ingestFetchMaxWaitMs,
          partitionsConsumedConcurrently: config.ingestPartitionsConcurrency,
          fetchMaxBytes: config.ingestFetchMaxBytes,
          fetchMaxBytesPerPartition: config.ingestFetchMaxBytesPerPartition,
          sessionTimeoutMs: config.kafkaSessionTimeoutMs,
        }),
    },
    DeadLetterStore,
    DeadLetterService,
    KafkaIngestService,
    RequestAppendCoalescer,
  ],
  exports: [KafkaIngestService, DeadLetterService, DeadLetterStore],
})
export class IngestModule {}
