/** A version as a strong ETag: `"6"`. */
export function versionEtag(version: number): string {
  return `"${version}"`;
}

/** True when an If-None-Match header lists the given strong or weak tag (or *). */
export function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((candidate) => {
    const tag = candidate.trim().replace(/^W\//, '');
    return tag === '*' || tag === etag;
  });
}
