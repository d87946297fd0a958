import { type ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { Problems } from './problem';

function firstFailure(errors: ValidationError[], prefix = ''): { field: string; detail: string } {
  for (const error of errors) {
    const field = prefix + error.property;
    if (error.constraints) {
      const detail = Object.values(error.constraints)[0];
      return { field, detail };
    }
    if (error.children?.length) return firstFailure(error.children, `${field}.`);
  }
  return { field: '(unknown)', detail: 'invalid request' };
}

/**
 * Most reads carry no query string at all; validating an empty object through
 * class-transformer and class-validator costs more than the database lookup, and
 * every query DTO field is optional, so an empty query is a fresh instance.
 */
class QueryAwareValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const { type, metatype } = metadata;
    const emptyQuery =
      type === 'query' && typeof value === 'object' && value !== null && Object.keys(value).length === 0;
    if (emptyQuery && typeof metatype === 'function' && metatype !== Object) {
      return new (metatype as new () => unknown)();
    }
    return super.transform(value, metadata);
  }
}

/** Query and body validation: unknown parameters are refused, the failing field is named. */
export function createValidationPipe(): ValidationPipe {
  return new QueryAwareValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    exceptionFactory: (errors) => {
      const { field, detail } = firstFailure(errors);
      return Problems.validation(field, detail);
    },
  });
}
