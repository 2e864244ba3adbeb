/**
 * Storage-full errors as every runtime reports them, and the log of a
 * background job that keeps failing: once at first, then once a minute with
 * a count, then once when it works again.
 */
import { describe, expect, it } from 'vitest';
import { CairnError, isStorageFull } from '../src/core/errors.js';
import { failureLog } from '../src/core/failure-log.js';
import type { Logger } from '../src/core/ports.js';

describe('isStorageFull', () => {
  it("knows SQLite's, the file system's and D1's ways of saying the disk is full", () => {
    expect(isStorageFull(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }))).toBe(true);
    expect(isStorageFull(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }))).toBe(true);
    expect(isStorageFull(Object.assign(new Error('EDQUOT: disk quota exceeded'), { code: 'EDQUOT' }))).toBe(true);
    // D1 passes SQLite's error on as text.
    expect(isStorageFull(new Error('D1_ERROR: database or disk is full: SQLITE_FULL'))).toBe(true);
  });

  it('is false for other failures, and for an error Cairn already explained', () => {
    expect(isStorageFull(Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }))).toBe(false);
    expect(isStorageFull(Object.assign(new Error('EACCES'), { code: 'EACCES' }))).toBe(false);
    expect(isStorageFull(new CairnError('unavailable', 'database or disk is full'))).toBe(false);
    expect(isStorageFull(undefined)).toBe(false);
    expect(isStorageFull('SQLITE_FULL')).toBe(false);
  });
});

describe('failureLog', () => {
  function setup() {
    const lines: { level: string; obj: Record<string, unknown>; msg: string | undefined }[] = [];
    const logger: Logger = {
      debug: (obj, msg) => lines.push({ level: 'debug', obj, msg }),
      info: (obj, msg) => lines.push({ level: 'info', obj, msg }),
      warn: (obj, msg) => lines.push({ level: 'warn', obj, msg }),
      error: (obj, msg) => lines.push({ level: 'error', obj, msg }),
      child: () => logger,
    };
    let now = Date.parse('2026-12-03T10:00:00Z');
    const clock = { now: () => new Date(now) };
    return { lines, log: failureLog(logger, 'background checkpoint', clock), advance: (ms: number) => (now += ms) };
  }
  const full = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });

  it('logs the first failure, then once a minute while it lasts, then its recovery', () => {
    const { lines, log, advance } = setup();
    log.succeeded();
    expect(lines).toEqual([]);
    log.failed(full);
    expect(lines).toEqual([{ level: 'error', obj: expect.objectContaining({ code: 'storage_full', hint: expect.stringContaining('free space') }), msg: 'background checkpoint failed' }]);
    // Every half second for just under a minute: nothing more.
    for (let i = 0; i < 119; i++) {
      advance(500);
      log.failed(full);
    }
    expect(lines).toHaveLength(1);
    advance(500);
    log.failed(full);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ level: 'error', msg: 'background checkpoint still failing', obj: { failures: 120, failingForSeconds: 60 } });
    advance(500);
    log.succeeded();
    expect(lines[2]).toMatchObject({ level: 'warn', msg: 'background checkpoint works again', obj: { failures: 121, failedForSeconds: 61 } });
    log.succeeded();
    expect(lines).toHaveLength(3);
  });

  it('starts afresh after a recovery, and says nothing of storage for another cause', () => {
    const { lines, log } = setup();
    log.failed(full);
    log.succeeded();
    log.failed(new Error('boom'));
    expect(lines.map((l) => l.msg)).toEqual(['background checkpoint failed', 'background checkpoint works again', 'background checkpoint failed']);
    expect(lines[2]!.obj).toEqual({ err: 'Error: boom' });
  });
});
