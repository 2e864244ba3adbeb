/**
 * The layout is the architecture (ARCHITECTURE.md): domain (src/core) apart
 * from delivery (src/http) apart from runtimes (src/node, src/workers), and
 * the arrows point one way. This test reads every import of every file
 * under src/ and schemas/ and fails on an arrow pointing the wrong way or a
 * cycle, naming the files.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');

interface Import {
  /** The import as written. */
  spec: string;
  /** Repository-relative path of the file it names, for relative imports. */
  target?: string;
  typeOnly: boolean;
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (/\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Static imports and re-exports, `import type`, and dynamic `import('…')`. */
const IMPORT = /(?:^|[\s;}])(import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(file: string): Import[] {
  // Comments may quote imports (module headers do); drop them first.
  const text = readFileSync(join(ROOT, file), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const out: Import[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = (m[3] ?? m[4])!;
    const typeOnly = m[2] !== undefined;
    if (spec.startsWith('.')) {
      const base = join(dirname(file), spec).replace(/\.js$/, '');
      const target = [`${base}.ts`, `${base}.tsx`, join(base, 'index.ts')].find((c) => {
        try {
          readFileSync(join(ROOT, c));
          return true;
        } catch {
          return false;
        }
      });
      out.push({ spec, typeOnly, ...(target ? { target } : {}) });
    } else out.push({ spec, typeOnly });
  }
  return out;
}

const files = [...filesUnder('src'), ...filesUnder('schemas')];
const graph = new Map(files.map((f) => [f, importsOf(f)]));
const layer = (f: string): string => (f.startsWith('schemas/') ? 'schemas' : f.split('/')[1]!);

/** Every import of `from`'s files that breaks `allowed`, as "file → import". */
function violations(from: (f: string) => boolean, refuse: (i: Import) => boolean): string[] {
  const out: string[] = [];
  for (const [f, imports] of graph) if (from(f)) for (const i of imports) if (refuse(i)) out.push(`${f} → ${i.target ?? i.spec}`);
  return out;
}

/** Cycles found by depth-first search (one per back edge), each as a path of files. */
function findCycles(): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (f: string): void => {
    state.set(f, 'open');
    stack.push(f);
    for (const i of graph.get(f) ?? []) {
      if (!i.target || !graph.has(i.target)) continue;
      const s = state.get(i.target);
      if (s === 'open') cycles.push([...stack.slice(stack.indexOf(i.target)), i.target]);
      else if (s === undefined) visit(i.target);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of [...graph.keys()].sort()) if (!state.has(f)) visit(f);
  return cycles;
}

describe('architecture: the arrows point one way', () => {
  it('reads the imports of every file (the parser sees what it should)', () => {
    expect(graph.size).toBeGreaterThan(100);
    const services = graph.get('src/core/services.ts')!.map((i) => i.target);
    expect(services).toContain('src/core/audit/log.ts');
    expect(graph.get('src/node/server.ts')!.map((i) => i.spec)).toContain('@hono/node-server');
    // An import split over lines, and a type-only import, are seen.
    expect(graph.get('src/http/app.ts')!.some((i) => i.target === 'src/core/services.ts' && i.typeOnly)).toBe(true);
  });

  it('the domain (src/core) imports no delivery, no runtime, no node:*, better-sqlite3, pino or process', () => {
    const bad = violations(
      (f) => layer(f) === 'core' || layer(f) === 'schemas',
      (i) =>
        (i.target !== undefined && ['http', 'node', 'workers'].includes(layer(i.target))) ||
        /^(node:|better-sqlite3|pino|process$|cloudflare:|@hono\/node-server)/.test(i.spec),
    );
    expect(bad).toEqual([]);
    // `process` as a global is a runtime reach too.
    const globals = files.filter((f) => (layer(f) === 'core' || layer(f) === 'schemas') && /\bprocess\.(env|argv|exit|cwd|stdout|stderr)\b/.test(readFileSync(join(ROOT, f), 'utf8')));
    expect(globals).toEqual([]);
  });

  it('delivery (src/http) imports no runtime (src/node, src/workers) and never touches storage', () => {
    expect(violations((f) => layer(f) === 'http', (i) => i.target !== undefined && ['node', 'workers'].includes(layer(i.target)))).toEqual([]);
    expect(violations((f) => layer(f) === 'http', (i) => /^(kysely|better-sqlite3|node:)/.test(i.spec) || (i.target?.startsWith('src/core/db/') ?? false) && !i.typeOnly)).toEqual([]);
    const queries = files.filter((f) => layer(f) === 'http' && /\.(selectFrom|insertInto|updateTable|deleteFrom)\(|\bsql`/.test(readFileSync(join(ROOT, f), 'utf8')));
    expect(queries).toEqual([]);
  });

  it('only the composition root builds the services: every entry calls createServices', () => {
    const callers = files.filter((f) => /\bcreateServices\(/.test(readFileSync(join(ROOT, f), 'utf8')));
    expect(callers.sort()).toEqual(['src/core/services.ts', 'src/node/context.ts', 'src/workers/index.ts']);
  });

  it('has no import cycle in src/ or schemas/', () => {
    expect(findCycles().map((c) => c.join(' → '))).toEqual([]);
  });
});
