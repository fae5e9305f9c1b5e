/**
 * The checker and the workspace commands against a workspace that is not what it should be: a mistyped --dir, a
 * missing exercise file, a file that is a FIFO or a link to /dev/zero, a broken link, a learner's loop that fills
 * memory. Each is one line, at once; a pass is only ever a check that ran on the learner's file.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { initWorkspace } from '../../learn/workspace';
import { WorkspaceError, readSourceFile, workspaceHas } from '../../learn/impl';

const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

function run(args: string[], env: Record<string, string> = {}): { code: number; out: string; seconds: number } {
  const start = Date.now();
  const r = spawnSync(TSX, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, TFJS_WASM_THREADS: '1', ...env }, timeout: 90_000 });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}`, seconds: (Date.now() - start) / 1000 };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cs231n-ws-files-'));
const solutions = path.join(tmp, 'solutions');
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
beforeAll(() => {
  initWorkspace(solutions, true);
});

/** A copy of the solutions workspace with layers/relu.ts replaced by what make() puts there. */
function withRelu(name: string, make: (file: string) => void): string {
  const dir = path.join(tmp, name);
  fs.cpSync(solutions, dir, { recursive: true });
  const file = path.join(dir, 'layers/relu.ts');
  fs.rmSync(file);
  make(file);
  return dir;
}

describe('npm run check --dir', () => {
  it.each([
    ['a folder that does not exist', () => path.join(tmp, 'no-such'), /^--dir .*no-such: no workspace at .*no-such \(no such folder\); create one with `npm run exercises -- --dir .* init`$/],
    ['a file', () => path.join(solutions, 'layers/affine.ts'), /^--dir .*affine\.ts: .*affine\.ts is a file, not a workspace folder$/],
    ['an empty folder', () => fs.mkdtempSync(path.join(tmp, 'empty-')), /^--dir .*empty-\w+: .* holds none of the \d+ exercise files .*writes them$/],
  ])('refuses %s in one line, checking nothing', (_what, dir, line) => {
    const r = run(['learn/check.ts', '--dir', dir(), 'affine']);
    expect(r.code).toBe(2);
    expect(r.out.trim().split('\n')).toHaveLength(1);
    expect(r.out.trim()).toMatch(line);
  }, 60_000);

  it('says missing, never pass, for an exercise whose file the workspace lacks', () => {
    const dir = path.join(tmp, 'no-affine');
    fs.cpSync(solutions, dir, { recursive: true });
    fs.rmSync(path.join(dir, 'layers/affine.ts'));
    const r = run(['learn/check.ts', '--dir', dir, 'affine', 'relu']);
    expect(r.out).toMatch(/^ {2}MISSING affine_forward +\S+layers\/affine\.ts is not in your workspace, so nothing was checked/m);
    expect(r.out).toMatch(/^ {2}MISSING affine_backward /m);
    expect(r.out).toMatch(/^ {2}pass {3}relu_forward$/m);
    expect(r.out).toContain('2 of 4 exercises pass; next: affine_forward');
    expect(r.code).toBe(1);
  }, 90_000);
});

describe('workspace files that are no source files', () => {
  const hazards: [string, (file: string) => void, string][] = [
    ['a FIFO', (f) => execFileSync('mkfifo', [f]), 'is a FIFO (named pipe), not a source file; refusing to read it'],
    ['a link to /dev/zero', (f) => fs.symlinkSync('/dev/zero', f), 'is a character device, not a source file; refusing to read it'],
  ];

  it.each(hazards)('the checker refuses %s by name, at once, and checks the rest', (name, make, words) => {
    const dir = withRelu(`check-${name.replace(/\W/g, '')}`, make);
    const r = run(['learn/check.ts', '--dir', dir, 'relu', 'affine']);
    expect(r.out).toMatch(new RegExp(`^ {2}FAILS {2}relu_forward +\\S+layers/relu\\.ts ${words.replace(/[()]/g, '\\$&')}`, 'm'));
    expect(r.out).toMatch(/^ {2}pass {3}affine_forward$/m);
    expect(r.seconds).toBeLessThan(60);
    expect(r.code).toBe(1);
  }, 90_000);

  it.each(hazards)('exercises typecheck and --impl exercises refuse %s in one line', (name, make, words) => {
    const dir = withRelu(`tc-${name.replace(/\W/g, '')}`, make);
    const tc = run(['learn/exercises.ts', 'typecheck', '--dir', dir]);
    expect(tc.out.trim()).toBe(`exercises: ${path.join(dir, 'layers/relu.ts')} ${words} (remove it, then \`npm run exercises -- --dir ${dir} init\` writes a stub)`);
    expect(tc.code).toBe(2);
    const script = run(['spec/exercises/fixtures/relu_script.ts', '--impl', 'exercises'], { CS231N_EXERCISES_DIR: dir });
    expect(script.out.trim()).toContain(`${path.join(dir, 'layers/relu.ts')} ${words}`);
    expect(script.out.trim().split('\n')).toHaveLength(1);
    expect(script.code).toBe(2);
  }, 90_000);

  it('the reader refuses them by name before reading a byte, and passes a missing file as missing', () => {
    const fifo = path.join(tmp, 'a.fifo');
    execFileSync('mkfifo', [fifo]);
    const zero = path.join(tmp, 'zero.ts');
    fs.symlinkSync('/dev/zero', zero);
    const broken = path.join(tmp, 'broken.ts');
    fs.symlinkSync(path.join(tmp, 'nothing-here'), broken);
    expect(() => workspaceHas(fifo)).toThrow(WorkspaceError);
    expect(() => readSourceFile(fifo)).toThrow(`${fifo} is a FIFO (named pipe), not a regular file; refusing to read it`);
    expect(() => readSourceFile(zero)).toThrow(`${zero} is a character device, not a regular file; refusing to read it`);
    expect(() => workspaceHas(broken)).toThrow(`${broken} is a symbolic link to ${path.join(tmp, 'nothing-here')}, which does not exist`);
    expect(workspaceHas(path.join(tmp, 'absent.ts'))).toBe(false);
  });
});

describe('npm run exercises -- init', () => {
  it('refuses a --dir that is a file, and a broken link where an exercise file goes, in one line and before writing anything', () => {
    const file = path.join(tmp, 'a-file');
    fs.writeFileSync(file, 'mine');
    const r1 = run(['learn/exercises.ts', 'init', '--dir', file]);
    expect(r1.out.trim()).toBe(`exercises: --dir ${file} exists and is not a folder; choose a folder for the workspace`);
    expect(r1.code).toBe(2);
    const dir = path.join(tmp, 'broken-link');
    fs.mkdirSync(path.join(dir, 'layers'), { recursive: true });
    fs.symlinkSync('/nonexistent-target', path.join(dir, 'layers/relu.ts'));
    const r2 = run(['learn/exercises.ts', 'init', '--dir', dir]);
    expect(r2.out.trim()).toBe(`exercises: ${path.join(dir, 'layers/relu.ts')} is a symbolic link to /nonexistent-target, which does not exist; remove the link or point it at your file`);
    expect(r2.code).toBe(2);
    expect(fs.readdirSync(path.join(dir, 'layers'))).toEqual(['relu.ts']);
  }, 60_000);
});

describe('a check that fills memory', () => {
  it('stops at the worker heap cap with one line, and the other checks run', () => {
    const dir = path.join(tmp, 'hog');
    fs.cpSync(solutions, dir, { recursive: true });
    const file = path.join(dir, 'layers/relu.ts');
    const text = fs.readFileSync(file, 'utf8');
    const planted = text.replace(/(export function reluForward[^\n]*\{\n)/, '$1  const hog: number[][] = [];\n  for (;;) hog.push(new Array(1e6).fill(1.5));\n');
    expect(planted).not.toBe(text);
    fs.writeFileSync(file, planted);
    const r = run(['spec/exercises/fixtures/capped_checks.ts', dir, '256', 'relu_forward', 'affine_forward']);
    expect(r.out).toMatch(/^relu_forward fails ran out of memory: the check's heap is capped at 256 MB/m);
    expect(r.out).toMatch(/^affine_forward pass/m);
    expect(r.seconds).toBeLessThan(80);
  }, 90_000);
});

describe('stopping the checker', () => {
  it('SIGTERM to the npm process alone ends every process of the checker', async () => {
    const dir = path.join(tmp, `sigterm-${process.pid}`);
    fs.cpSync(solutions, dir, { recursive: true });
    const npm = spawn('npm', ['run', 'check', '--', '--dir', dir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    npm.stdout.on('data', (c: Buffer) => (out += c.toString()));
    npm.stderr.on('data', (c: Buffer) => (out += c.toString()));
    // Wait for the first outcome: the workers are running by then.
    const deadline = Date.now() + 150_000;
    while (!/^ {2}(pass|todo|FAILS)/m.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(out).toMatch(/^ {2}pass/m);
    npm.kill('SIGTERM');
    const alive = () => execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(dir) && l.includes('check.ts'));
    const until = Date.now() + 15_000;
    while (alive().length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 250));
    expect(alive()).toEqual([]);
  }, 200_000);
});
