export { type HashPasswordOptions, hashPassword } from './auth/basic/password-hash';
export { jwtAlgorithms } from './auth/oauth/algorithms';
export type {
  BearerPrincipal,
  BearerResult,
  BearerValidator,
  OAuthProviderOptions,
} from './auth/oauth/types';
export { BoundedLru } from './cache/bounded-lru';
export { validateConfig } from './config/compile';
export { configJsonSchema } from './config/json-schema';
export { defineConfig, loadConfig } from './config/load-config';
export type { SideguardConfig, SideguardConfigInput } from './config/schema';
export { configSchema, proxyPresets } from './config/schema';
export type { SecretInput } from './config/secrets';
export type {
  ContinueDecision,
  ContinueReason,
  RequestDecision,
  RespondDecision,
  RespondReason,
  ResponseCapture,
} from './decision/request-decision';
export { BodyReadError, BodyTooLargeError } from './errors/body-errors';
export { ConfigError, type ConfigIssue, formatConfigPath } from './errors/config-error';
export { isSideguardError, SideguardError, type SideguardErrorCode } from './errors/sideguard-error';
export { createGuard, type Guard, type GuardDeps, type GuardStatus } from './guard/create-guard';
export type { ApiInfo, Exchange } from './guard/exchange';
export type { ExchangeSnapshot } from './guard/exchange-snapshot';
export { type BodyReader, type BodySource, createBufferedBody } from './http/body';
export {
  createGatewayRequest,
  type GatewayRequest,
  type GatewayRequestInit,
  type RequestChanges,
  type RequestReadOptions,
  withRequestChanges,
} from './http/gateway-request';
export type { GatewayResponse, ReplacementResponse } from './http/gateway-response';
export { type HeaderEntry, type HeaderList, headerValue, headerValues } from './http/headers';
export type { ForwardedHeaderMode, ResolvedClient, TrustedProxies } from './net/client-resolver';
export type { RateLimitHeaderDraft } from './ratelimit/headers';
export type { StoreFailureMode } from './ratelimit/rate-limiter';
export type { IoRedisClientLike, NodeRedisClientLike, RedisClientLike } from './ratelimit/redis-client';
export type { RateLimitAlgorithm } from './ratelimit/store';
export type { AuditEvent, AuditSink } from './telemetry/audit';
export { type Logger, type LogMethod, silentLogger } from './telemetry/logger';
