import { splitList } from '../ui/format';

export type Scope = 'all' | 'read' | 'send';

/** The create-key form's fields as typed, turned into the API's body. */
export function apiKeyInputOf(fields: { name: string; scope: Scope; expiresAt: string; cidrs: string }): {
  name: string;
  scopes: Scope[];
  expiresAt: string | null;
  allowedCidrs: string[] | null;
} {
  const cidrs = splitList(fields.cidrs);
  const expires = fields.expiresAt.trim() === '' ? null : new Date(fields.expiresAt);
  return {
    name: fields.name.trim(),
    scopes: [fields.scope],
    expiresAt: expires && !Number.isNaN(expires.getTime()) ? expires.toISOString() : null,
    allowedCidrs: cidrs.length > 0 ? cidrs : null,
  };
}
