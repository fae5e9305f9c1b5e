/**
 * One consistent read of a CIFAR-10 folder: a folder replaced while a script loads it (a `get-data --force` in
 * another terminal), a batch rewritten in place, or a file that is not a regular file is refused, never read as a
 * mix of two data sets or as zero-filled records.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkCifar10Dir, loadCifar10 } from '../../runtime/data/reader';
import { RECORD_BYTES, TRAIN_BATCH_FILES } from '../../runtime/data/cifar10_format';
import { makeTmpDir, writeOfficialDir } from './fixtures';

const R = 3;

describe('a consistent CIFAR-10 read', () => {
  let root: string;
  let n = 0;
  beforeAll(() => {
    root = makeTmpDir('reader-consistency');
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  /** A fresh folder of R records per batch written with seed; its path. */
  function folder(seed: number): string {
    const dir = path.join(root, `f${n++}`, 'cifar-10-batches-bin');
    writeOfficialDir(dir, R, seed);
    return dir;
  }

  /** Replaces dir with another complete folder the way get-data --force does: the new one renamed into place. */
  function replaceFolder(dir: string): void {
    const fresh = folder(99);
    fs.renameSync(dir, `${dir}.old`);
    fs.renameSync(fresh, dir);
  }

  it('reads an untouched folder whole', async () => {
    const dir = folder(1);
    const data = await loadCifar10({ dir, recordsPerBatch: R });
    expect(data.train.labels.length).toBe(5 * R);
    expect(data.test.labels.length).toBe(R);
  });

  it('refuses a folder replaced while it is read, instead of mixing two data sets', async () => {
    const dir = folder(2);
    const load = loadCifar10({
      dir,
      recordsPerBatch: R,
      onFileRead: (file) => {
        if (path.basename(file) === TRAIN_BATCH_FILES[1]) replaceFolder(dir);
      },
    });
    await expect(load).rejects.toThrow(
      `CIFAR-10: ${dir} changed while it was being read (the folder was replaced), e.g. by \`npm run get-data -- --force\`; nothing was loaded from it. Run again once it is done.`,
    );
  });

  it('refuses a batch that shrinks after its size was checked, instead of reading zero-filled records', async () => {
    const dir = folder(3);
    const load = loadCifar10({
      dir,
      recordsPerBatch: R,
      onFileRead: (file) => {
        if (path.basename(file) === TRAIN_BATCH_FILES[0]) fs.truncateSync(path.join(dir, TRAIN_BATCH_FILES[2]), RECORD_BYTES);
      },
    });
    await expect(load).rejects.toThrow(`changed while it was being read (${TRAIN_BATCH_FILES[2]} shrank from ${R * RECORD_BYTES} to ${RECORD_BYTES} bytes)`);
  });

  it('refuses a batch that is a symlink to /dev/zero or a FIFO, before reading it', async () => {
    const dir = folder(4);
    const batch = path.join(dir, TRAIN_BATCH_FILES[3]);
    fs.rmSync(batch);
    fs.symlinkSync('/dev/zero', batch);
    await expect(loadCifar10({ dir, recordsPerBatch: 'any' })).rejects.toThrow(`${batch}: is a character device, not a regular file`);
    await expect(checkCifar10Dir(dir, 'any')).rejects.toThrow(`${batch}: is a character device, not a regular file`);
  });
});
