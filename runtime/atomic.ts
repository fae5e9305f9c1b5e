/**
 * All-or-nothing writes. A download or import that fails or is interrupted must never leave a half-written file
 * where the reader would take it for data, so everything is written under a temporary name in the destination's
 * own folder (same file system, so the final rename is atomic), flushed to disk (files, then their folder), and
 * renamed into place only when complete. On an error the temporary is deleted. Temporaries are hidden names:
 * `.NAME.tmp-PID-TIME-K` (being built) and `.NAME.old-PID-TIME-K` (the folder being replaced, set aside).
 *
 * A folder cannot be swapped for another in one step, so replacing one takes two renames (old aside, new in). A
 * process killed between them leaves no NAME, the old data in `.NAME.old-*` and the new in `.NAME.tmp-*`;
 * recoverLeftovers puts the old folder back and removes the rest, and says what it did.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataError } from '../src/data/errors';

/** Temporaries being written now, so that a process about to exit can remove them (removeLiveTempsSync). */
const live = new Set<string>();
let counter = 0;

/** A fresh temporary path in the same folder as finalPath. */
export function tempPathBeside(finalPath: string, tag: 'tmp' | 'old' = 'tmp'): string {
  const name = `.${path.basename(finalPath)}.${tag}-${process.pid}-${Date.now().toString(36)}-${counter++}`;
  return path.join(path.dirname(finalPath), name);
}

const TEMP_NAME = /^\.(.+)\.(tmp|old)-(\d+)-([0-9a-z]+)-\d+$/;

/** True for names made by tempPathBeside (tests look for leftovers with it). */
export function isTempName(name: string): boolean {
  return TEMP_NAME.test(name);
}

/** Whether process `pid` is running on this machine (signal 0 tests without signalling). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const FS_ERRORS: Record<string, string> = {
  ENOSPC: 'no space left on device (ENOSPC); free some space and run it again',
  EDQUOT: 'disk quota exceeded (EDQUOT); free some space and run it again',
  EACCES: 'permission denied (EACCES)',
  EPERM: 'operation not permitted (EPERM)',
  EROFS: 'read-only file system (EROFS)',
  ENOENT: 'no such file or folder (ENOENT)',
  ENOTDIR: 'a part of the path is a file, not a folder (ENOTDIR)',
  EISDIR: 'is a folder, not a file (EISDIR)',
  EEXIST: 'already exists (EEXIST)',
  ENOTEMPTY: 'a folder that should be empty is not (ENOTEMPTY)',
  EMFILE: 'too many open files (EMFILE)',
  EIO: 'input/output error (EIO); the disk may be failing',
};

/** Words for a file-system error's code ("no space left on device (ENOSPC); ..."), or null for other errors. */
export function describeFsError(err: unknown): string | null {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && code in FS_ERRORS ? FS_ERRORS[code] : null;
}

/** A DataError "<what>: <the file-system error in words>" for a known file-system error; other errors as they are. */
export function asDataError(err: unknown, what: string): unknown {
  const words = describeFsError(err);
  return words === null || err instanceof DataError ? err : new DataError(`${what}: ${words}`);
}

/**
 * Makes sure `dir` is a folder this process can write in, creating it and its missing parents one level at a
 * time. Each level is checked before it is created, so an impossible path (a file on the way, /proc, a read-only
 * or unwritable parent) fails at once with a DataError naming the level, instead of Node's recursive mkdir, which
 * never returns on /proc. label: how the user named it, e.g. '--out'. Returns the absolute path.
 */
export function ensureDirSync(dir: string, label: string): string {
  const abs = path.resolve(dir);
  const fail = (where: string, words: string): never => {
    throw new DataError(`${label} ${dir}: cannot use ${where}: ${words}`);
  };
  const missing: string[] = [];
  let p = abs;
  for (;;) {
    let stat: fs.Stats | null = null;
    try {
      stat = fs.statSync(p);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') fail(p, describeFsError(err) ?? (err as Error).message);
      // stat follows links: a link to nothing reads as missing, and mkdir would then fail on the link itself.
      if (code === 'ENOENT' && fs.lstatSync(p, { throwIfNoEntry: false })?.isSymbolicLink()) {
        fail(p, `it is a symbolic link to ${fs.readlinkSync(p)}, which does not exist; create that folder or remove the link`);
      }
    }
    if (stat !== null) {
      if (!stat.isDirectory()) fail(p, 'it exists and is not a folder');
      break;
    }
    missing.unshift(p);
    p = path.dirname(p);
  }
  try {
    fs.accessSync(p, fs.constants.W_OK | fs.constants.X_OK);
  } catch (err) {
    fail(p, `${describeFsError(err) ?? (err as Error).message}; it is not writable`);
  }
  for (const m of missing) {
    try {
      fs.mkdirSync(m);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && fs.statSync(m).isDirectory()) continue;
      fail(m, `cannot create it: ${describeFsError(err) ?? (err as Error).message}`);
    }
  }
  return abs;
}

/** Flushes a file or a folder (its list of names) to disk. */
export function fsyncPathSync(p: string): void {
  const fd = fs.openSync(p, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

async function fsyncPath(p: string): Promise<void> {
  const handle = await fs.promises.open(p, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Flushes a file, or a folder's files and then the folder itself, so that a rename after it publishes whole data. */
async function fsyncTree(p: string): Promise<void> {
  const stat = await fs.promises.lstat(p);
  if (stat.isDirectory()) {
    for (const name of await fs.promises.readdir(p)) await fsyncTree(path.join(p, name));
  } else if (!stat.isFile()) {
    return;
  }
  await fsyncPath(p);
}

/** Steps of a replacement, reported to BuildOptions.onStep (tests kill the process at one to check recovery). */
export type BuildStep = 'written' | 'old-set-aside' | 'renamed';

export interface BuildOptions {
  /** Called after each step; see BuildStep. */
  onStep?: (step: BuildStep) => void;
}

/** Moves `from` to `to`, replacing a folder already at `to` (which is moved aside first, then deleted). */
async function moveIntoPlace(from: string, to: string, onStep: (step: BuildStep) => void): Promise<void> {
  const existing = await fs.promises.lstat(to).catch(() => null);
  if (existing === null || !existing.isDirectory()) {
    await fs.promises.rename(from, to);
    return;
  }
  const old = tempPathBeside(to, 'old');
  live.add(old);
  try {
    await fs.promises.rename(to, old);
    onStep('old-set-aside');
    try {
      await fs.promises.rename(from, to);
    } catch (err) {
      await fs.promises.rename(old, to);
      throw err;
    }
    await fs.promises.rm(old, { recursive: true, force: true });
  } finally {
    live.delete(old);
  }
}

async function build<T>(finalPath: string, makeDir: boolean, fn: (tmp: string) => Promise<T>, options: BuildOptions): Promise<T> {
  const onStep = options.onStep ?? (() => {});
  ensureDirSync(path.dirname(finalPath), 'destination');
  const tmp = tempPathBeside(finalPath);
  live.add(tmp);
  try {
    if (makeDir) await fs.promises.mkdir(tmp);
    const result = await fn(tmp);
    await fsyncTree(tmp);
    onStep('written');
    await moveIntoPlace(tmp, finalPath, onStep);
    await fsyncPath(path.dirname(finalPath));
    onStep('renamed');
    return result;
  } catch (err) {
    await fs.promises.rm(tmp, { recursive: true, force: true });
    throw err;
  } finally {
    live.delete(tmp);
  }
}

/**
 * Runs fn with a new empty temporary folder beside finalDir. If fn succeeds the folder becomes finalDir
 * (replacing any folder there); if fn throws, it is deleted and the error rethrown. Returns fn's result.
 */
export function buildDirAtomic<T>(finalDir: string, fn: (tmpDir: string) => Promise<T>, options: BuildOptions = {}): Promise<T> {
  return build(finalDir, true, fn, options);
}

/** As buildDirAtomic, for one file: fn writes the temporary path it is given. */
export function buildFileAtomic<T>(finalPath: string, fn: (tmpPath: string) => Promise<T>, options: BuildOptions = {}): Promise<T> {
  return build(finalPath, false, fn, options);
}

/** Writes data to finalPath all at once or not at all. */
export function writeFileAtomic(finalPath: string, data: Uint8Array | string): Promise<void> {
  return buildFileAtomic(finalPath, (tmp) => fs.promises.writeFile(tmp, data));
}

/**
 * Deletes every temporary still being written, synchronously. For a process that must exit at once (a second
 * Ctrl-C) and so cannot wait for the failing operation to clean up after itself.
 */
export function removeLiveTempsSync(): void {
  for (const p of live) fs.rmSync(p, { recursive: true, force: true });
  live.clear();
}

/** A temporary of finalPath's left in its folder: its name, kind and the process that made it. */
interface Leftover {
  path: string;
  tag: 'tmp' | 'old';
  pid: number;
  time: number;
}

function leftoversOf(finalPath: string): Leftover[] {
  const dir = path.dirname(finalPath);
  const base = path.basename(finalPath);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const out: Leftover[] = [];
  for (const name of names) {
    const m = TEMP_NAME.exec(name);
    if (m === null || m[1] !== base) continue;
    out.push({ path: path.join(dir, name), tag: m[2] as 'tmp' | 'old', pid: Number(m[3]), time: parseInt(m[4], 36) });
  }
  return out.sort((a, b) => b.time - a.time);
}

/**
 * Cleans up after a write of finalPath that was killed (kill -9, power cut): when finalPath is missing but a
 * replacement had set the old folder aside, the old folder is put back; every other temporary of a process that
 * is no longer running is deleted. Temporaries of running processes are left alone. Returns one line per action,
 * for the caller to print.
 */
export function recoverLeftovers(finalPath: string): string[] {
  const lines: string[] = [];
  const dead = leftoversOf(finalPath).filter((l) => l.pid !== process.pid && !processAlive(l.pid));
  if (!fs.existsSync(finalPath)) {
    const old = dead.find((l) => l.tag === 'old');
    if (old) {
      fs.renameSync(old.path, finalPath);
      fsyncPathSync(path.dirname(finalPath));
      lines.push(`restored ${finalPath} from ${path.basename(old.path)}, which a replacement killed half-way (process ${old.pid}) had set aside`);
      dead.splice(dead.indexOf(old), 1);
    }
  }
  for (const l of dead) {
    fs.rmSync(l.path, { recursive: true, force: true });
    lines.push(`removed ${path.basename(l.path)}, left by an interrupted write (process ${l.pid}, no longer running)`);
  }
  return lines;
}

/** Names of temporaries of finalPath present now (for a "not found" message to mention). */
export function leftoverNames(finalPath: string): string[] {
  return leftoversOf(finalPath).map((l) => path.basename(l.path));
}

/**
 * Writes data to finalPath synchronously, all at once or not at all, and durably: the temporary (a tempPathBeside
 * name) is flushed before the rename and the folder after it, so that after a power cut the file is either the
 * old one or the new one, whole. Creates no folders. Returns the absolute path.
 */
export function writeFileAtomicSync(finalPath: string, data: Uint8Array | string): string {
  const target = path.resolve(finalPath);
  const tmp = tempPathBeside(target);
  try {
    const fd = fs.openSync(tmp, 'wx');
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, target);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    // A full disk or a refused write names the file and what to do; the file at target is as it was.
    const words = describeFsError(err);
    if (words !== null) throw new DataError(`cannot write ${target}: ${words}; the previous ${path.basename(target)}, if any, is unchanged`);
    throw err;
  }
  fsyncPathSync(path.dirname(target));
  return target;
}
