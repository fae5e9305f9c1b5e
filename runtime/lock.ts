/**
 * A lock file so that only one process writes a folder at a time (an import into a data folder, a script's run
 * into its --out). The file holds the owner's process id, host, start time and what it is doing as JSON; it is created whole (written under a temporary name, then hard-linked into place,
 * which fails if a lock is already there). A lock whose process is no longer running on this host is stale and
 * is replaced, with a line saying so.
 *
 * Hand-written rather than proper-lockfile: that library marks a lock with a folder and a refreshed mtime, so it
 * cannot say which process holds the lock, which is what a user waiting on it needs to know.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataError } from '../src/data/errors';
import { asDataError, processAlive } from './atomic';
import { printable } from './printable';
import { readBoundedFileSync } from './read_bounded';

export interface LockOwner {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  since: string;
  /** What the owner is doing, in words ("npm run train"); absent in locks of older writers. */
  doing?: string;
}

export interface Lock {
  file: string;
  /** When a stale lock was replaced: its owner, for a message. */
  replacedStale: LockOwner | null;
  /** Removes the lock (only if it is still this process's). */
  release(): void;
}

/** Locks this process holds, released on any exit (process.exit included), so that none outlives its owner. */
const held = new Set<string>();
let exitHookInstalled = false;

function releaseHeld(): void {
  for (const file of held) if (readOwner(file)?.pid === process.pid) fs.rmSync(file, { force: true });
  held.clear();
}

function readOwner(file: string): LockOwner | null {
  try {
    // A lock is a few hundred bytes; a bigger file (or a symlink to a device) is no lock this code wrote.
    const o = JSON.parse(readBoundedFileSync(file, { maxBytes: 4096, error: (m) => new Error(m) }).toString('utf8')) as Partial<LockOwner>;
    if (!Number.isSafeInteger(o.pid) || typeof o.host !== 'string') return null;
    return { pid: o.pid as number, host: printable(o.host), since: printable(String(o.since)), ...(typeof o.doing === 'string' ? { doing: printable(o.doing) } : {}) };
  } catch {
    return null;
  }
}

/** The options of acquireLock beyond the file and the work. */
export interface LockOptions {
  /** What this process is doing, recorded in the lock for another process's message ("npm run train"). */
  doing?: string;
  /** What else the user can do than wait, appended to the refusal ("or pass another --out"). */
  otherwise?: string;
}

/**
 * Takes the lock `file`, or throws a DataError naming the process that holds it and what it is doing. what: the
 * work being locked, for the message ("an import into data/").
 */
export function acquireLock(file: string, what: string, options: LockOptions = {}): Lock {
  const me: LockOwner = { pid: process.pid, host: os.hostname(), since: new Date().toISOString(), ...(options.doing ? { doing: options.doing } : {}) };
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now().toString(36)}`);
  let replacedStale: LockOwner | null = null;
  try {
    fs.writeFileSync(tmp, `${JSON.stringify(me)}\n`);
  } catch (err) {
    throw asDataError(err, `cannot create the lock ${file}`);
  }
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        fs.linkSync(tmp, file);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw asDataError(err, `cannot create the lock ${file}`);
      }
      const owner = readOwner(file);
      const stale = owner !== null && owner.host === me.host && owner.pid !== process.pid && !processAlive(owner.pid);
      if (!stale || attempt > 0) {
        const who = owner ? `${owner.doing ? `${owner.doing}, ` : ''}process ${owner.pid} on ${owner.host}, since ${owner.since}` : 'a process that left no readable owner';
        throw new DataError(
          `${what} is already running (${who}; lock ${file}). Wait for it to finish${options.otherwise ? ` ${options.otherwise}` : ''}; ` +
            'if that process is gone, delete the lock file.',
        );
      }
      fs.rmSync(file, { force: true });
      replacedStale = owner;
    }
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  if (!exitHookInstalled) process.on('exit', releaseHeld);
  exitHookInstalled = true;
  held.add(file);
  return {
    file,
    replacedStale,
    release: () => {
      held.delete(file);
      if (readOwner(file)?.pid === process.pid) fs.rmSync(file, { force: true });
    },
  };
}
