/**
 * All-or-nothing writes. A download or import that fails or is interrupted must never leave a half-written file
 * where the reader would take it for data, so everything is written under a temporary name in the destination's
 * own folder (same file system, so the final rename is atomic) and renamed into place only when complete.
 * On an error the temporary is deleted. Temporaries are hidden names: `.NAME.tmp-PID-TIME-K`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Temporaries being written now, so that a process about to exit can remove them (removeLiveTempsSync). */
const live = new Set<string>();
let counter = 0;

/** A fresh temporary path in the same folder as finalPath. */
export function tempPathBeside(finalPath: string, tag: 'tmp' | 'old' = 'tmp'): string {
  const name = `.${path.basename(finalPath)}.${tag}-${process.pid}-${Date.now().toString(36)}-${counter++}`;
  return path.join(path.dirname(finalPath), name);
}

/** True for names made by tempPathBeside (tests look for leftovers with it). */
export function isTempName(name: string): boolean {
  return /^\..+\.(tmp|old)-\d+-[0-9a-z]+-\d+$/.test(name);
}

/** Moves `from` to `to`, replacing a folder already at `to` (which is moved aside first, then deleted). */
async function moveIntoPlace(from: string, to: string): Promise<void> {
  const existing = await fs.promises.lstat(to).catch(() => null);
  if (existing === null || !existing.isDirectory()) {
    await fs.promises.rename(from, to);
    return;
  }
  const old = tempPathBeside(to, 'old');
  live.add(old);
  try {
    await fs.promises.rename(to, old);
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

async function build<T>(finalPath: string, makeDir: boolean, fn: (tmp: string) => Promise<T>): Promise<T> {
  await fs.promises.mkdir(path.dirname(finalPath), { recursive: true });
  const tmp = tempPathBeside(finalPath);
  live.add(tmp);
  try {
    if (makeDir) await fs.promises.mkdir(tmp);
    const result = await fn(tmp);
    await moveIntoPlace(tmp, finalPath);
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
export function buildDirAtomic<T>(finalDir: string, fn: (tmpDir: string) => Promise<T>): Promise<T> {
  return build(finalDir, true, fn);
}

/** As buildDirAtomic, for one file: fn writes the temporary path it is given. */
export function buildFileAtomic<T>(finalPath: string, fn: (tmpPath: string) => Promise<T>): Promise<T> {
  return build(finalPath, false, fn);
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
