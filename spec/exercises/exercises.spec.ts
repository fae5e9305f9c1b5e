/**
 * The exercises end to end: workspaces generated into temporary folders, checked by `npm run check` in child
 * processes (the redirect hooks Node's resolver, which jest's own module system bypasses).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { EXERCISES, selectExercises } from '../../learn/manifest';
import { firstSentence, makeStubFile } from '../../learn/stubs';
import { initWorkspace, typecheckWorkspace } from '../../learn/workspace';
import { IMPLS, findAutodiff, workspaceClosure } from '../../learn/impl';
import { checkOf } from '../../learn/checks/index';
import { CATALOGUE_CASES, exercisesToFix } from '../../learn/catalogue_exercises';

const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

function run(args: string[], env: Record<string, string> = {}): { code: number; out: string } {
  const r = spawnSync(TSX, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, TFJS_WASM_THREADS: '1', ...env }, timeout: 120_000 });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

function check(dir: string, ids: string[] = []): { code: number; out: string; lines: Map<string, string> } {
  const r = run(['learn/check.ts', '--dir', dir, ...ids]);
  const lines = new Map<string, string>();
  for (const line of r.out.split('\n')) {
    const m = /^ {2}(pass|todo|FAILS) +(\w+) ?(.*)$/.exec(line);
    if (m) lines.set(m[2], `${m[1]} ${m[3].trim()}`.trim());
  }
  return { ...r, lines };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cs231n-exercises-'));
const stubs = path.join(tmp, 'stubs');
const solutions = path.join(tmp, 'solutions');
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
beforeAll(() => {
  initWorkspace(stubs);
  initWorkspace(solutions, true);
});

describe('the manifest', () => {
  it('holds the agreed ids in the course order, each once', () => {
    const ids = EXERCISES.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.slice(0, 4)).toEqual(['compute_distances_two_loops', 'compute_distances_one_loop', 'compute_distances_no_loops', 'knn_predict_labels']);
    // The course's exercises end with class visualisation; the five beyond the course (the trained nets' layers and update rule) follow.
    expect(ids.slice(-6)).toEqual(['class_visualization_update', 'global_avg_pool', 'smoothed_softmax_loss', 'residual_block_backward', 'gelu_backward', 'sgd_nesterov']);
    for (const e of EXERCISES) expect(fs.existsSync(path.join(ROOT, 'docs', e.doc)) || ['fully-connected-nets.md', 'batchnorm.md', 'optimizers.md', 'convolution.md', 'dropout.md', 'network-visualization.md'].includes(e.doc)).toBe(true);
  });

  it('picks exercises by id or by part of one, and rejects unknown words', () => {
    expect(selectExercises(['affine']).map((e) => e.id)).toEqual(['affine_forward', 'affine_backward']);
    expect(selectExercises(['adam']).map((e) => e.id)).toEqual(['adam']);
    expect(() => selectExercises(['no_such_thing'])).toThrow(/unknown exercise 'no_such_thing'/);
  });

  it('gives every exercise a check in its notebook\'s file of learn/checks/, and no check without an exercise', () => {
    for (const e of EXERCISES) expect(typeof checkOf(e)).toBe('function');
    const files = new Set(EXERCISES.map((e) => e.checks));
    for (const f of files) {
      const ids = Object.keys((require(`../../learn/checks/${f}`) as { CHECKS: Record<string, unknown> }).CHECKS);
      expect(ids.filter((id) => !EXERCISES.some((e) => e.id === id && e.checks === f))).toEqual([]);
    }
  });

  it('names an exercise for every catalogue case a check runs, each a case of the catalogue', () => {
    const { CATALOGUE } = require('../../reference/catalogue/run') as typeof import('../../reference/catalogue/run');
    const names = new Set(CATALOGUE.map((c) => c.layer));
    expect(CATALOGUE_CASES.filter((c) => !names.has(c))).toEqual([]);
    expect(exercisesToFix(['relu', 'affine', 'conv fast (stride 2, pad 0)'])).toBe('your exercises to fix: affine_backward, relu_backward; `npm run check -- affine_backward relu_backward` says what is wrong');
    expect(exercisesToFix(['conv fast (stride 2, pad 0)'])).toBeUndefined();
  });

  it('offers --impl library and exercises', () => {
    expect(IMPLS).toEqual(['library', 'exercises']);
  });
});

describe('the workspace guards', () => {
  it('finds autodiff in a workspace file, with its line', () => {
    expect(findAutodiff('const a = 1;\nconst g = tf.grads((x) => x);\n', 'layers/affine.ts')).toMatch(/^layers\/affine\.ts:2 uses tf\.grads\(\)/);
    expect(findAutodiff("import { valueAndGrad } from '@tensorflow/tfjs-core';", 'a.ts')).toMatch(/an import of valueAndGrad/);
    expect(findAutodiff('tf.train.sgd(0.1);', 'a.ts')).toMatch(/uses tf\.train/);
    // A variable called grads is no autodiff.
    expect(findAutodiff('const grads = { W1: dw };\ngrads.W1.dispose();', 'a.ts')).toBeUndefined();
  });
});

describe('stubs', () => {
  const src = [
    "import { helper } from './helper';",
    '/** Doubles x. x: [N]. */',
    'export function double(x: number): number {',
    '  return helper(x) * 2;',
    '}',
    'export class Net {',
    '  /** The loss. */',
    '  loss(x: number): number {',
    '    return x;',
    '  }',
    '}',
  ].join('\n');
  const o = { srcFile: '/p/src/layers/a.ts', outFile: '/p/exercises/layers/a.ts', label: 'layers/a.ts' };

  it('keep the doc comment and signature, throw naming the function and file, and point imports back at src/', () => {
    const out = makeStubFile(src, { ...o, functions: ['double', 'Net.loss'], more: (n) => (n === 'double' ? 'exercise double' : undefined) });
    expect(out).toContain("import { helper } from '../../src/layers/helper';");
    expect(out).toContain('/** Doubles x. x: [N]. */\nexport function double(x: number): number {\n  throw new Error(\'not implemented yet: double (layers/a.ts): exercise double\');\n}');
    expect(out).toContain("  /** The loss. */\n  loss(x: number): number {\n    throw new Error('not implemented yet: Net.loss (layers/a.ts)');\n  }");
    expect(out).not.toContain('helper(x) * 2');
  });

  it('keep the bodies for a solutions workspace, and fail on a name the file lacks', () => {
    expect(makeStubFile(src, { ...o, functions: ['double'], keepBodies: true })).toContain('return helper(x) * 2;');
    expect(() => makeStubFile(src, { ...o, functions: ['triple'] })).toThrow(/no function or method 'triple'/);
  });
});

describe('the workspace', () => {
  it('init on an existing workspace changes nothing, not even a file the learner edited', () => {
    const file = path.join(stubs, EXERCISES[0].file);
    const before = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, `${before}\n// my work\n`);
    const r = initWorkspace(stubs);
    expect(r.written).toEqual([]);
    expect(r.kept.length).toBeGreaterThan(0);
    expect(fs.readFileSync(file, 'utf8')).toBe(`${before}\n// my work\n`);
    fs.writeFileSync(file, before);
  });

  it('keeps no derivation of an answer in a stub, and no banner naming the solution', () => {
    const read = (f: string): string => fs.readFileSync(path.join(stubs, f), 'utf8');
    expect(read('layers/batchnorm.ts')).not.toMatch(/dx = \(gamma \/ sigma\)|dmu\/dx_i|dx = dout \* gamma \/ std/);
    expect(read('classifiers/knn.ts')).not.toContain('||x||^2 + ||t||^2');
    expect(read('optim/adam.ts')).not.toContain('mt =  m / (1 - beta1^t)');
    expect(read('classifiers/fc_net.ts')).toMatch(/not implemented yet: FullyConnectedNet\.forward/);
    for (const f of new Set(EXERCISES.map((e) => e.file))) expect(read(f)).not.toMatch(/the solution is src\//);
    expect(read('layers/gelu.ts')).not.toContain('Phi(x) + x phi(x)');
    expect(read('layers/global_avg_pool.ts')).not.toContain('dout / (H W)');
    expect(read('classifiers/knn.ts')).not.toContain('np.argmax(np.bincount');
    expect(read('optim/sgd_nesterov.ts')).not.toContain('v <- momentum * v');
  });

  it("keeps each stub file's first sentence whole: no sentence cut at 'et al.', no formula after a colon", () => {
    const read = (f: string): string => fs.readFileSync(path.join(stubs, f), 'utf8');
    for (const f of new Set(EXERCISES.map((e) => e.file))) {
      const header = /\/\*\*([\s\S]*?)\n \*\n \* What each exercise below computes/.exec(read(f))?.[1] ?? '';
      expect([f, (header.match(/\(/g) ?? []).length]).toEqual([f, (header.match(/\)/g) ?? []).length]);
    }
    expect(firstSentence('Pooling (Lin et al. 2013, "NiN"). Forward: out = mean.')).toBe('Pooling (Lin et al. 2013, "NiN").');
    expect(firstSentence('A net:\n *\n *   affine - relu\n *\n * More.')).toBe('A net: affine - relu');
    expect(firstSentence('SGD:\n *\n *   w <- w - lr * dw\n *\n * More.')).toBe('SGD.');
  });

  it('type-checks as generated', () => {
    expect(typecheckWorkspace(stubs)).toEqual([]);
  }, 120_000);
});

describe('npm run check', () => {
  it('passes every solution of src/', () => {
    const r = check(solutions);
    expect([...r.lines.values()].filter((l) => !l.startsWith('pass'))).toEqual([]);
    expect(r.lines.size).toBe(EXERCISES.length);
    expect(r.out).toContain(`${EXERCISES.length} of ${EXERCISES.length} exercises pass; all done`);
    expect(r.code).toBe(0);
  }, 180_000);

  it('passes no stub: every exercise is todo, and the first one is next', () => {
    const r = check(stubs);
    expect([...r.lines.values()].filter((l) => !l.startsWith('todo'))).toEqual([]);
    expect(r.lines.size).toBe(EXERCISES.length);
    expect(r.out).toContain(`0 of ${EXERCISES.length} exercises pass; next: ${EXERCISES[0].id} (docs/${EXERCISES[0].doc})`);
    expect(r.code).toBe(1);
  }, 180_000);

  it('passes exactly affine and relu once a learner has written them', () => {
    const mine = path.join(tmp, 'affine-relu');
    initWorkspace(mine);
    for (const f of ['layers/affine.ts', 'layers/relu.ts']) fs.copyFileSync(path.join(solutions, f), path.join(mine, f));
    const r = check(mine);
    const passing = [...r.lines].filter(([, l]) => l.startsWith('pass')).map(([id]) => id);
    expect(passing).toEqual(['affine_forward', 'affine_backward', 'relu_forward', 'relu_backward']);
    expect(r.lines.get('softmax_loss')).toMatch(/^todo write softmaxLoss/);
    expect(r.code).toBe(1);
  }, 180_000);
});

describe('a workspace elsewhere', () => {
  it('loads only the files an exercise runs through, through the library\'s files too', () => {
    // two_layer_net.ts calls affine, relu and softmax_loss, and the library's sandwich layers, which import the
    // conv, pool and batchnorm layers: all of them the learner's, none of the optimisers or the other nets.
    expect([...workspaceClosure(stubs, ['classifiers/two_layer_net.ts'])].sort()).toEqual([
      'classifiers/two_layer_net.ts',
      'layers/affine.ts',
      'layers/batchnorm.ts',
      'layers/conv_naive.ts',
      'layers/pool_naive.ts',
      'layers/relu.ts',
      'layers/softmax_loss.ts',
      'layers/spatial_batchnorm.ts',
    ]);
    expect([...workspaceClosure(stubs, ['layers/affine.ts'])]).toEqual(['layers/affine.ts']);
  });

  it('made with --dir and copied to a folder at another depth, still checks', () => {
    const copy = path.join(tmp, 'moved', 'deeper', 'still');
    fs.mkdirSync(path.dirname(copy), { recursive: true });
    fs.cpSync(solutions, copy, { recursive: true });
    const r = check(copy, ['affine', 'two_layer_net_loss']);
    expect([...r.lines.values()]).toEqual(['pass', 'pass', 'pass']);
  }, 120_000);
});

describe('--impl exercises', () => {
  const one = path.join(tmp, 'one-done');
  beforeAll(() => {
    initWorkspace(one);
    fs.copyFileSync(path.join(solutions, 'layers/affine.ts'), path.join(one, 'layers/affine.ts'));
  });

  it('runs the learner\'s affine, says so first, and stops at the relu stub naming the exercise and its check', () => {
    const r = run(['spec/exercises/fixtures/relu_script.ts', '--impl', 'exercises'], { CS231N_EXERCISES_DIR: one });
    expect(r.out).toMatch(/^using your exercises \(.*\): affine_forward, affine_backward; 43 still stubs/m);
    expect(r.out).toContain('affine 1,-2');
    expect(r.out).toMatch(/not implemented yet: reluForward \(layers\/relu\.ts\): exercise relu_forward/);
    // The workspace is not the default exercises/, so the command names it.
    expect(r.out).toContain(`\`npm run check -- relu_forward --dir ${one}\``);
    expect(r.code).toBe(1);
  }, 60_000);

  it('lists --impl in --help, and refuses a value that is not one of IMPLS', () => {
    expect(run(['spec/exercises/fixtures/relu_script.ts', '--help']).out).toMatch(/--impl <which>\s+whose code runs:\s+'library'\s+\(src\/,\s+the\s+default\)\s+or\s+'exercises'/);
    const bad = run(['spec/exercises/fixtures/relu_script.ts', '--impl', 'mine']);
    expect(bad.out).toMatch(/option '--impl <which>' argument 'mine' is invalid\. Allowed choices are library, exercises/);
    expect(bad.code).not.toBe(0);
  }, 60_000);

  it('without the switch, the same script runs the library', () => {
    const r = run(['spec/exercises/fixtures/relu_script.ts'], { CS231N_EXERCISES_DIR: one });
    expect(r.out).toContain('relu 1,0');
    expect(r.code).toBe(0);
  }, 60_000);
});
