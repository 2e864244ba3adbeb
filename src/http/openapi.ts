/**
 * OpenAPI 3.1 generated from the route registry in schemas/api.ts (zod 4's
 * JSON Schema output is draft 2020-12, which OpenAPI 3.1 uses).
 */
import { z } from 'zod';
import { authResponses, commonResponses, rolesOf, routes, type RouteSpec } from '../../schemas/api.js';
import { PROTOCOL_VERSION } from '../core/constants.js';

/** Named schemas (zod `.meta({ id })`) collected into components.schemas. */
type Components = Record<string, unknown>;

/**
 * JSON Schema of a zod schema, with named sub-schemas hoisted into
 * `components` and their `$ref`s pointed there.
 */
function jsonSchema(s: z.ZodType, io: 'input' | 'output', components: Components): unknown {
  const out = z.toJSONSchema(s, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete out.$schema;
  const defs = out.$defs as Record<string, unknown> | undefined;
  delete out.$defs;
  const rewrite = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(rewrite);
    if (typeof v !== 'object' || v === null) return v;
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      o[k] = k === '$ref' && typeof x === 'string' ? x.replace('#/$defs/', '#/components/schemas/') : rewrite(x);
    }
    return o;
  };
  for (const [name, def] of Object.entries(defs ?? {})) components[name] ??= rewrite(def);
  return rewrite(out);
}

function operation(r: RouteSpec, components: Components): Record<string, unknown> {
  const params: unknown[] = [];
  for (const [where, obj] of [
    ['path', r.request?.params],
    ['query', r.request?.query],
  ] as const) {
    if (!obj) continue;
    for (const [name, s] of Object.entries(obj.shape)) {
      params.push({ name, in: where, required: where === 'path' || !(s as z.ZodType).safeParse(undefined).success, schema: jsonSchema(s as z.ZodType, 'input', components) });
    }
  }
  const responses: Record<string, unknown> = {};
  const all = { ...commonResponses, ...(r.access === 'public' || r.access === 'peer' ? {} : authResponses), ...r.responses };
  for (const [status, resp] of Object.entries(all)) {
    const ct = resp.contentType ?? 'application/json';
    responses[status] = {
      description: resp.description,
      ...(resp.schema ? { content: { [ct]: { schema: jsonSchema(resp.schema, 'output', components) } } } : {}),
    };
  }
  return {
    operationId: r.operationId,
    summary: r.summary,
    tags: r.tags,
    ...(params.length ? { parameters: params } : {}),
    ...(r.request?.body ? { requestBody: { required: true, content: { [r.request.bodyContentType ?? r.request.contentType ?? 'application/json']: { schema: jsonSchema(r.request.body, 'input', components) } } } } : {}),
    ...(r.access === 'public' ? { security: [] } : r.access === 'peer' ? { security: [{ peerSignature: [] }] } : { security: [{ apiToken: rolesOf(r.access) }] }),
    'x-cairn-access': r.access,
    responses,
  };
}

/** Build the OpenAPI document. */
export function buildOpenApi(serverUrl: string, version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const schemas: Components = {};
  for (const r of routes) (paths[r.path] ??= {})[r.method] = operation(r, schemas);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Cairn node API',
      version,
      description: `Cairn federated match node, protocol ${PROTOCOL_VERSION}. Errors are RFC 9457 problem details with a stable \`code\`.`,
    },
    servers: [{ url: serverUrl }],
    components: {
      schemas,
      securitySchemes: {
        apiToken: { type: 'http', scheme: 'bearer', description: 'Local user API token (roles: analyst, dpo, operator).' },
        peerSignature: { type: 'apiKey', in: 'header', name: 'signature', description: 'Ed25519 request signature of a registered peer node (see PROTOCOL.md).' },
      },
    },
    paths,
  };
}
