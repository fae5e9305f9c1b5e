/** The common command line: defaults, validation messages, and what startScript hands a script. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { CommanderError } from 'commander';
import { CommonOptions, commandLine, createCommand, parseNumber, parsePositiveInt, parseSeed, startScript } from '../../scripts/lib/cli';
import { RUN_LOCK_NAME, RUN_MARKER_NAME } from '../../scripts/lib/run_dir';
import { Rng } from '../../src/random';
import { failFs } from '../data/fixtures';

/** Parses argv with the common command; errors are thrown (not process.exit) and their text captured. */
function parse(argv: string[]): { opts: CommonOptions; errors: string } {
  let errors = '';
  const program = createCommand('demo', 'a demo script')
    .exitOverride()
    .configureOutput({ writeErr: (s) => (errors += s), writeOut: () => {} });
  try {
    program.parse(argv, { from: 'user' });
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
  }
  return { opts: program.opts<CommonOptions>(), errors };
}

describe('createCommand', () => {
  it('has the documented defaults', () => {
    const { opts, errors } = parse([]);
    expect(errors).toBe('');
    expect(opts).toEqual({ seed: 0, quick: false, progress: true });
  });

  it('reads every common flag', () => {
    const { opts } = parse(['--seed', '42', '--quick', '--out', 'somewhere', '--backend', 'CPU', '--no-progress']);
    expect(opts).toEqual({ seed: 42, quick: true, out: 'somewhere', backend: 'cpu', progress: false });
    expect(parse(['--seed=4294967295']).opts.seed).toBe(4294967295);
  });

  it('rejects a seed that is not an integer from 0 to 2^32 - 1, saying which flag and what came', () => {
    expect(parse(['--seed', 'abc']).errors).toContain("--seed must be an integer from 0 to 4294967295, got 'abc'");
    expect(parse(['--seed', '1.5']).errors).toContain("--seed must be an integer from 0 to 4294967295, got '1.5'");
    // -1 would be the same run as 4294967295 if it were wrapped to 32 bits.
    expect(parse(['--seed=-1']).errors).toContain("--seed must be an integer from 0 to 4294967295, got '-1'");
    expect(parse(['--seed', '4294967296']).errors).toContain("--seed must be an integer from 0 to 4294967295, got '4294967296'");
  });

  it('rejects an unknown backend and lists the valid ones', () => {
    expect(parse(['--backend', 'gpu']).errors).toContain("--backend must be one of node, wasm, cpu, got 'gpu'");
  });

  it('rejects unknown flags', () => {
    expect(parse(['--seeds', '1']).errors).toContain("unknown option '--seeds'");
  });
});

describe('argument parsers for script flags', () => {
  it('parsePositiveInt accepts 1.. and names the flag otherwise', () => {
    const p = parsePositiveInt('--epochs');
    expect(p('10')).toBe(10);
    expect(() => p('0')).toThrow("--epochs must be a positive integer, got '0'");
    expect(() => p('ten')).toThrow("--epochs must be a positive integer, got 'ten'");
  });
  it('parseNumber accepts exponent notation and rejects the rest', () => {
    const p = parseNumber('--lr');
    expect(p('1e-3')).toBe(0.001);
    expect(p('-0.5')).toBe(-0.5);
    expect(() => p('fast')).toThrow("--lr must be a number, got 'fast'");
    expect(() => p('')).toThrow("--lr must be a number, got ''");
  });
});

describe('startScript', () => {
  let dir: string;
  let stderr: jest.SpyInstance;
  let written: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-spec-'));
    written = '';
    stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written += String(chunk);
      return true;
    });
  });
  afterEach(() => {
    stderr.mockRestore();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('initialises the backend, creates the output folder and seeds the Rng', async () => {
    const out = path.join(dir, 'nested', 'run');
    const ctx = await startScript('demo', { seed: 7, quick: true, out, backend: 'cpu', progress: false });
    expect(ctx.backend).toBe('cpu');
    expect(ctx.outDir).toBe(out);
    expect(fs.statSync(out).isDirectory()).toBe(true);
    expect([ctx.seed, ctx.quick]).toEqual([7, true]);
    const reference = new Rng(7);
    expect([ctx.rng.nextUint32(), ctx.rng.nextUint32()]).toEqual([reference.nextUint32(), reference.nextUint32()]);
    // The backend is reported once, then where the output goes.
    expect(written.match(/^backend: cpu \(tfjs /gm)).toHaveLength(1);
    expect(written).toContain(`demo: seed 7, quick run, output in ${out}/`);
    const info = ctx.runInfo();
    expect(info).toMatchObject({ script: 'demo', seed: 7, quick: true, backend: 'cpu', node: process.version });
    expect(info.seconds).toBeGreaterThanOrEqual(0);
    // What reproduces the run: the commit (this spec runs in a git checkout) and the command as typed.
    expect(info.commit).toMatch(/^[0-9a-f]{40}(-dirty)?$/);
    expect(info.command).toMatch(/^npm run demo( -- .*)?$/);
    ctx.log('hello');
    expect(written.endsWith('hello\n')).toBe(true);
  });

  it('gives silent progress bars under --no-progress while log lines still print', async () => {
    const ctx = await startScript('demo', { seed: 0, quick: false, out: dir, backend: 'cpu', progress: false });
    expect(ctx.progress).toBe(false);
    const before = written;
    const bar = ctx.progressBar(10, 'train', ['loss']);
    bar.update(5, { loss: 1.5 });
    ctx.log('(Iteration 5 / 10) loss: 1.5');
    bar.stop();
    expect(bar.active).toBe(false);
    expect(written.slice(before.length)).toBe('(Iteration 5 / 10) loss: 1.5\n');
  });

  it('refuses an --out path that is a file', async () => {
    const file = path.join(dir, 'taken');
    fs.writeFileSync(file, 'x');
    await expect(startScript('demo', { seed: 0, quick: false, out: file, backend: 'cpu', progress: false })).rejects.toThrow(
      `--out ${file}: cannot use ${file}: it exists and is not a folder`,
    );
  });

  it('refuses impossible and unwritable --out paths at once, naming the part that fails', async () => {
    const opts = { seed: 0, quick: false, backend: 'cpu' as const, progress: false };
    const started = Date.now();
    // Node's recursive mkdir never returns on /proc; each level is checked and created on its own instead.
    await expect(startScript('demo', { ...opts, out: '/proc/x/y' })).rejects.toThrow('--out /proc/x/y: cannot use /proc/x: cannot create it: no such file or folder (ENOENT)');
    const file = path.join(dir, 'a-file');
    fs.writeFileSync(file, 'x');
    await expect(startScript('demo', { ...opts, out: path.join(file, 'sub') })).rejects.toThrow(`cannot use ${file}: it exists and is not a folder`);
    // Tests run as root here, which may write anywhere: the permission check is seen through a refusing access().
    const restore = failFs('accessSync', 'EACCES');
    try {
      await expect(startScript('demo', { ...opts, out: path.join(dir, 'new', 'deeper') })).rejects.toThrow(
        `cannot use ${dir}: permission denied (EACCES); it is not writable`,
      );
    } finally {
      restore();
    }
    expect(fs.existsSync(path.join(dir, 'new'))).toBe(false);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('accepts seeds 0 to 2^32 - 1 and refuses the rest instead of wrapping them', () => {
    const seed = parseSeed('--seed');
    expect(seed('0')).toBe(0);
    expect(seed('4294967295')).toBe(4294967295);
    for (const bad of ['-1', '4294967296', '1.5', 'abc', '']) {
      expect(() => seed(bad)).toThrow(`--seed must be an integer from 0 to 4294967295, got '${bad}'`);
    }
  });
});

describe('one run per --out', () => {
  let dir: string;
  let stderr: jest.SpyInstance;
  let written: string;
  const opts = { seed: 0, quick: false, backend: 'cpu' as const, progress: false };
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-lock-spec-'));
    written = '';
    stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written += String(chunk);
      return true;
    });
  });
  afterEach(() => {
    stderr.mockRestore();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a second run into an --out another running process holds, naming the holder', async () => {
    const holder = spawn('sleep', ['30']);
    try {
      const lock = { pid: holder.pid, host: os.hostname(), since: '2026-01-01T00:00:00.000Z', doing: 'npm run train' };
      fs.writeFileSync(path.join(dir, RUN_LOCK_NAME), JSON.stringify(lock));
      await expect(startScript('convnet', { ...opts, out: dir })).rejects.toThrow(
        `a run into --out ${dir} is already running (npm run train, process ${holder.pid} on ${os.hostname()}, since 2026-01-01T00:00:00.000Z; ` +
          `lock ${path.join(dir, RUN_LOCK_NAME)}). Wait for it to finish or pass another --out; if that process is gone, delete the lock file.`,
      );
    } finally {
      holder.kill();
    }
  });

  it('holds the lock for the whole process: a second start into the same --out is refused', async () => {
    await startScript('convnet', { ...opts, out: dir });
    const lock = JSON.parse(fs.readFileSync(path.join(dir, RUN_LOCK_NAME), 'utf8'));
    expect(lock).toMatchObject({ pid: process.pid, doing: 'npm run convnet' });
    await expect(startScript('train', { ...opts, out: dir })).rejects.toThrow(`is already running (npm run convnet, process ${process.pid}`);
  });

  it('replaces the lock of a process that is gone, and says so', async () => {
    const gone = spawnSync('true').pid as number;
    fs.writeFileSync(path.join(dir, RUN_LOCK_NAME), JSON.stringify({ pid: gone, host: os.hostname(), since: 'earlier', doing: 'npm run train' }));
    await startScript('convnet', { ...opts, out: dir });
    expect(written).toContain(`replaced a stale lock of npm run train (process ${gone}, since earlier), which is no longer running`);
  });

  it('refuses an --out folder holding files no run made, naming them and writing nothing; takes an empty one or its own again', async () => {
    const mine = path.join(dir, 'my-folder');
    fs.mkdirSync(mine);
    fs.writeFileSync(path.join(mine, 'metrics.json'), '{"mine": 1}');
    fs.writeFileSync(path.join(mine, 'paths.png'), 'my picture');
    await expect(startScript('optimizer-paths', { ...opts, out: mine })).rejects.toThrow(
      `--out ${mine} is a folder that no run of this project made, holding 2 entries (metrics.json, paths.png); ` +
        'a run would replace files of the same names there. Choose a new or empty folder for --out; nothing was written',
    );
    expect(fs.readdirSync(mine).sort()).toEqual(['metrics.json', 'paths.png']);
    expect(fs.readFileSync(path.join(mine, 'metrics.json'), 'utf8')).toBe('{"mine": 1}');
    // An empty folder becomes a run folder; a later run into it is a run into its own folder.
    const empty = path.join(dir, 'empty');
    fs.mkdirSync(empty);
    await startScript('demo', { ...opts, out: empty });
    expect(fs.readdirSync(empty)).toContain(RUN_MARKER_NAME);
    fs.writeFileSync(path.join(empty, 'metrics.json'), '{}');
    fs.rmSync(path.join(empty, RUN_LOCK_NAME));
    await expect(startScript('demo', { ...opts, out: empty })).resolves.toMatchObject({ outDir: empty });
    // A folder an earlier run wrote before the marker existed: its metrics.json says so.
    const earlier = path.join(dir, 'earlier');
    fs.mkdirSync(earlier);
    fs.writeFileSync(path.join(earlier, 'metrics.json'), JSON.stringify({ script: 'svm', startedAt: '2026-11-01T00:00:00.000Z', test_acc: 0.3 }));
    fs.writeFileSync(path.join(earlier, 'loss.png'), 'png');
    await expect(startScript('svm', { ...opts, out: earlier })).resolves.toMatchObject({ outDir: earlier });
  });

  it('says what is wrong with a dangling --out symlink instead of a raw ENOENT', async () => {
    const link = path.join(dir, 'out-link');
    fs.symlinkSync(path.join(dir, 'nowhere'), link);
    await expect(startScript('demo', { ...opts, out: path.join(link, 'run') })).rejects.toThrow(
      `--out ${path.join(link, 'run')}: cannot use ${link}: it is a symbolic link to ${path.join(dir, 'nowhere')}, which does not exist; create that folder or remove the link`,
    );
    await expect(startScript('demo', { ...opts, out: link })).rejects.toThrow(`cannot use ${link}: it is a symbolic link to`);
  });
});

describe('commandLine', () => {
  it('writes the npm command that reproduces a run, quoting what the shell would split', () => {
    expect(commandLine('fc-nets', [])).toBe('npm run fc-nets');
    expect(commandLine('knn', ['--seed', '3', '--out', '/tmp/a b'])).toBe("npm run knn -- --seed 3 --out '/tmp/a b'");
    expect(commandLine('svm', ["it's"])).toBe("npm run svm -- 'it'\\''s'");
  });
});
