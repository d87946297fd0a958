import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Min } from 'class-validator';

export class TimelineParams {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    example: 4,
    description:
      'Time travel: the timeline right after the event with this version (folded from versions 1..atVersion, ' +
      "attempts from the same events; running stages then end at that state's updatedAt, not now). 404 if the " +
      'operation had no events then.',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'atVersion must be an integer' })
  @Min(1, { message: 'atVersion must be at least 1' })
  atVersion?: number;
}
