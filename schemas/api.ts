/**
 * The HTTP API contract: every route with its request and response schemas.
 * The OpenAPI document at /openapi.json is generated from this list, and the
 * handlers validate with the same schemas, so the two cannot drift apart.
 */
import type { z } from 'zod';
import { problemSchema } from './common.js';
import { dsseEnvelopeWire, healthSchema } from './node.js';

/** Who may call a route. */
export type Access = 'public' | 'analyst' | 'dpo' | 'operator' | 'peer';

export interface RouteSpec {
  method: 'get' | 'post' | 'put' | 'delete';
  /** OpenAPI path template, e.g. /v1/records/{ref}. */
  path: string;
  operationId: string;
  summary: string;
  tags: string[];
  access: Access;
  request?: { body?: z.ZodType; query?: z.ZodObject; params?: z.ZodObject };
  responses: Record<number, { description: string; schema?: z.ZodType; contentType?: string }>;
}

const problem = (description: string) => ({ description, schema: problemSchema, contentType: 'application/problem+json' });

export const routes: RouteSpec[] = [
  {
    method: 'get',
    path: '/.well-known/cairn/node',
    operationId: 'getNodeDescriptor',
    summary: 'The signed node descriptor (DSSE envelope, payloadType application/vnd.cairn.node+json).',
    tags: ['node'],
    access: 'public',
    responses: { 200: { description: 'DSSE envelope over the NodeDescriptor JSON', schema: dsseEnvelopeWire } },
  },
  {
    method: 'get',
    path: '/healthz',
    operationId: 'getHealth',
    summary: 'Liveness and readiness of the node and its database.',
    tags: ['node'],
    access: 'public',
    responses: { 200: { description: 'healthy', schema: healthSchema }, 503: { description: 'unhealthy', schema: healthSchema } },
  },
  {
    method: 'get',
    path: '/metrics',
    operationId: 'getMetrics',
    summary: 'Prometheus metrics (text exposition format).',
    tags: ['node'],
    access: 'public',
    responses: { 200: { description: 'metrics', contentType: 'text/plain; version=0.0.4' } },
  },
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'getOpenApi',
    summary: 'This OpenAPI 3.1 document.',
    tags: ['node'],
    access: 'public',
    responses: { 200: { description: 'OpenAPI document' } },
  },
];

/** Problem responses every route may return. */
export const commonResponses = {
  400: problem('Malformed request (bad JSON, invalid field)'),
  404: problem('Unknown route or resource'),
  413: problem('Request body over the limit'),
  500: problem('Internal error (details only in the node log, by request id)'),
};

export const authResponses = {
  401: problem('Missing or unknown API token'),
  403: problem('The token\'s role may not use this route'),
};
