export const ROLES = ['reader', 'writer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Each role includes the ones before it: a writer may read, an admin may do everything. */
const RANK: Record<Role, number> = { reader: 0, writer: 1, admin: 2 };

export function roleAllows(granted: Role, required: Role): boolean {
  return RANK[granted] >= RANK[required];
}
