import type { paths } from './schema';

/** Shorthands for response bodies of the generated client (derived, never written by hand). */
type Json<P extends keyof paths, M extends 'get' | 'post' | 'patch' | 'put', S extends number> = paths[P][M] extends {
  responses: { [K in S]: { content: { 'application/json': infer B } } };
}
  ? B
  : never;
type Item<L> = L extends { data: (infer T)[] } ? T : never;

export type Application = Json<'/api/v1/app/{app_id}', 'get', 200>;
export type Endpoint = Json<'/api/v1/app/{app_id}/endpoint/{endpoint_id}', 'get', 200>;
export type EndpointStats = Json<'/api/v1/app/{app_id}/endpoint/{endpoint_id}/stats', 'get', 200>;
export type EventType = Json<'/api/v1/event-type/{event_type_name}', 'get', 200>;
export type Message = Json<'/api/v1/app/{app_id}/msg/{msg_id}', 'get', 200>;
export type Attempt = Json<'/api/v1/app/{app_id}/msg/{msg_id}/attempt/{attempt_id}', 'get', 200>;
export type MessageEndpoint = Item<Json<'/api/v1/app/{app_id}/msg/{msg_id}/endpoint', 'get', 200>>;
export type ApiKey = Item<Json<'/api/v1/api-keys', 'get', 200>>;
export type CreatedApiKey = Json<'/api/v1/api-keys', 'post', 201>;
export type AuditEntry = Item<Json<'/api/v1/audit-log', 'get', 200>>;
export type AuditVerify = Json<'/api/v1/audit-log/verify', 'get', 200>;
export type TenantSettings = Json<'/api/v1/tenant/settings', 'get', 200>;
export type ProvisionedTenant = Json<'/api/v1/admin/tenants', 'post', 201>;
export type Tenant = Json<'/api/v1/admin/tenants/{id}', 'get', 200>;
export type OperatorOverview = Json<'/api/v1/admin/overview', 'get', 200>;

/** Page size of the lists (the API allows up to 250). */
export const PAGE_SIZE = '20';
