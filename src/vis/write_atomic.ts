/**
 * Atomic file writes: the data goes to a temporary file beside the target, then a rename puts it in place.
 *
 * Why: a run that is interrupted (Ctrl-C, out of memory) while writing metrics.json or a figure must leave either the
 * previous file or the new one, never half of one. A rename within one directory is atomic on POSIX file systems,
 * which is why the temporary file lives in the target's own directory rather than in /tmp.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

let tempCounter = 0;

/**
 * Writes `data` to `filePath` atomically, creating the parent directory if needed. Returns the absolute path.
 * On failure the temporary file is removed and the error is rethrown; an existing target is left untouched.
 */
export function writeFileAtomic(filePath: string, data: string | Uint8Array): string {
  const target = path.resolve(filePath);
  const dir = path.dirname(target);
  fs.mkdirSync(dir, { recursive: true });
  tempCounter += 1;
  // pid + counter makes the name unique across concurrent writers without touching any random-number source.
  const temp = path.join(dir, `.${path.basename(target)}.${process.pid}.${tempCounter}.tmp`);
  try {
    const fd = fs.openSync(temp, 'w');
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, target);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw err;
  }
  return target;
}
