import { Controller, Get, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { RequireRole } from '../../auth/roles';
import { ListDeadLettersQuery } from '../dead-letters.query';

export class DeadLettersParams {
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be an integer' })
  @Min(1, { message: 'limit must be between 1 and 500' })
  @Max(500, { message: 'limit must be between 1 and 500' })
  limit?: number;

  /** The nextCursor of a previous page. */
  @IsOptional()
  @IsString()
  @Matches(/^\d{1,16}$/, { message: 'cursor must come from a previous page (nextCursor)' })
  cursor?: string;
}

@Controller('v1/dead-letters')
export class DeadLettersController {
  constructor(private readonly queries: QueryBus) {}

  /** Refused inputs with their reasons, newest first. */
  @Get()
  @RequireRole('admin')
  async list(@Query() params: DeadLettersParams) {
    const page = await this.queries.execute(
      new ListDeadLettersQuery(params.cursor === undefined ? null : Number(params.cursor), params.limit ?? 50),
    );
    return { items: page.items, nextCursor: page.nextBeforeId === null ? null : String(page.nextBeforeId) };
  }
}
