/**
 * The results table (docs/results.md): the numbers the pages quote from training runs, each with the date, the
 * commit and the command of the run it came from. `npm run results` fills it from runs' metrics.json files
 * (scripts/results.ts); pages cite a number as a link whose text is the number, `[0.575](results.md#fc-nets-test-acc)`,
 * and the docs spec fails when a cited number is not the one in the table (spec/docs_results.spec.ts).
 *
 * Only the fields listed in RESULT_FIELDS go in the table: the headline numbers a page may quote. A run made with
 * --quick is refused (a smoke run's numbers mean nothing), and a dirty commit is written as it is.
 */

/** A number the table holds: the script whose metrics.json has it, its path there, and what it is. */
export interface ResultField {
  script: string;
  /**
   * The run's folder under runs/ when it is not the script's own (runs/<script>/): one script run two ways, e.g.
   * `npm run train -- --time-budget 30 --out runs/train-30`.
   */
  run?: string;
  /** What the run's metrics.json must hold for its numbers to be these (dot path -> value), e.g. its time budget. */
  when?: Record<string, unknown>;
  /** Dot path in metrics.json (`update_rules.adam.bestValAcc`). */
  path: string;
  /** What the number is, in a few words. */
  what: string;
  /** Decimal places it is shown with (accuracies: 3); or, with `significant`, significant digits. */
  digits: number;
  significant?: boolean;
}

const acc = (script: string, path: string, what: string): ResultField => ({ script, path, what, digits: 3 });
const sig = (script: string, path: string, what: string): ResultField => ({ script, path, what, digits: 3, significant: true });
/** `npm run train`'s numbers for the run of a time budget: the default (runs/train/) or another (runs/train-<minutes>/). */
const train = (minutes: number, path: string, what: string, digits = 3): ResultField => ({
  script: 'train',
  ...(minutes === 115 ? {} : { run: `train-${minutes}` }),
  when: { 'config.time_budget_minutes': minutes },
  path,
  what: `${minutes}-minute budget: ${what}`,
  digits,
});

/** Every number the table holds, in the order it lists them. */
export const RESULT_FIELDS: readonly ResultField[] = [
  acc('two-layer-net', 'best_val_acc', 'best validation accuracy of the search'),
  acc('two-layer-net', 'test_acc', 'test accuracy of the best net'),
  acc('fc-nets', 'overfit.3-layer.finalTrainAcc', 'three-layer net, 50 images: final training accuracy'),
  acc('fc-nets', 'overfit.5-layer.finalTrainAcc', 'five-layer net, 50 images: final training accuracy'),
  acc('fc-nets', 'update_rules.sgd.bestValAcc', 'update rules, six-layer net: sgd, best validation accuracy'),
  acc('fc-nets', 'update_rules.sgd_momentum.bestValAcc', 'update rules: sgd_momentum, best validation accuracy'),
  acc('fc-nets', 'update_rules.rmsprop.bestValAcc', 'update rules: rmsprop, best validation accuracy'),
  acc('fc-nets', 'update_rules.adam.bestValAcc', 'update rules: adam, best validation accuracy'),
  acc('fc-nets', 'best_val_acc', 'best fully connected model: validation accuracy'),
  acc('fc-nets', 'test_acc', 'best fully connected model: test accuracy'),
  acc('convnet', 'overfit_train_acc', 'three-layer convnet, 100 images: final training accuracy'),
  acc('convnet', 'one_epoch_val_acc', 'three-layer convnet, one epoch: validation accuracy'),
  acc('convnet', 'one_epoch_test_acc', 'three-layer convnet, one epoch: test accuracy'),
  sig('initialization', 'last_layer_std.small', '10 relu layers of 500, w ~ N(0, 0.01^2): std of the last activations'),
  sig('initialization', 'last_layer_std.xavier', 'the same, Xavier (1 / fan-in): std of the last activations'),
  sig('initialization', 'last_layer_std.he', 'the same, He (2 / fan-in): std of the last activations'),
  sig('initialization', 'first_layer_grad_std.small', 'w ~ N(0, 0.01^2): std of the gradient reaching the first layer'),
  sig('initialization', 'first_layer_grad_std.xavier', 'Xavier: std of the gradient reaching the first layer'),
  sig('initialization', 'first_layer_grad_std.he', 'He: std of the gradient reaching the first layer'),
  sig('topics', 'preprocessing.eigenvalue_spread', '2x2 patches of 2,000 training images: largest / smallest eigenvalue of their covariance'),
  sig('topics', 'preprocessing.top3_variance_share', 'the same: share of the variance in the three largest directions'),
  sig('topics', 'babysitting.median_ratio.lr_1e-3.W1', '[100, 100] net, SGD lr 1e-3, 300 steps: median update / weight ratio of W1'),
  sig('topics', 'babysitting.median_ratio.lr_1e-3.W3', 'the same: of W3 (the scores layer)'),
  sig('topics', 'babysitting.median_ratio.lr_1e-2.W1', 'the same at lr 1e-2: of W1'),
  sig('topics', 'babysitting.histograms.step0.activation_zero_share.h2', 'the same net at lr 1e-3, 500 images, step 0: share of h2 exactly 0'),
  sig('topics', 'babysitting.histograms.end.activation_zero_share.h2', 'the same after 300 steps'),
  sig('topics', 'babysitting.histograms.step0.activation_median_nonzero.h1', 'the same, step 0: median non-zero activation of h1'),
  sig('topics', 'babysitting.histograms.step0.activation_median_nonzero.h2', 'the same: of h2'),
  sig('topics', 'babysitting.histograms.step0.grad_median_abs.W1', 'the same, step 0: median absolute entry of dW1'),
  sig('topics', 'babysitting.histograms.step0.grad_median_abs.W3', 'the same: of dW3'),
  sig('topics', 'minibatch_sgd.initial_loss', 'softmax on 2,000 images, lr 2e-6: loss on all of them at step 0'),
  sig('topics', 'minibatch_sgd.final_train_loss.b10', 'the same after 200 steps of batch 10'),
  sig('topics', 'minibatch_sgd.final_train_loss.b100', 'the same, batch 100'),
  sig('topics', 'minibatch_sgd.final_train_loss.b1000', 'the same, batch 1000'),
  sig('topics', 'minibatch_sgd.noise_rms.b10', 'batch 10, second half: rms of minibatch loss - loss on all rows'),
  sig('topics', 'minibatch_sgd.noise_rms.b100', 'the same, batch 100'),
  sig('topics', 'minibatch_sgd.noise_rms.b1000', 'the same, batch 1000'),
  { script: 'topics', path: 'receptive_fields.stacks.conv7_pool.side', what: '7x7 conv, relu, 2x2 pool: side of the input square one output sees', digits: 0 },
  { script: 'topics', path: 'receptive_fields.stacks.conv7_pool.single_pixels', what: 'the same: input pixels with a non-zero gradient for one image', digits: 0 },
  { script: 'topics', path: 'receptive_fields.stacks.conv3x3.side', what: 'three 3x3 convs: side of the input square one output sees', digits: 0 },
  { script: 'topics', path: 'receptive_fields.stacks.conv3_pool_conv3x2.side', what: '3x3 conv, pool, two 3x3 convs: the same', digits: 0 },
  sig('topics', 'receptive_fields.conv3x3_centre_share', 'three 3x3 convs, 64 images: share of the mean absolute gradient on the central 3 x 3'),
  acc('topics', 'hyperparameter_search.best_val_acc.grid', 'softmax, 5,000 images, 150 steps: best validation accuracy of a 3 x 3 grid'),
  acc('topics', 'hyperparameter_search.best_val_acc.random', 'the same: of 9 random trials over the same ranges'),
  acc('topics', 'hyperparameter_search.best_val_acc.fine', 'the same: of 9 finer random trials around the best random one'),
  train(115, 'test_acc', 'test accuracy, flips and 1-pixel shifts averaged'),
  train(115, 'test_acc_without_tta', 'test accuracy, one view'),
  train(115, 'test_acc_course_1000', "the course's first 1,000 test images: accuracy, flips and 1-pixel shifts averaged"),
  train(115, 'epochs', 'epochs trained', 0),
  train(115, 'seconds', 'seconds, start to end', 0),
  train(30, 'test_acc', 'test accuracy, flips averaged'),
  train(30, 'test_acc_without_tta', 'test accuracy, one view'),
  train(30, 'test_acc_course_1000', "the course's first 1,000 test images: accuracy, flips averaged"),
  train(30, 'epochs', 'epochs trained', 0),
  train(30, 'seconds', 'seconds, start to end', 0),
];

/** The folder under runs/ whose metrics.json holds a field. */
export function runOf(f: Pick<ResultField, 'script' | 'run'>): string {
  return f.run ?? f.script;
}

/** The anchor of a field's row: `fc-nets-update-rules-adam-bestvalacc`. */
export function anchorOf(f: Pick<ResultField, 'script' | 'run' | 'path'>): string {
  return `${runOf(f)}-${f.path}`.toLowerCase().replace(/[^a-z0-9]+/g, '-');
}

/** One row of the table. */
export interface ResultRow {
  anchor: string;
  /** The run's folder under runs/: the script's name, or the field's `run`. */
  script: string;
  path: string;
  what: string;
  /** As shown and as cited: '0.575', or 'pending' before any run. */
  value: string;
  date: string;
  commit: string;
  command: string;
}

/** The value at a dot path of a parsed metrics.json, or undefined. */
export function valueAt(metrics: unknown, dotPath: string): unknown {
  // Keys may hold dots' neighbours such as '3-layer': split on dots only.
  return dotPath.split('.').reduce<unknown>((o, k) => (o !== null && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), metrics);
}

/** The command without the flags that do not change a run's numbers (--out, --no-progress). */
export function citedCommand(command: string): string {
  return command
    .replace(/ --out (?:'[^']*'|\S+)/g, '')
    .replace(/ --no-progress/g, '')
    .replace(/ --$/, '');
}

/**
 * The rows a metrics.json gives: one per field of its run folder (`run`, default the script's own). Throws naming
 * the file for a quick run, another script's metrics, a run that is not the one the fields describe (`when`), a
 * missing field or a value that is no finite number (the table never holds a guess).
 */
export function rowsFromMetrics(metrics: Record<string, unknown>, file: string, run?: string): ResultRow[] {
  const script = metrics.script;
  if (typeof script !== 'string') throw new Error(`${file}: no 'script' field; is it a run's metrics.json?`);
  if (metrics.quick === true) throw new Error(`${file}: a --quick run; the table holds full runs only`);
  const folder = run ?? script;
  const fields = RESULT_FIELDS.filter((f) => runOf(f) === folder);
  if (fields.length > 0 && fields[0].script !== script) throw new Error(`${file}: a ${script} run, and the table reads ${fields[0].script} runs from ${folder}/`);
  for (const f of fields) {
    for (const [at, want] of Object.entries(f.when ?? {})) {
      const got = valueAt(metrics, at);
      if (got !== want) throw new Error(`${file}: ${at} is ${JSON.stringify(got)}, and the table's ${folder} rows are for ${JSON.stringify(want)}`);
    }
  }
  return fields.map((f) => {
    const v = valueAt(metrics, f.path);
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${file}: ${f.path} is ${JSON.stringify(v)}, expected a number`);
    const started = typeof metrics.startedAt === 'string' ? metrics.startedAt.slice(0, 10) : 'unknown';
    const commit = typeof metrics.commit === 'string' ? metrics.commit.slice(0, 12) + (metrics.commit.endsWith('-dirty') ? '-dirty' : '') : 'unknown';
    const command = typeof metrics.command === 'string' ? citedCommand(metrics.command) : `npm run ${script} (command not recorded)`;
    const value = f.significant ? String(Number(v.toPrecision(f.digits))) : v.toFixed(f.digits);
    return { anchor: anchorOf(f), script: folder, path: f.path, what: f.what, value, date: started, commit, command };
  });
}

const HEAD = ['| number | what | value | date | commit | command |', '|---|---|---|---|---|---|'];

/** The page: an introduction, then one table of every field (pending where no run has filled it). */
export function formatResults(rows: readonly ResultRow[]): string {
  const byAnchor = new Map(rows.map((r) => [r.anchor, r]));
  const lines = RESULT_FIELDS.map((f) => {
    const r = byAnchor.get(anchorOf(f)) ?? { ...f, script: runOf(f), anchor: anchorOf(f), value: 'pending', date: '', commit: '', command: '' };
    return `| <a id="${r.anchor}"></a>\`${r.script}\` \`${r.path}\` | ${r.what} | ${r.value} | ${r.date} | ${r.commit ? `\`${r.commit}\`` : ''} | ${r.command ? `\`${r.command}\`` : ''} |`;
  });
  return [
    '# Results of the training scripts',
    '',
    'The numbers the other pages quote from training runs, each with the run it came from: the day it started, the',
    'commit its code came from and the command that reproduces it (the same seed reproduces the same run on the same',
    'backend; another machine may differ in the last digits). `npm run results` writes this page from runs\'',
    '`metrics.json` files (`npm run results -- --runs DIR` for runs written elsewhere with `--out`); a row a new run',
    'does not cover keeps its old values. A page cites a number as a link to its row, and the docs spec',
    '(`spec/docs_results.spec.ts`) fails when the linked number is not the one here.',
    '',
    ...HEAD,
    ...lines,
    '',
    '## Next',
    '',
    'Each script\'s page says what its numbers mean: [two-layer-net](fully-connected-nets.md),',
    '[fc-nets](fully-connected-nets.md) and [optimizers.md](optimizers.md), [convnet](convolution.md),',
    '[initialization](initialization.md), [topics](training-practice.md), [train](best-model.md).',
    '',
  ].join('\n');
}

/** The rows of an existing results page (as formatResults writes it); 'pending' rows are left out. */
export function parseResults(text: string): ResultRow[] {
  const rows: ResultRow[] = [];
  const re = /^\| <a id="([^"]+)"><\/a>`([^`]+)` `([^`]+)` \| ([^|]*) \| ([^|]*) \| ([^|]*) \| ([^|]*) \| ([^|]*) \|$/;
  for (const line of text.split('\n')) {
    const m = re.exec(line);
    if (!m || m[5].trim() === 'pending') continue;
    rows.push({ anchor: m[1], script: m[2], path: m[3], what: m[4].trim(), value: m[5].trim(), date: m[6].trim(), commit: m[7].trim().replace(/`/g, ''), command: m[8].trim().replace(/`/g, '') });
  }
  return rows;
}

/** A page's citation of the table: `[text](…results.md#anchor)`, with its line. */
export interface Citation {
  line: number;
  text: string;
  anchor: string;
}

/** Every link to a row of results.md in a page's text. */
export function citations(text: string): Citation[] {
  const out: Citation[] = [];
  text.split('\n').forEach((l, i) => {
    for (const m of l.matchAll(/\[([^\]]+)\]\((?:\.\.\/docs\/|docs\/|\.\/)?results\.md#([a-z0-9-]+)\)/g)) out.push({ line: i + 1, text: m[1], anchor: m[2] });
  });
  return out;
}
