/**
 * Performance marks for `npm run bench -- console`: when a view's data arrived (`…-data`) and when
 * it was on screen (`…-rendered`, from an effect: Preact runs effects after the browser painted).
 * Only the first of each name per page load counts.
 */
export function markOnce(name: string): void {
  if (performance.getEntriesByName(`console:${name}`, 'mark').length === 0) performance.mark(`console:${name}`);
}
