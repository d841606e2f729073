/** Roles and permissions (domain section 8), mapped once here and used by the API, CLI and workflows. */
export const ROLES = ['admin', 'operator', 'approver', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = [
  'runs:read',
  'runs:create',
  'runs:cancel',
  'runs:approve',
  'audit:read',
  'blueprints:read',
  'blueprints:write',
  'admin',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const GRANTS: Record<Role, readonly Permission[]> = {
  admin: PERMISSIONS,
  operator: ['runs:read', 'runs:create', 'runs:cancel', 'audit:read', 'blueprints:read', 'blueprints:write'],
  approver: ['runs:read', 'runs:approve', 'audit:read', 'blueprints:read'],
  viewer: ['runs:read', 'blueprints:read'],
};

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function permissionsOf(roles: readonly Role[]): Set<Permission> {
  return new Set(roles.flatMap((role) => GRANTS[role]));
}

export function can(roles: readonly Role[], permission: Permission): boolean {
  return permissionsOf(roles).has(permission);
}
