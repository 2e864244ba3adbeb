/**
 * `cairn peers add|update|policy` as an operator uses them against real
 * nodes on loopback: a descriptor naming another base URL is refused unless
 * asked for, a peer that moved keeps its pinned keys and its policy, a peer
 * with other keys is refused, and policy edits add and remove grants (never
 * a silent replace), with the valid values listed on every mistake.
 */
import { copyFileSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintOfNode, serve } from '../scripts/lib/federation.js';
import { applyPolicyEdit, describePolicyChange, parseGrant } from '../src/core/federation/policy-edit.js';
import { main } from '../src/node/cli.js';
import { freePort, initNode, tempDir } from './helpers/cli.js';

/** Run the CLI in this process (same entry as bin/cairn.js), capturing its output. */
async function cairnIn(argv: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const status = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { status, stdout: out.join('\n'), stderr: err.join('\n') };
}

describe('policy edits (pure)', () => {
  it('adds, removes and replaces grants, keeping the schema order', () => {
    const start = { missing_child_tracing: ['missing_child' as const] };
    const added = applyPolicyEdit(start, { allow: [parseGrant('missing_child_tracing=unaccompanied_minor,missing_child', 'allow'), parseGrant('victim_identification=identified_victim', 'allow')], deny: [] });
    expect(added).toEqual({ victim_identification: ['identified_victim'], missing_child_tracing: ['missing_child', 'unaccompanied_minor'] });
    expect(describePolicyChange(start, added)).toEqual(['+ victim_identification: identified_victim', '+ missing_child_tracing: unaccompanied_minor']);
    expect(applyPolicyEdit(added, { allow: [], deny: [parseGrant('missing_child_tracing=missing_child', 'deny')] })).toEqual({
      victim_identification: ['identified_victim'],
      missing_child_tracing: ['unaccompanied_minor'],
    });
    expect(applyPolicyEdit(added, { allow: [], deny: [parseGrant('victim_identification', 'deny'), parseGrant('missing_child_tracing=missing_child,unaccompanied_minor', 'deny')] })).toEqual({});
    expect(applyPolicyEdit(added, { allow: [parseGrant('offender_risk_check=convicted_offender', 'allow')], deny: [], replace: true })).toEqual({ offender_risk_check: ['convicted_offender'] });
  });

  it('names the valid values on a mistake', () => {
    expect(() => parseGrant('tracing=missing_child', 'allow')).toThrow(/unknown purpose "tracing"; the purposes are: victim_identification, missing_child_tracing/);
    expect(() => parseGrant('missing_child_tracing=missing_child,runaway', 'allow')).toThrow(/unknown category "runaway"; the categories are: convicted_offender, suspect/);
    expect(() => parseGrant('missing_child_tracing', 'allow')).toThrow(/name the categories it may match/);
    expect(() => parseGrant('missing_child_tracing=', 'deny')).toThrow(/no category after "="/);
  });
});

describe('cairn peers add, update and policy', () => {
  const t = tempDir();
  const a = join(t.dir, 'XA');
  const b = join(t.dir, 'XB');
  const c = join(t.dir, 'XC');
  let pa: number;
  let stopA: () => Promise<void> = async () => {};
  let fpA: string;
  beforeAll(async () => {
    pa = await freePort();
    initNode(a, 'XA', pa);
    initNode(b, 'XB', 9);
    initNode(c, 'XC', 9);
    // XA calls itself "localhost": the operator of XB types 127.0.0.1.
    stopA = (await serve(a, pa, { CAIRN_NODE_URL: `http://localhost:${pa}` })).stop;
    fpA = await fingerprintOfNode(`http://127.0.0.1:${pa}`);
  });
  afterAll(async () => {
    await stopA();
    t.cleanup();
  });

  it('refuses a descriptor that names another base URL unless --use-descriptor-url', async () => {
    const typed = `http://127.0.0.1:${pa}`;
    const refused = await cairnIn(['peers', 'add', typed, '--home', b, '--fingerprint', fpA]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(`the node at ${typed} declares its base URL as http://localhost:${pa}; nothing was changed`);
    expect((await cairnIn(['peers', 'list', '--home', b])).stdout).toContain('no peers yet');
    const ok = await cairnIn(['peers', 'add', typed, '--home', b, '--fingerprint', fpA, '--use-descriptor-url']);
    expect(ok.status, ok.stderr).toBe(0);
    expect((await cairnIn(['peers', 'list', '--home', b])).stdout).toContain(`http://localhost:${pa}`);
  });

  it('edits the policy grant by grant, normalising a lower-case country with a message', async () => {
    const first = await cairnIn(['peers', 'policy', 'xa', '--home', b, '--allow', 'missing_child_tracing=missing_child']);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).toContain('taking "xa" as XA');
    expect(first.stdout).toContain('missing_child_tracing=missing_child; 60/min');
    const more = await cairnIn(['peers', 'policy', 'XA', '--home', b, '--allow', 'missing_child_tracing=unaccompanied_minor', '--allow', 'victim_identification=identified_victim', '--rate', '30']);
    expect(more.stdout).toContain('victim_identification=identified_victim; missing_child_tracing=missing_child,unaccompanied_minor; 30/min');
    expect(more.stdout).toContain('+ missing_child_tracing: unaccompanied_minor');
    const less = await cairnIn(['peers', 'policy', 'XA', '--home', b, '--deny', 'victim_identification', '--deny', 'missing_child_tracing=missing_child']);
    expect(less.stdout).toContain('policy of XA');
    expect(less.stdout).toContain(': missing_child_tracing=unaccompanied_minor; 30/min');
    expect(less.stdout).toContain('- victim_identification: identified_victim');
    const none = await cairnIn(['peers', 'policy', 'XA', '--home', b]);
    expect(none.status).toBe(0);
    expect(none.stdout).toContain('unchanged: missing_child_tracing=unaccompanied_minor; 30/min');
  });

  it('refuses unknown purposes, categories and country codes, listing the valid ones, and changes nothing', async () => {
    const cat = await cairnIn(['peers', 'policy', 'XA', '--home', b, '--allow', 'missing_child_tracing=missing_child,runaway']);
    expect(cat.status).toBe(2);
    expect(cat.stderr).toContain('unknown category "runaway"; the categories are: convicted_offender, suspect, identified_victim, missing_child, unaccompanied_minor, child_at_risk');
    const purpose = await cairnIn(['peers', 'policy', 'XA', '--home', b, '--deny', 'tracing']);
    expect(purpose.status).toBe(2);
    expect(purpose.stderr).toContain('the purposes are: victim_identification, missing_child_tracing, criminal_investigation, offender_risk_check, child_protection_assessment');
    const country = await cairnIn(['peers', 'policy', 'UK', '--home', b, '--allow', 'missing_child_tracing=missing_child']);
    expect(country.status).toBe(2);
    expect(country.stderr).toContain('"UK" is not an ISO 3166-1 alpha-2 country code (e.g. DE, FR, GB)');
    expect((await cairnIn(['peers', 'list', '--home', b])).stdout).toContain('policy: missing_child_tracing=unaccompanied_minor; 30/min');
  });

  it('moves a peer to a new URL with the same keys, keeping its policy; refuses other keys', async () => {
    await stopA();
    const moved = await freePort();
    const url = `http://127.0.0.1:${moved}`;
    stopA = (await serve(a, moved, { CAIRN_NODE_URL: url })).stop;
    const r = await cairnIn(['peers', 'update', 'XA', '--home', b, '--url', url]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`http://localhost:${pa} -> ${url}; keys unchanged`);
    const list = (await cairnIn(['peers', 'list', '--home', b])).stdout;
    expect(list).toContain(url);
    expect(list).toContain(`signing ${fpA}`);
    expect(list).toContain('policy: missing_child_tracing=unaccompanied_minor; 30/min');

    // Same node id, new signing key (a copy of XA's home with XC's key): refused.
    await stopA();
    const impostor = join(t.dir, 'XA-rekeyed');
    cpSync(a, impostor, { recursive: true });
    copyFileSync(join(c, 'keys/signing.key'), join(impostor, 'keys/signing.key'));
    stopA = (await serve(impostor, moved, { CAIRN_NODE_URL: url })).stop;
    const bad = await cairnIn(['peers', 'update', 'XA', '--home', b]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('presents keys other than the ones pinned for XA');
    expect((await cairnIn(['peers', 'list', '--home', b])).stdout).toContain(`signing ${fpA}`);
  });
});
