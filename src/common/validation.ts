import { ValidationError, ValidationPipe } from '@nestjs/common';
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

/** Query and body validation: unknown parameters are refused, the failing field is named. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    exceptionFactory: (errors) => {
      const { field, detail } = firstFailure(errors);
      return Problems.validation(field, detail);
    },
  });
}
