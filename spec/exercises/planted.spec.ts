/**
 * `npm run check` against learners' mistakes, run the way a learner runs it (a child process on a workspace):
 * a workspace whose every exercise returns constants fails every check; one plausible mistake per exercise
 * (spec/exercises/planted.ts), planted in copies of the solutions, fails its exercise with a message naming the
 * tensor; the tfjs and Node hazards (an endless loop, process.exit, a thrown string, a file that does not compile,
 * autodiff, importing the library's own solution, a leaked tensor, a disposed argument) each fail with one line.
 * The plants are split over two workspaces, so that no exercise's plant hides behind another's in the same file.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { EXERCISES } from '../../learn/manifest';
import { initWorkspace } from '../../learn/workspace';
import { constantWorkspace, plantedWorkspace } from './planting';
import { PLANTS } from './planted';

const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

function check(dir: string, args: string[] = []): { code: number; out: string; lines: Map<string, string> } {
  const r = spawnSync(TSX, ['learn/check.ts', '--dir', dir, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, TFJS_WASM_THREADS: '1' }, timeout: 240_000 });
  const out = `${r.stdout}${r.stderr}`;
  const lines = new Map<string, string>();
  for (const line of out.split('\n')) {
    const m = /^ {2}(pass|todo|FAILS) +(\w+) ?(.*)$/.exec(line);
    if (m) lines.set(m[2], `${m[1]} ${m[3].trim()}`.trim());
  }
  return { code: r.status ?? -1, out, lines };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cs231n-planted-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('npm run check on planted mistakes', () => {
  it('fails every exercise of a workspace whose answers are constants (zeros, 42, the input back)', () => {
    const dir = path.join(tmp, 'constants');
    constantWorkspace(dir);
    const r = check(dir);
    expect(r.lines.size).toBe(EXERCISES.length);
    expect([...r.lines].filter(([, l]) => !l.startsWith('FAILS'))).toEqual([]);
    // The headline cheat of the SVM: a loss of 42 and a zero gradient.
    expect(r.lines.get('svm_loss_vectorized')).toMatch(/^FAILS loss: rel error/);
    expect(r.lines.get('compute_distances_no_loops')).toMatch(/^FAILS dists: rel error/);
    expect(r.out).toContain(`0 of ${EXERCISES.length} exercises pass`);
    expect(r.code).toBe(1);
  }, 300_000);

  it('plants one mistake in every exercise', () => {
    expect(new Set(PLANTS.map((p) => p[0]))).toEqual(new Set(EXERCISES.map((e) => e.id)));
  });

  it.each([0, 1])('fails each plant of workspace %i with a message naming the tensor', (half) => {
    const plants = PLANTS.filter((_, i) => i % 2 === half);
    const dir = path.join(tmp, `plants-${half}`);
    plantedWorkspace(dir, plants);
    const r = check(dir, plants.map((p) => p[0]));
    const wrong = plants.filter(([id, , , , message]) => !message.test(r.lines.get(id) ?? '')).map(([id]) => `${id}: ${r.lines.get(id)}`);
    expect(wrong).toEqual([]);
    expect(r.code).toBe(1);
  }, 300_000);

  it('reports each hazard in one line and still runs the other exercises', () => {
    const dir = path.join(tmp, 'hazards');
    initWorkspace(dir, true, {
      reluForward: 'for (;;) void x;',
      affineForward: 'process.exit(0);',
      softmaxLoss: "throw 'not done';",
    });
    const edit = (file: string, good: string, bad: string): void => {
      const f = path.join(dir, file);
      const text = fs.readFileSync(f, 'utf8');
      expect(text).toContain(good);
      fs.writeFileSync(f, text.replace(good, () => bad));
    };
    edit('layers/svm_loss.ts', 'const [n, c] = scores.shape;', 'const [n, c] = scores.shape;;; )');
    edit('layers/batchnorm.ts', "const eps = bnParam.eps ?? 1e-5;", "const eps = bnParam.eps ?? 1e-5;\n  tf.grad((v: tf.Tensor) => tf.sum(v));");
    // The library's own solution, imported through the same path prefix the workspace uses for src/.
    const ln = path.join(dir, 'layers/layernorm.ts');
    const prefix = /from '([^']*)\/src\/layers\/validate'/.exec(fs.readFileSync(ln, 'utf8'))![1];
    edit('layers/layernorm.ts', "const eps = lnParam.eps ?? 1e-5;", `const eps = lnParam.eps ?? 1e-5;\n  void require('${prefix}/src/layers/layernorm');`);
    edit('layers/dropout.ts', 'const scale = 1 / p;', 'const scale = 1 / p;\n  tf.ones([3]);');
    edit('optim/rmsprop.ts', 'return { next, config: { learningRate, decayRate, epsilon, cache } };', 'dw.dispose();\n    return { next, config: { learningRate, decayRate, epsilon, cache } };');
    const ids = ['relu_forward', 'affine_forward', 'softmax_loss', 'svm_loss', 'batchnorm_forward', 'layernorm_forward', 'dropout_forward', 'rmsprop', 'sgd_momentum', 'svm_loss_vectorized'];
    const r = check(dir, [...ids, '--timeout', '8']);
    // The command it prints names the workspace, which is not the default one.
    expect(r.lines.get('relu_forward')).toBe(`FAILS timed out after 8 s (an endless loop? \`npm run check -- relu_forward --dir ${dir} --timeout <s>\` allows more)`);
    expect(r.lines.get('affine_forward')).toMatch(/^FAILS ended the check without a result \(exit code 0\): is there a process\.exit in your code\?/);
    expect(r.lines.get('softmax_loss')).toMatch(/^FAILS threw: a string was thrown, not an Error: "not done"/);
    expect(r.lines.get('svm_loss')).toMatch(/^FAILS cannot load your code: .*svm_loss\.ts/);
    expect(r.lines.get('batchnorm_forward')).toMatch(/^FAILS layers\/batchnorm\.ts:\d+ uses tf\.grad\(\): no autodiff in the exercises/);
    expect(r.lines.get('layernorm_forward')).toMatch(/^FAILS threw: layers\/layernorm\.ts in your workspace imports the library's solution src\/layers\/layernorm\.ts/);
    expect(r.lines.get('dropout_forward')).toMatch(/^FAILS dropoutForward leaks 1 tensor\(s\) per call/);
    expect(r.lines.get('rmsprop')).toMatch(/^FAILS rmsprop disposed its argument dw/);
    expect(r.lines.get('sgd_momentum')).toBe('pass');
    expect(r.lines.get('svm_loss_vectorized')).toBe('pass');
    expect(r.code).toBe(1);
  }, 300_000);
});
