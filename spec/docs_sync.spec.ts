/**
 * The pages (README.md and docs/*.md) name only what exists: every backticked path, npm script, flag, environment
 * variable and code identifier, and every relative link, resolves in the repository (spec/support/docs_sync.ts
 * says how each kind is recognised and resolved). So do the notebooks (notebooks/*.ipynb), their markdown as a
 * page and their code by spec/support/notebook_sync.ts. A failure names the page, the line and the name.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Repository, checkCodeMentions, checkPage, docPages, formatUnresolved, headingAnchor } from './support/docs_sync';
import { checkNotebook } from './support/notebook_sync';
import { NOTEBOOKS } from '../scripts/notebooks';

const ROOT = path.resolve(__dirname, '..');
const repo = new Repository(ROOT);

describe('docs name only what exists', () => {
  it.each(docPages(ROOT))('%s', (page) => {
    const problems = checkPage(repo, page, fs.readFileSync(path.join(ROOT, page), 'utf8'));
    if (problems.length > 0) {
      throw new Error(`${page} names ${problems.length} thing(s) the repository does not have:\n${formatUnresolved(problems)}`);
    }
  });
});

describe('pages hold no control characters', () => {
  // A formula written through a string literal loses its backslash commands to escapes: '\approx' becomes a bell
  // character and 'pprox', which GitHub shows as raw text.
  it.each(docPages(ROOT))('%s', (page) => {
    const bad = fs
      .readFileSync(path.join(ROOT, page), 'utf8')
      .split('\n')
      .flatMap((line, i) => (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(line) ? [`${page}:${i + 1}: ${JSON.stringify(line.trim())}`] : []));
    expect(bad).toEqual([]);
  });
});

describe('every page under docs/ ends in what to do next', () => {
  it.each(docPages(ROOT).filter((p) => p.startsWith('docs/')))('%s', (page) => {
    const headings = fs
      .readFileSync(path.join(ROOT, page), 'utf8')
      .split('\n')
      .filter((l) => /^#{1,2} /.test(l));
    expect(headings[headings.length - 1]).toBe('## Next');
  });
});

describe('notebooks name only what exists: their markdown as a page, and in their code every file, export, exercise id and helper', () => {
  it.each([...NOTEBOOKS])('%s', (name) => {
    const file = `notebooks/${name}.ipynb`;
    const problems = checkNotebook(repo, file, fs.readFileSync(path.join(ROOT, file), 'utf8'));
    if (problems.length > 0) throw new Error(`${file} names ${problems.length} thing(s) the repository does not have:\n${formatUnresolved(problems)}`);
  });

  it('catches a stale path, export, exercise id, helper and link', () => {
    const planted = {
      cells: [
        { cell_type: 'markdown', source: 'See [the page](../docs/no-such-page.md) and `npm run no-such-script`.' },
        { cell_type: 'code', source: "const { KNearestNeighbor, noSuchExport }: typeof import('./src/classifiers/knn') = nb.course('classifiers/knn');" },
        { cell_type: 'code', source: "const { imageGrid } = require('./runtime/vis/no_such_file.ts');\nawait nb.check('no_such_exercise');\nnb.noSuchHelper();" },
      ],
    };
    const lines = formatUnresolved(checkNotebook(repo, 'notebooks/planted.ipynb', JSON.stringify(planted))).split('\n');
    expect(lines).toEqual([
      'notebooks/planted.ipynb:1: `npm run no-such-script`: no npm script "no-such-script" in package.json',
      'notebooks/planted.ipynb:1: `../docs/no-such-page.md`: no file or folder docs/no-such-page.md',
      'notebooks/planted.ipynb:2: `noSuchExport`: src/classifiers/knn.ts exports no noSuchExport',
      'notebooks/planted.ipynb:3: `./runtime/vis/no_such_file.ts`: required: no file runtime/vis/no_such_file.ts in the repository',
      "notebooks/planted.ipynb:3: `no_such_exercise`: nb.check: no exercise 'no_such_exercise' in learn/manifest.ts",
      'notebooks/planted.ipynb:3: `nb.noSuchHelper`: notebooks/lib/nb.ts exports no noSuchHelper',
    ]);
  });
});

describe('code comments and messages name only files that exist', () => {
  // These specs and this spec's helper name missing files on purpose, to show that their checks catch them.
  const planters = new Set(['spec/docs_sync.spec.ts', 'spec/support/docs_sync.ts', 'spec/architecture.spec.ts']);

  it('every src/, runtime/, reference/, learn/, scripts/, web/, bench/, notebooks/, spec/ and docs/ path they name exists', () => {
    const problems = repo.sourceFiles
      .filter((f) => !planters.has(f))
      .flatMap((f) => checkCodeMentions(repo, f, fs.readFileSync(path.join(ROOT, f), 'utf8')));
    if (problems.length > 0) throw new Error(`the code names ${problems.length} missing file(s):\n${formatUnresolved(problems)}`);
  });

  it('catches a stale path in a comment, and leaves globs and templates alone', () => {
    const text = [
      '/** Checked by the case in reference/catalogue.ts (see docs/batchnorm.md). */',
      "const twins = 'reference/layers_*.ts'; const script = `scripts/${name}.ts`; // src/layers/affine.ts",
    ].join('\n');
    expect(formatUnresolved(checkCodeMentions(repo, 'learn/checks.ts', text))).toBe(
      'learn/checks.ts:1: `reference/catalogue.ts`: no file or folder reference/catalogue.ts in the repository',
    );
  });
});

describe('the check catches what it exists for', () => {
  /** A page that names code gone in earlier refactors, each line one kind of stale name. */
  const stale = [
    'The catalogue is `reference/catalogue.ts`.',
    'Weights take `affineParamBackward`, and `KNearestNeighbor.computeDistancesTwoLoopsTensorOps` is slow.',
    'Run `npm run no-such-script` or `npm run train -- --no-such-flag`; see `runs/knn/no_such_figure.png`.',
    'Set `NO_SUCH_ENV_VAR=1`, install `@tensorflow/no-such-package`; read [the page](no-such-page.md) and [a section](optimizers.md#no-such-heading).',
    'Still fine: `src/optim/adam.ts`, `adam.ts`, `KNearestNeighbor.computeDistancesNoLoops`, `npm run knn -- --quick`,',
    '`TFJS_WASM_THREADS=1`, `tf.grad`, $`x_{i}`$, [optimizers](optimizers.md#sgd), `runs/knn/distances.png`, `@tensorflow/tfjs-node`.',
    'Exercise `no_such_exercise`, and `train()` and `noSuchFunction()` as written.',
    '```sh',
    'npm run -s knn -- --quick        # fine',
    'npm run knn -- --no-such-flag    # planted',
    '```',
    '```math',
    'npm run no-such-script',
    '```',
  ].join('\n');

  it('reports each stale name with its page and line, and nothing that resolves', () => {
    const lines = formatUnresolved(checkPage(repo, 'docs/planted.md', stale)).split('\n');
    expect(lines).toEqual([
      'docs/planted.md:1: `reference/catalogue.ts`: no file or folder reference/catalogue.ts in the repository',
      'docs/planted.md:2: `affineParamBackward`: affineParamBackward is defined nowhere in src/, runtime/, reference/, learn/, scripts/, web/, bench/, notebooks/',
      'docs/planted.md:2: `KNearestNeighbor.computeDistancesTwoLoopsTensorOps`: computeDistancesTwoLoopsTensorOps is defined nowhere in src/, runtime/, reference/, learn/, scripts/, web/, bench/, notebooks/',
      'docs/planted.md:3: `npm run no-such-script`: no npm script "no-such-script" in package.json',
      'docs/planted.md:3: `npm run train -- --no-such-flag`: no script under src/, runtime/, reference/, learn/, scripts/, web/, bench/, notebooks/ defines the flag --no-such-flag',
      'docs/planted.md:3: `runs/knn/no_such_figure.png`: no code writes no_such_figure.png (the page names it under runs/)',
      'docs/planted.md:4: `NO_SUCH_ENV_VAR=1`: NO_SUCH_ENV_VAR is not mentioned anywhere in src/, runtime/, reference/, learn/, scripts/, web/, bench/, notebooks/',
      'docs/planted.md:4: `@tensorflow/no-such-package`: no package @tensorflow/no-such-package in package.json',
      'docs/planted.md:4: `no-such-page.md`: no file or folder docs/no-such-page.md',
      'docs/planted.md:4: `optimizers.md#no-such-heading`: no heading #no-such-heading in docs/optimizers.md',
      'docs/planted.md:7: `no_such_exercise`: no_such_exercise is mentioned nowhere in src/, runtime/, reference/, learn/, scripts/, web/, bench/, notebooks/',
      'docs/planted.md:7: `noSuchFunction()`: noSuchFunction is defined nowhere in src/, runtime/, reference/, learn/, scripts/, web/, bench/, notebooks/',
      'docs/planted.md:10: `npm run knn -- --no-such-flag`: no script under src/, runtime/, reference/, learn/, scripts/, web/, bench/, notebooks/ defines the flag --no-such-flag',
    ]);
  });

  it("computes GitHub's heading anchors", () => {
    expect(headingAnchor('Momentum: a ball with velocity and friction')).toBe('momentum-a-ball-with-velocity-and-friction');
    expect(headingAnchor('What `npm run train -- --resume` promises')).toBe('what-npm-run-train------resume-promises');
  });
});
