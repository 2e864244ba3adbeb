/**
 * Local users and roles. Analysts import and search; DPOs read the audit
 * log; operators manage peers, keys and users. Peers never use these tokens.
 */
import { z } from 'zod';

export const ROLES = ['analyst', 'dpo', 'operator'] as const;
export const roleSchema = z.enum(ROLES);
export type Role = z.infer<typeof roleSchema>;

export const userSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    role: roleSchema,
    createdAt: z.string(),
    revokedAt: z.string().nullable(),
  })
  .meta({ id: 'User' });

export const newUserSchema = z
  .object({
    name: z.string().trim().min(1, 'must not be empty').max(200).regex(/^[^\p{Cc}]*$/u, 'must not contain control characters'),
    role: roleSchema,
  })
  .strict()
  .meta({ id: 'NewUser' });
