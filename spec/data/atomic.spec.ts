/**
 * All-or-nothing writes: a folder or file appears complete or not at all, replaces what was there only on
 * success, and leaves no temporary behind on failure or when the process must quit at once.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildDirAtomic, buildFileAtomic, isTempName, removeLiveTempsSync, tempPathBeside, writeFileAtomic } from '../../runtime/atomic';
import { leftoverTemps, makeTmpDir } from './fixtures';

describe('atomic writes', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = makeTmpDir('atomic');
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('temporaries sit beside the destination under a recognisable hidden name', () => {
    const t = tempPathBeside(path.join(tmp, 'x', 'final'));
    expect(path.dirname(t)).toBe(path.join(tmp, 'x'));
    expect(isTempName(path.basename(t))).toBe(true);
    expect(isTempName('final')).toBe(false);
  });

  it('a folder built successfully replaces the old one; a failed build leaves the old one untouched', async () => {
    const dest = path.join(tmp, 'folder');
    await buildDirAtomic(dest, async (d) => fs.promises.writeFile(path.join(d, 'a.txt'), 'first'));
    expect(fs.readdirSync(dest)).toEqual(['a.txt']);
    await expect(
      buildDirAtomic(dest, async (d) => {
        await fs.promises.writeFile(path.join(d, 'b.txt'), 'half');
        throw new Error('disk on fire');
      }),
    ).rejects.toThrow('disk on fire');
    expect(fs.readdirSync(dest)).toEqual(['a.txt']);
    expect(fs.readFileSync(path.join(dest, 'a.txt'), 'utf8')).toBe('first');
    await buildDirAtomic(dest, async (d) => fs.promises.writeFile(path.join(d, 'c.txt'), 'second'));
    expect(fs.readdirSync(dest)).toEqual(['c.txt']);
    expect(leftoverTemps(tmp)).toEqual([]);
  });

  it('a file is written whole or not at all', async () => {
    const dest = path.join(tmp, 'files', 'f.bin');
    await writeFileAtomic(dest, 'v1');
    await expect(
      buildFileAtomic(dest, async (t) => {
        await fs.promises.writeFile(t, 'v2, half written');
        throw new Error('interrupted');
      }),
    ).rejects.toThrow('interrupted');
    expect(fs.readFileSync(dest, 'utf8')).toBe('v1');
    expect(fs.readdirSync(path.dirname(dest))).toEqual(['f.bin']);
  });

  it('removeLiveTempsSync deletes temporaries still being written (for an immediate exit)', async () => {
    const dest = path.join(tmp, 'quit');
    let seen = '';
    await buildDirAtomic(dest, async (d) => {
      await fs.promises.writeFile(path.join(d, 'partial.bin'), 'x');
      seen = d;
      removeLiveTempsSync();
      expect(fs.existsSync(d)).toBe(false);
      // Recreate it so the build can finish normally and the test can check the final state.
      await fs.promises.mkdir(d);
    });
    expect(isTempName(path.basename(seen))).toBe(true);
    expect(leftoverTemps(tmp)).toEqual([]);
  });

  it('flushes every file and the folder before the rename, and the parent folder after it', async () => {
    const promises = (jest.requireActual('node:fs') as typeof fs).promises;
    const { open, rename } = promises;
    const calls: string[] = [];
    const base = (p: unknown) => (isTempName(path.basename(String(p))) ? 'temporary' : path.basename(String(p)));
    const spies = [
      jest.spyOn(promises, 'open').mockImplementation(((p: string, flags?: string) => {
        // Opened read-only only to flush (FileHandle.sync).
        if (flags === 'r') calls.push(`flush ${base(p)}`);
        return open(p, flags);
      }) as typeof promises.open),
      jest.spyOn(promises, 'rename').mockImplementation(((from: string, to: string) => {
        calls.push(`rename ${base(from)} to ${base(to)}`);
        return rename(from, to);
      }) as typeof promises.rename),
    ];
    const dest = path.join(tmp, 'flushed', 'data');
    try {
      await buildDirAtomic(dest, async (d) => {
        await fs.promises.writeFile(path.join(d, 'a.bin'), 'a');
        await fs.promises.writeFile(path.join(d, 'b.bin'), 'b');
      });
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    expect(calls).toEqual(['flush a.bin', 'flush b.bin', 'flush temporary', 'rename temporary to data', 'flush flushed']);
  });
});
