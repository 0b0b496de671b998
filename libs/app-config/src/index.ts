export * from './app-config.module';
export * from './management.mappers';
export * from './endpoint-header.rules';
export * from './endpoint-secret.rules';
export { OperationalEndpointService, SETTINGS_ENDPOINT_UID } from './operational-endpoint.service';
export { applicationInSchema, applicationPatchSchema, applicationListQuerySchema, applicationCreateQuerySchema } from './application.schemas';
export { eventTypeInSchema, eventTypeUpdateSchema, eventTypePatchSchema, eventTypeListQuerySchema, eventTypeDeleteQuerySchema } from './event-type.schemas';
export {
  endpointInSchema,
  endpointUpdateSchema,
  endpointPatchSchema,
  endpointListQuerySchema,
  endpointSecretRotateInSchema,
  endpointHeadersInSchema,
  endpointHeadersPatchInSchema,
  endpointStatsQuerySchema,
} from './endpoint.schemas';
export { appPortalAccessInSchema } from './app-portal.schemas';
export * from './management.responses';
export { ApplicationService, assertSameUid } from './application.service';
