/**
 * The project's promise: every gradient in src/ is written by hand. Two checks back the ESLint rule:
 *
 * 1. At run time: tfjs's autodiff entry points are replaced by functions that throw, and a full Solver step
 *    (minibatch, forward, hand-written backward, update of every parameter) still runs.
 * 2. In the text: no file under src/ calls them, comments aside. Failures list file:line.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { FullyConnectedNet } from '../src/classifiers/fc_net';
import type { Model } from '../src/model';
import { Solver } from '../src/solver';
import { useBackend } from './support/backend';
import { TinyNet, tinyData } from './support/tiny_net';

const AUTODIFF = ['grad', 'grads', 'valueAndGrad', 'valueAndGrads', 'variableGrads', 'customGrad'] as const;

beforeAll(async () => {
  await useBackend();
});

describe('no autodiff at run time', () => {
  // src/ imports tfjs-core's CommonJS exports object (through a namespace wrapper whose getters read it), so
  // replacing a property there replaces it for every module; the engine method is what all of them call.
  const exportsObject = require('@tensorflow/tfjs-core') as Record<string, unknown>;
  const engine = tf.engine() as unknown as Record<string, unknown>;
  const saved: Record<string, unknown> = {};
  let savedGradients: unknown;

  beforeAll(() => {
    for (const name of AUTODIFF) {
      saved[name] = exportsObject[name];
      exportsObject[name] = () => {
        throw new Error(`autodiff called: tf.${name}`);
      };
    }
    savedGradients = engine.gradients;
    engine.gradients = () => {
      throw new Error('autodiff called: tf.engine().gradients');
    };
  });

  afterAll(() => {
    for (const name of AUTODIFF) exportsObject[name] = saved[name];
    engine.gradients = savedGradients;
  });

  it('has really disabled every entry point', () => {
    const f = (x: tf.Tensor) => tf.square(x);
    const x = tf.scalar(3);
    expect(() => tf.grad(f)(x)).toThrow('autodiff called: tf.grad');
    expect(() => tf.grads((a: tf.Tensor) => tf.square(a))([x])).toThrow('autodiff called: tf.grads');
    expect(() => tf.valueAndGrad(f)(x)).toThrow('autodiff called: tf.valueAndGrad');
    expect(() => tf.valueAndGrads((a: tf.Tensor) => tf.square(a))([x])).toThrow('autodiff called: tf.valueAndGrads');
    expect(() => tf.variableGrads(() => tf.sum(tf.square(x)) as tf.Scalar)).toThrow('autodiff called: tf.variableGrads');
    expect(() => tf.customGrad(() => ({ value: x, gradFunc: () => x }))).toThrow('autodiff called: tf.customGrad');
    expect(() => tf.engine().gradients(() => tf.square(x) as tf.Scalar, [x])).toThrow('autodiff called: tf.engine().gradients');
    x.dispose();
  });

  const models: [string, () => Model & { dispose(): void }][] = [
    ['affine-relu-affine', () => new TinyNet()],
    [
      'FullyConnectedNet with batchnorm and dropout',
      () => new FullyConnectedNet({ hiddenDims: [6, 6], inputDim: 5, numClasses: 3, normalization: 'batchnorm', dropoutKeepRatio: 0.8, reg: 1e-3 }),
    ],
    ['FullyConnectedNet with layernorm', () => new FullyConnectedNet({ hiddenDims: [6], inputDim: 5, numClasses: 3, normalization: 'layernorm' })],
  ];

  it.each(models)('runs a full Solver step and an accuracy check with hand-written gradients only: %s', (_name, make) => {
    const train = tinyData(12, 5, 3, 3);
    const val = tinyData(6, 5, 3, 4);
    const model = make();
    const w1Before = Float32Array.from(model.params.W1.dataSync());
    const solver = new Solver(model, { XTrain: train.X, yTrain: train.y, XVal: val.X, yVal: val.y }, { updateRule: 'adam', batchSize: 4, numEpochs: 1, verbose: false });
    const loss = solver.step();
    expect(Number.isFinite(loss)).toBe(true);
    expect(Float32Array.from(model.params.W1.dataSync())).not.toEqual(w1Before);
    solver.train();
    expect(solver.valAccHistory.length).toBeGreaterThan(0);
    solver.dispose();
    model.dispose();
    tf.dispose([train.X, train.y, val.X, val.y]);
  });
});

/**
 * Blanks out comments (keeping newlines, so line numbers hold) and leaves code and string literals in place.
 * Handles // and block comments, quotes and template literals; enough for this project's sources.
 */
export function stripComments(src: string): string {
  let out = '';
  let i = 0;
  let quote: string | null = null;
  while (i < src.length) {
    const c = src[i];
    const next = src[i + 1];
    if (quote) {
      out += c;
      if (c === '\\') {
        out += next ?? '';
        i += 2;
        continue;
      }
      if (c === quote) quote = null;
      i++;
    } else if (c === '/' && next === '/') {
      while (i < src.length && src[i] !== '\n') i++;
    } else if (c === '/' && next === '*') {
      i += 2;
      while (i < src.length && !(src[i] === '*' && src[i + 1] === '/')) {
        if (src[i] === '\n') out += '\n';
        i++;
      }
      i += 2;
    } else {
      if (c === '"' || c === "'" || c === '`') quote = c;
      out += c;
      i++;
    }
  }
  return out;
}

const CALL = new RegExp(`\\.\\s*(${AUTODIFF.join('|')})\\s*[(<]`);
const IMPORT = new RegExp(`import\\s*(type\\s*)?\\{[^}]*\\b(${AUTODIFF.join('|')})\\b[^}]*\\}\\s*from\\s*['"]@tensorflow`);
const OTHER = /\btf\s*\.\s*train\s*\.|engine\s*\(\s*\)\s*\.\s*gradients\b|@tensorflow\/tfjs-layers/;

/** Every line of `text` (a file's source) that uses autodiff outside comments, as 'file:line: code'. */
export function findAutodiff(file: string, text: string): string[] {
  const code = stripComments(text);
  const hits: string[] = [];
  // Imports may span lines: test them on the whole text, then report the line where each starts.
  const importRe = new RegExp(IMPORT.source, 'g');
  for (const m of code.matchAll(importRe)) {
    const line = code.slice(0, m.index).split('\n').length;
    hits.push(`${file}:${line}: ${m[0].replace(/\s+/g, ' ')}`);
  }
  code.split('\n').forEach((line, i) => {
    if (CALL.test(line) || OTHER.test(line)) hits.push(`${file}:${i + 1}: ${line.trim()}`);
  });
  return hits;
}

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

describe('no autodiff in the source text', () => {
  it('finds calls in code but not in comments (the scanner itself)', () => {
    const sample = [
      "import { grad, tensor } from '@tensorflow/tfjs-core';",
      '// tf.grad(f) would be easier, but we write backward passes by hand',
      '/* tf.valueAndGrad(f)',
      '   tf.customGrad(g) */',
      "const s = 'a // not a comment'; const g = tf.grads(f);",
      'const opt = tf.train.adam(1e-3);',
      'const dx = tf.engine().gradients(f, [x]);',
      'const ok = numericGradient(f, x); const d = cache.grad;',
    ].join('\n');
    expect(findAutodiff('sample.ts', sample)).toEqual([
      "sample.ts:1: import { grad, tensor } from '@tensorflow",
      "sample.ts:5: const s = 'a // not a comment'; const g = tf.grads(f);",
      'sample.ts:6: const opt = tf.train.adam(1e-3);',
      'sample.ts:7: const dx = tf.engine().gradients(f, [x]);',
    ]);
  });

  it('src/**/*.ts calls no autodiff', () => {
    const root = path.join(__dirname, '..');
    const files = tsFiles(path.join(root, 'src'));
    expect(files.length).toBeGreaterThan(5);
    const hits = files.flatMap((f) => findAutodiff(path.relative(root, f), fs.readFileSync(f, 'utf8')));
    // A failure lists each hit: autodiff in src/ (write the backward pass by hand; autodiff belongs in reference/).
    expect(hits).toEqual([]);
  });
});
