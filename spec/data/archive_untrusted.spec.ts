/**
 * An archive handed to get-data is input from outside: an empty image names its entry, names with control
 * characters are escaped before they reach the terminal, and an image entry larger than MAX_IMAGE_ENTRY_BYTES is
 * refused from its header, before its data is decompressed or held in memory.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { getCifar10 } from '../../runtime/data/get_data';
import { MAX_IMAGE_ENTRY_BYTES, scanArchive } from '../../runtime/data/archive';
import { makeArchive, makeTmpDir, writeImageTree } from './fixtures';

const R = 2;
const TRAIN_PER_CLASS = Array(10).fill(1);
const TEST_PER_CLASS = [2, 0, 0, 0, 0, 0, 0, 0, 0, 0];

describe('an untrusted image archive', () => {
  let tmp: string;
  let n = 0;
  beforeAll(() => {
    tmp = makeTmpDir('archive-untrusted');
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  /** An image-folder tree of the right counts under a fresh folder, changed by edit, archived; the archive's path. */
  async function archiveOf(edit: (src: string) => void): Promise<string> {
    const src = path.join(tmp, `src${n++}`);
    await writeImageTree(src, 'imgs', TRAIN_PER_CLASS, TEST_PER_CLASS);
    edit(src);
    return makeArchive(path.join(tmp, `a${n}.tar.gz`), src, ['imgs']);
  }

  it('names the entry of a zero-byte image', async () => {
    const from = await archiveOf((src) => fs.writeFileSync(path.join(src, 'imgs/train/airplane/000.png'), ''));
    await expect(getCifar10({ from, out: path.join(tmp, 'out-empty'), recordsPerBatch: R })).rejects.toThrow('imgs/train/airplane/000.png: empty file');
  });

  it('escapes control characters of entry names before they reach a message', async () => {
    const from = await archiveOf((src) => {
      fs.renameSync(path.join(src, 'imgs/train/cat/000.png'), path.join(src, 'imgs/train/cat/\u001b[2J\u001b]0;pwned\u0007.png'));
      fs.writeFileSync(path.join(src, 'imgs/train/cat/\u001b[2J\u001b]0;pwned\u0007.png'), 'not an image');
    });
    const err = await getCifar10({ from, out: path.join(tmp, 'out-ctl'), recordsPerBatch: R }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain('imgs/train/cat/\\x1b[2J\\x1b]0;pwned\\x07.png: cannot decode image');
    expect((err as Error).message).not.toMatch(/[\u0000-\u001f]/);
  });

  it('refuses an archive holding the same file twice, naming it (the later copy would silently win)', async () => {
    const src = path.join(tmp, `dup${n++}`);
    await writeImageTree(src, 'imgs', TRAIN_PER_CLASS, TEST_PER_CLASS);
    const from = path.join(tmp, `dup${n}.tar`);
    execFileSync('tar', ['-cf', from, '-C', src, 'imgs']);
    const other = path.join(tmp, `dup-other${n}`);
    fs.mkdirSync(path.join(other, 'imgs/train/cat'), { recursive: true });
    fs.writeFileSync(path.join(other, 'imgs/train/cat/000.png'), fs.readFileSync(path.join(src, 'imgs/train/airplane/000.png')));
    execFileSync('tar', ['-rf', from, '-C', other, 'imgs/train/cat/000.png']);
    await expect(scanArchive(from)).rejects.toThrow(`archive ${from}: imgs/train/cat/000.png: appears twice in the archive; refusing it rather than guess which copy is meant`);
  });

  it('refuses an image entry over the cap from its header, before holding it', async () => {
    const from = await archiveOf((src) => fs.writeFileSync(path.join(src, 'imgs/train/dog/000.png'), Buffer.alloc(MAX_IMAGE_ENTRY_BYTES + 1)));
    expect(fs.statSync(from).size).toBeLessThan(100_000);
    const before = process.memoryUsage().arrayBuffers;
    let peak = before;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().arrayBuffers)), 1);
    try {
      await expect(scanArchive(from)).rejects.toThrow(
        `archive ${from}: imgs/train/dog/000.png: an image entry of ${MAX_IMAGE_ENTRY_BYTES + 1} bytes, more than ${MAX_IMAGE_ENTRY_BYTES} (a CIFAR-10 image is a few KB); refusing it unread`,
      );
    } finally {
      clearInterval(timer);
    }
    expect(peak - before).toBeLessThan(MAX_IMAGE_ENTRY_BYTES);
    await expect(getCifar10({ from, out: path.join(tmp, 'out-big'), recordsPerBatch: R })).rejects.toThrow('refusing it unread');
  });
});
