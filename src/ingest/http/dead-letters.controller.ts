import { Controller, Get, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { RequireRole } from '../../auth/roles';
import { API_KEY_SCHEME } from '../../openapi/api-key-scheme';
import { ApiAuthProblems, ApiProblemResponse, PROBLEM_EXAMPLES } from '../../openapi/decorators';
import { DeadLetterPageDto } from '../../openapi/schemas/dead-letter.schema';
import { ListDeadLettersQuery } from '../dead-letters.query';

export class DeadLettersParams {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 500,
    default: 50,
    example: 50,
    description: 'Most dead letters in the page.',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be an integer' })
  @Min(1, { message: 'limit must be between 1 and 500' })
  @Max(500, { message: 'limit must be between 1 and 500' })
  limit?: number;

  /** The nextCursor of a previous page. */
  @ApiPropertyOptional({
    pattern: '^\\d{1,16}$',
    example: '17',
    description: 'The `nextCursor` of the previous page.',
  })
  @IsOptional()
  @IsString()
  @Matches(/^\d{1,16}$/, { message: 'cursor must come from a previous page (nextCursor)' })
  cursor?: string;
}

@ApiTags('admin')
@ApiBearerAuth(API_KEY_SCHEME)
@Controller('v1/dead-letters')
export class DeadLettersController {
  constructor(private readonly queries: QueryBus) {}

  /** Refused inputs with their reasons, newest first. */
  @Get()
  @RequireRole('admin')
  @ApiOperation({
    summary: 'List dead letters',
    description:
      'Inputs that could not be stored (from Kafka: also published to the dead-letter topic), newest first, ' +
      'with the reason and the original key, value and headers. Role: admin.',
  })
  @ApiOkResponse({ type: DeadLetterPageDto, description: 'A page of dead letters.' })
  @ApiProblemResponse(400, 'A bad `limit` or `cursor`, or an unknown query parameter.', {
    badLimit: PROBLEM_EXAMPLES.badLimit('/v1/dead-letters', 500),
    badCursor: {
      type: 'validation',
      title: 'Invalid request',
      status: 400,
      detail: 'cursor must come from a previous page (nextCursor)',
      instance: '/v1/dead-letters?cursor=abc',
      field: 'cursor',
    },
    unknownParameter: PROBLEM_EXAMPLES.unknownParameter('/v1/dead-letters'),
  })
  @ApiAuthProblems('admin', '/v1/dead-letters')
  async list(@Query() params: DeadLettersParams) {
    const page = await this.queries.execute(
      new ListDeadLettersQuery(params.cursor === undefined ? null : Number(params.cursor), params.limit ?? 50),
    );
    return { items: page.items, nextCursor: page.nextBeforeId === null ? null : String(page.nextBeforeId) };
  }
}
