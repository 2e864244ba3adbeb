/**
 * OPRF key epochs over the operators' API (protocol/38-key-epochs.md):
 * where a rotation stands, and the switch.
 */
import { z } from 'zod';

const epochInfo = z.object({ epoch: z.number().int().min(1), keyId: z.string(), createdAt: z.string() });

export const oprfEpochStateSchema = z
  .object({
    active: epochInfo.extend({ activatedAt: z.string().nullable() }),
    pending: epochInfo.optional().describe('present while a rotation is under way'),
    categories: z.array(
      z.object({
        category: z.string(),
        active: z.number().int().describe('records served in the active epoch'),
        pending: z.number().int().describe('records re-imported into the pending epoch'),
        activeTokens: z.number().int(),
        pendingTokens: z.number().int(),
      }),
    ),
    missing: z.number().int().describe('records served now that the pending epoch does not hold yet'),
  })
  .meta({ id: 'OprfEpochState' });

export const oprfActivateRequestSchema = z
  .object({ dropMissing: z.boolean().optional().describe('delete records served now that were not re-imported into the pending epoch (otherwise activation is refused)') })
  .strict()
  .meta({ id: 'OprfActivateRequest' });

export const oprfActivateResultSchema = z
  .object({
    epoch: z.number().int(),
    previous: z.number().int(),
    keyId: z.string(),
    records: z.number().int(),
    tokens: z.number().int(),
    dropped: z.number().int(),
    destroyed: z.array(z.string()).describe('key files overwritten and removed'),
    operatorAction: z.string().optional().describe('what the operator must still do (Workers: delete the old secret)'),
  })
  .meta({ id: 'OprfActivateResult' });
