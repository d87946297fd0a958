import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

/** The optional `limit` query parameter of every paged route: validated, documented, one definition. */
export function PageLimit(max: number, byDefault: number, what: string): PropertyDecorator {
  const range = `limit must be between 1 and ${max}`;
  return applyDecorators(
    ApiPropertyOptional({
      type: 'integer',
      minimum: 1,
      maximum: max,
      default: byDefault,
      example: byDefault,
      description: `Most ${what} in the page.`,
    }),
    IsOptional(),
    Type(() => Number),
    IsInt({ message: 'limit must be an integer' }),
    Min(1, { message: range }),
    Max(max, { message: range }),
  );
}
