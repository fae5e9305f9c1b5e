/**
 * Atomic file writes for results (metrics.json, figures): a run interrupted while writing one (Ctrl-C, out of
 * memory, power cut) leaves either the previous file or the new one, never half of one. The write itself is
 * runtime/atomic.ts's writeFileAtomicSync (temporary beside the target, flushed, renamed, folder flushed).
 */
import * as path from 'node:path';
import { ensureDirSync, writeFileAtomicSync } from '../atomic';

/**
 * Writes `data` to `filePath` atomically, creating the parent folder if needed. Returns the absolute path.
 * On failure the temporary file is removed and the error is rethrown; an existing target is left untouched.
 */
export function writeFileAtomic(filePath: string, data: string | Uint8Array): string {
  ensureDirSync(path.dirname(path.resolve(filePath)), 'output folder');
  return writeFileAtomicSync(filePath, data);
}
