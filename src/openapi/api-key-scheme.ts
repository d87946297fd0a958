/** The name of the bearer security scheme that protected routes reference (see openapi.ts). */
export const API_KEY_SCHEME = 'api-key';
