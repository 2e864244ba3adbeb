/**
 * Node configuration: one zod schema, fed by a JSON file and CAIRN_*
 * environment variables (env wins). A bad value stops start-up with the field
 * and the reason.
 */
import { z } from 'zod';
import { countryCode } from '../../schemas/common.js';
import { nodeBaseUrl } from '../../schemas/node.js';
import { peerText } from '../../schemas/records.js';
import { FEDERATION, HTTP, INDEX, KEYS } from './constants.js';
import { CairnError } from './errors.js';

const port = z.coerce.number().int().min(0).max(65535);

export const configSchema = z
  .object({
    node: z
      .object({
        id: z.string().min(1).max(128).regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits and . _ : - only'),
        country: countryCode,
        // What the descriptor publishes: held to the rules peers check it by (schemas/node.ts).
        name: z.string().trim().pipe(peerText(200)),
        url: nodeBaseUrl.transform((u) => u.replace(/\/+$/, '')),
      })
      .strict(),
    http: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: port.default(8700),
        maxBodyBytes: z.coerce.number().int().min(1024).max(256 * 1024 * 1024).default(HTTP.maxBodyBytes),
      })
      .strict()
      .prefault({}),
    storage: z
      .object({
        database: z.string().min(1).default('cairn.db'),
      })
      .strict()
      .prefault({}),
    keys: z
      .object({
        signing: z.string().min(1).default('keys/signing.key'),
        oprf: z.string().min(1).default('keys/oprf.key'),
        /**
         * Rotation policy: days after which each key is due for rotation
         * (`cairn keys status`, /metrics, the console). From the environment:
         * CAIRN_KEYS_ROTATE_EVERY_DAYS as JSON, e.g. {"signing":365,"oprf":90}.
         */
        rotateEveryDays: z
          .preprocess(
            (v) => {
              if (typeof v !== 'string') return v;
              try {
                return JSON.parse(v) as unknown;
              } catch {
                return v;
              }
            },
            z
              .object({
                signing: z.coerce.number().int().min(1).max(3650).default(KEYS.rotateEveryDays.signing),
                oprf: z.coerce.number().int().min(1).max(3650).default(KEYS.rotateEveryDays.oprf),
              })
              .strict(),
          )
          .prefault({}),
      })
      .strict()
      .prefault({}),
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      })
      .strict()
      .prefault({}),
    federation: z
      .object({
        /** Per-peer timeout of one federation request, in milliseconds. */
        timeoutMs: z.coerce.number().int().min(100).max(120_000).default(10_000),
        /** Largest answer accepted from a peer. */
        maxResponseBytes: z.coerce.number().int().min(1024).max(256 * 1024 * 1024).default(16 * 1024 * 1024),
        /**
         * How long a search waits for a replica that a peer's answer found
         * missing or behind to catch up (then the peer is reported as
         * index_syncing and the sync goes on in the background); 0 never waits.
         */
        replicaCatchUpMs: z.coerce.number().int().min(0).max(120_000).default(INDEX.catchUpMs),
        /**
         * Check each peer's audit checkpoint (consistency proof, cosignature)
         * at most this often; the checkpoints between are covered by the next
         * one's proof. 0 checks every new checkpoint an answer carries.
         */
        witnessIntervalMs: z.coerce.number().int().min(0).max(86_400_000).default(FEDERATION.witnessIntervalMs),
        /** Search the peers at once when a missing or unaccompanied child is registered. */
        searchOnRegistration: z
          .union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')])
          .default(false),
      })
      .strict()
      .prefault({}),
    audit: z
      .object({
        /** Days after which an entry's payload is pruned (its leaf hash stays). 3 years, as for SIS and ECRIS-TCN logs. */
        retentionDays: z.coerce.number().int().min(1).max(36500).default(1095),
        /** Sign a new checkpoint for federation answers at most this often. */
        checkpointIntervalMs: z.coerce.number().int().min(0).max(3_600_000).default(1000),
      })
      .strict()
      .prefault({}),
    metrics: z
      .object({
        /** Serve /metrics only on this separate HOST:PORT (e.g. 127.0.0.1:9700), not on the port peers use. */
        listen: z
          .string()
          .regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'must be HOST:PORT, e.g. 127.0.0.1:9700')
          .refine((v) => Number(v.slice(v.lastIndexOf(':') + 1)) <= 65535, 'port must be 0-65535')
          .optional(),
        /** Require an operator's bearer token on /metrics. */
        requireToken: z
          .union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')])
          .default(false),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

/** Name of the environment variable for a config path, e.g. http.maxBodyBytes -> CAIRN_HTTP_MAX_BODY_BYTES. */
export function envNameOf(path: readonly string[]): string {
  return 'CAIRN_' + path.map((p) => p.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_');
}

/** Every leaf path of the schema, for mapping environment variables. */
export function configPaths(): string[][] {
  const out: string[][] = [];
  for (const [section, sub] of Object.entries(configSchema.shape)) {
    const inner = unwrapObject(sub);
    for (const key of Object.keys(inner.shape)) out.push([section, key]);
  }
  return out;
}

function unwrapObject(s: z.ZodType): z.ZodObject {
  let cur: z.ZodType = s;
  // prefault/default wrappers expose the inner type on def.innerType
  while (!(cur instanceof z.ZodObject)) cur = (cur as unknown as { def: { innerType: z.ZodType } }).def.innerType;
  return cur;
}

/**
 * Merge environment variables over a file's content and validate. `sources`
 * names where the file came from, so messages point at the right place.
 */
export function resolveConfig(
  fileContent: unknown,
  env: Record<string, string | undefined>,
  fileName = 'config file',
): Config {
  if (typeof fileContent !== 'object' || fileContent === null || Array.isArray(fileContent)) {
    throw new CairnError('config_invalid', `${fileName}: must be a JSON object`);
  }
  const merged = structuredClone(fileContent) as Record<string, Record<string, unknown>>;
  const fromEnv = new Map<string, string>();
  for (const path of configPaths()) {
    const name = envNameOf(path);
    const v = env[name];
    if (v === undefined || v === '') continue;
    const [section, key] = path as [string, string];
    const sec = merged[section];
    merged[section] = { ...(typeof sec === 'object' && sec !== null ? sec : {}), [key]: v };
    fromEnv.set(path.join('.'), name);
  }
  const parsed = configSchema.safeParse(merged);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => {
    const field = i.path.join('.') || '(root)';
    const src = fromEnv.get(field) ?? fileName;
    const msg = i.code === 'unrecognized_keys' ? `unknown field(s) ${i.keys.map((k) => JSON.stringify(k)).join(', ')}` : i.message;
    return `${field} (from ${src}): ${msg}`;
  });
  throw new CairnError('config_invalid', `invalid configuration:\n  ${lines.join('\n  ')}`, {
    location: { field: parsed.error.issues[0]?.path.join('.') ?? '' },
    details: { issues: lines },
  });
}
