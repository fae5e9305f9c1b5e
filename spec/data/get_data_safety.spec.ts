/**
 * get-data when things go wrong around it: a process killed half-way through replacing the data, two imports at
 * once, a full disk, a folder it may not read, and the messages each gives. Errors a root-run test cannot cause
 * (a full disk, permission denied) are injected into fs (fixtures.failFs); the kill is a real SIGKILL of a child.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { getCifar10 } from '../../runtime/data/get_data';
import { loadCifar10 } from '../../runtime/data/reader';
import { acquireLock } from '../../runtime/lock';
import { failFs, leftoverTemps, makeArchive, makeTmpDir, snapshot, writeImageTree, writeOfficialDir } from './fixtures';

const R = 4;
const root = path.resolve(__dirname, '../..');
const tsxCli = require.resolve('tsx/cli');

function tsx(script: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [tsxCli, script, ...args], { cwd: root, encoding: 'utf8', timeout: 60000, env: { ...process.env, TFJS_WASM_THREADS: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** No stack trace in a script's output: no "    at f (file:line)" lines. */
function expectNoStack(text: string): void {
  expect(text).not.toMatch(/^\s+at .+:\d+/m);
}

describe('get-data safety', () => {
  let tmp: string;
  let images: string;
  let official: string;
  beforeAll(async () => {
    tmp = makeTmpDir('safety');
    const src = path.join(tmp, 'src');
    await writeImageTree(src, 'cifar-10-images', new Array(10).fill(2), [1, 0, 1, 0, 0, 1, 0, 0, 0, 1]);
    images = await makeArchive(path.join(tmp, 'images.tar.gz'), src, ['cifar-10-images']);
    writeOfficialDir(path.join(tmp, 'official', 'cifar-10-batches-bin'), R);
    official = await makeArchive(path.join(tmp, 'official.tar.gz'), path.join(tmp, 'official'), ['cifar-10-batches-bin']);
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('--force killed between setting the old data aside and renaming the new in: the next run puts the old data back', async () => {
    const out = path.join(tmp, 'killed');
    const dir = path.join(out, 'cifar-10-batches-bin');
    await getCifar10({ from: images, out, recordsPerBatch: R });
    const before = snapshot(dir);
    const child = tsx(path.join(__dirname, 'kill_during_force.ts'), [official, out, String(R)]);
    // tsx runs the script in a child of its own, which the kill ends; tsx reports it as 128 + 9.
    expect(child.status).toBe(137);
    // The window: no data folder, the old one set aside, the new one complete but not renamed, the lock left.
    expect(fs.existsSync(dir)).toBe(false);
    const left = fs.readdirSync(out).sort();
    expect(left).toEqual(['.cifar-10-batches-bin.lock', expect.stringMatching(/^\.cifar-10-batches-bin\.old-/), expect.stringMatching(/^\.cifar-10-batches-bin\.tmp-/)]);
    // The loader says what it found, and what to run.
    await expect(loadCifar10({ dir, recordsPerBatch: R })).rejects.toThrow(
      /CIFAR-10 not found: .* is not a folder\. Beside it: \.cifar-10-batches-bin\.old-.*, \.cifar-10-batches-bin\.tmp-.*, left by an interrupted get-data; running it again restores or removes them\./,
    );
    const lines: string[] = [];
    const result = await getCifar10({ out, recordsPerBatch: R, log: (l) => lines.push(l) });
    expect(result.action).toBe('already-present');
    const pid = /^replaced a stale lock of process (\d+) \(since .*\), which is no longer running$/.exec(lines[0])?.[1];
    expect(pid).toBeDefined();
    expect(lines[1]).toMatch(new RegExp(`^restored ${dir} from \\.cifar-10-batches-bin\\.old-${pid}-.*, which a replacement killed half-way \\(process ${pid}\\) had set aside$`));
    expect(lines[2]).toMatch(new RegExp(`^removed \\.cifar-10-batches-bin\\.tmp-${pid}-.*, left by an interrupted write \\(process ${pid}, no longer running\\)$`));
    expect(lines).toHaveLength(4);
    const after = snapshot(dir);
    expect([...after.keys()]).toEqual([...before.keys()]);
    for (const [name, bytes] of before) expect(after.get(name)!.equals(bytes)).toBe(true);
    expect(fs.readdirSync(out)).toEqual(['cifar-10-batches-bin']);
  }, 60000);

  it('two imports at once: one wins, the other says an import is running and which process holds the lock', async () => {
    const out = path.join(tmp, 'race');
    const results = await Promise.allSettled([getCifar10({ from: images, out, recordsPerBatch: R }), getCifar10({ from: official, out, recordsPerBatch: R })]);
    expect(results[0].status).toBe('fulfilled');
    expect(results[1].status).toBe('rejected');
    const lock = path.join(out, '.cifar-10-batches-bin.lock');
    expect(String((results[1] as PromiseRejectedResult).reason.message)).toMatch(
      new RegExp(`^an import into ${out} is already running \\(npm run get-data, process ${process.pid} on ${os.hostname()}, since .*; lock ${lock}\\)\\. Wait for it to finish`),
    );
    expect((await loadCifar10({ dir: path.join(out, 'cifar-10-batches-bin'), recordsPerBatch: R })).train.n).toBe(20);
    expect(fs.readdirSync(out)).toEqual(['cifar-10-batches-bin']);
    // A lock held by another running process (here: this test's parent) is respected; one of a dead process is not.
    fs.writeFileSync(lock, JSON.stringify({ pid: process.ppid, host: os.hostname(), since: 'earlier' }));
    await expect(getCifar10({ from: images, out, recordsPerBatch: R, force: true })).rejects.toThrow(`(process ${process.ppid} on ${os.hostname()}, since earlier;`);
    const dead = spawnSync(process.execPath, ['-e', '0']).pid as number;
    fs.writeFileSync(lock, JSON.stringify({ pid: dead, host: os.hostname(), since: 'earlier' }));
    const held = acquireLock(lock, 'a test');
    expect(held.replacedStale).toEqual({ pid: dead, host: os.hostname(), since: 'earlier' });
    expect(JSON.parse(fs.readFileSync(lock, 'utf8')).pid).toBe(process.pid);
    held.release();
    expect(fs.existsSync(lock)).toBe(false);
  });

  it('a full disk while extracting or importing is named as such, not blamed on the archive, and leaves nothing', async () => {
    const inTemp = (p: string) => p.includes('.cifar-10-batches-bin.tmp-');
    for (const [from, name, style] of [
      [official, 'open', 'callback'],
      [images, 'writeFile', 'promise'],
    ] as const) {
      const out = path.join(tmp, `full-${name}`);
      const restore = failFs(name, 'ENOSPC', (p) => inTemp(p) && p.endsWith('data_batch_3.bin'), style);
      try {
        await expect(getCifar10({ from, out, recordsPerBatch: R })).rejects.toThrow(
          `writing ${path.join(out, 'cifar-10-batches-bin')}: no space left on device (ENOSPC); free some space and run it again`,
        );
      } finally {
        restore();
      }
      expect(fs.readdirSync(out)).toEqual([]);
      expect(leftoverTemps(out)).toEqual([]);
    }
  });

  it('a data folder or file it may not read is reported as permission denied, not as missing', async () => {
    const dir = path.join(tmp, 'unreadable');
    writeOfficialDir(dir, R);
    let restore = failFs('readdir', 'EACCES', (p) => p === dir, 'promise');
    try {
      await expect(loadCifar10({ dir, recordsPerBatch: R })).rejects.toThrow(`CIFAR-10: cannot list ${dir} (the dir option): permission denied (EACCES)`);
    } finally {
      restore();
    }
    restore = failFs('access', 'EACCES', (p) => p.endsWith('test_batch.bin'), 'promise');
    try {
      await expect(loadCifar10({ dir, recordsPerBatch: R })).rejects.toThrow(`CIFAR-10: cannot read ${path.join(dir, 'test_batch.bin')}: permission denied (EACCES)`);
    } finally {
      restore();
    }
  });

  it('never deletes a folder that is not valid CIFAR-10 without --force: the refusal names what it holds and changes nothing', async () => {
    const out = path.join(tmp, 'user-folder');
    const dir = path.join(out, 'cifar-10-batches-bin');
    fs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'my notes');
    fs.writeFileSync(path.join(dir, 'sub', 'more.txt'), 'more');
    const before = snapshot(out);
    await expect(getCifar10({ from: official, out, recordsPerBatch: R })).rejects.toThrow(
      /cifar-10-batches-bin exists but is not valid CIFAR-10 \(.*\) and holds 2 entries \(notes\.txt, sub\), which may be yours; nothing was changed\. Move them away, or pass --force/,
    );
    expect(snapshot(out)).toEqual(before);
    // An empty folder holds nothing to lose; --force replaces the user's folder as asked.
    const empty = path.join(tmp, 'empty-folder');
    fs.mkdirSync(path.join(empty, 'cifar-10-batches-bin'), { recursive: true });
    await expect(getCifar10({ from: official, out: empty, recordsPerBatch: R })).resolves.toMatchObject({ action: 'extracted-official' });
    await expect(getCifar10({ from: official, out, recordsPerBatch: R, force: true })).resolves.toMatchObject({ action: 'extracted-official' });
    expect(fs.existsSync(path.join(dir, 'notes.txt'))).toBe(false);
  });

  it('--from a device or a FIFO says what it is, in one line, before reading it', async () => {
    const fifo = path.join(tmp, 'archive.fifo');
    spawnSync('mkfifo', [fifo]);
    await expect(getCifar10({ from: '/dev/zero', out: path.join(tmp, 'never') })).rejects.toThrow(
      '--from /dev/zero is a character device, not an archive file (.tar or .tar.gz); refusing to read it',
    );
    await expect(getCifar10({ from: fifo, out: path.join(tmp, 'never') })).rejects.toThrow(`--from ${fifo} is a FIFO (named pipe), not an archive file`);
    expect(fs.existsSync(path.join(tmp, 'never'))).toBe(false);
  });

  it('the script answers bad input in one line, without a stack trace', () => {
    const script = path.join(root, 'scripts', 'get-data.ts');
    const seed = tsx(script, ['--seed', '-1', '--out', path.join(tmp, 'never')]);
    expect(seed.status).not.toBe(0);
    expect(seed.stderr).toContain("--seed must be an integer from 0 to 4294967295, got '-1'");
    expectNoStack(seed.stderr);
    const folder = tsx(script, ['--from', tmp, '--out', path.join(tmp, 'never')]);
    expect(folder.status).toBe(1);
    expect(folder.stderr).toContain(`get-data: --from ${tmp} is a folder; --from takes an archive file (.tar or .tar.gz). To import a folder of images, archive it first`);
    expectNoStack(folder.stderr);
    const proc = tsx(script, ['--from', images, '--out', '/proc/x']);
    expect(proc.status).toBe(1);
    expect(proc.stderr).toContain('get-data: --out /proc/x: cannot use /proc/x: cannot create it: no such file or folder (ENOENT)');
    expect(fs.existsSync(path.join(tmp, 'never'))).toBe(false);
  }, 60000);
});
