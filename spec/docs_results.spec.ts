/**
 * docs/results.md and the pages that cite it: every link to a row of the table must show the number the table
 * holds for that row (a page that quotes a stale number fails here), and `npm run results`' parts read metrics.json
 * as written, refuse a --quick run and keep rows no new run covers.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RESULT_FIELDS, anchorOf, citations, citedCommand, formatResults, parseResults, rowsFromMetrics } from '../scripts/lib/results';

const ROOT = path.resolve(__dirname, '..');
const PAGES = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** Each citation that does not show its row's number: `page:line [text] -> anchor: why`. */
export function staleCitations(pages: Record<string, string>, table: string): string[] {
  const rows = new Map(parseResults(table).map((r) => [r.anchor, r]));
  const known = new Set(RESULT_FIELDS.map(anchorOf));
  const out: string[] = [];
  for (const [page, text] of Object.entries(pages)) {
    for (const c of citations(text)) {
      const row = rows.get(c.anchor);
      const why = !known.has(c.anchor) ? 'no such row' : !row ? 'the row is pending (no run has filled it)' : row.value !== c.text ? `the table holds ${row.value}` : undefined;
      if (why) out.push(`${page}:${c.line} [${c.text}] -> ${c.anchor}: ${why}`);
    }
  }
  return out;
}

/**
 * The accuracies a page writes by hand: in a sentence (or a table row) that says "accuracy", a number with three or
 * more decimals (0.894) or a percentage with a decimal (47.7%), outside citations, inline code and maths, and
 * outside code blocks. Returns `page: number` for each, in page order. performance.md is left out: its numbers are
 * benchmark figures, not training runs.
 */
export function handTypedAccuracies(pages: Record<string, string>): string[] {
  const out: string[] = [];
  const numbers = (text: string) => [...text.matchAll(/(?<![\d.,])(?:0\.\d{3,}|\d{1,3}\.\d+%)(?!\d)/g)].map((m) => m[0]);
  for (const [page, text] of Object.entries(pages)) {
    const prose: string[] = [];
    let fenced = false;
    for (const line of text.split('\n')) {
      if (line.startsWith('```')) fenced = !fenced;
      prose.push(fenced || line.startsWith('```') ? '' : line);
    }
    const plain = prose
      .join('\n')
      .replace(/\[[^\]]+\]\((?:\.\.\/docs\/|docs\/|\.\/)?results\.md#[a-z0-9-]+\)/g, ' CITED ')
      .replace(/\$`[^`]*`\$/g, ' MATH ')
      .replace(/`[^`]*`/g, ' CODE ');
    for (const block of plain.split(/\n\s*\n/)) {
      const lines = block.split('\n').filter((l) => l.trim() !== '');
      if (lines.length > 0 && lines.every((l) => l.startsWith('|'))) {
        // A table: a row counts when it or the table's header says "accuracy".
        for (const row of lines.slice(1)) if (/accura/i.test(lines[0]) || /accura/i.test(row)) out.push(...numbers(row).map((n) => `${page}: ${n}`));
        continue;
      }
      // Prose: sentences end at a full stop before a space or a line end.
      for (const sentence of block.split(/\.\s+/)) if (/accura/i.test(sentence)) out.push(...numbers(sentence).map((n) => `${page}: ${n}`));
    }
  }
  return out;
}

/**
 * The hand-typed accuracies the table has no row for, page by page, each with why: a new one fails until it is
 * cited from the table (a field in scripts/lib/results.ts's RESULT_FIELDS) or listed here with its reason.
 */
const UNCITED: Record<string, { numbers: string[]; why: string }[]> = {
  'README.md': [
    { numbers: ['0.8945'], why: "airbench93's own recipe in PyTorch (bench/airbench_torch.py), not a script of this project" },
    { numbers: ['0.869'], why: 'npm run train -- --model resnet, 2026-12-03: the table holds the default model only' },
  ],
  'docs/best-model.md': [
    { numbers: ['93.0%', '94.0%'], why: "airbench's published means, not runs of ours" },
    {
      numbers: ['0.585', '0.628', '0.707', '0.729', '0.765', '0.788', '0.808', '0.839', '0.849', '0.869', '0.873'],
      why: 'the PyTorch airbench93 run (bench/airbench_torch.py)',
    },
    {
      numbers: ['0.679', '0.717', '0.776', '0.785', '0.805', '0.838', '0.814', '0.850', '0.870', '0.881', '0.683', '0.744', '0.764', '0.812', '0.810', '0.867', '0.886', '0.907', '0.941'],
      why: "the default train run's per-epoch validation and training accuracy (val_acc_history, train_acc_history in its metrics.json): twenty numbers the table does not hold",
    },
    { numbers: ['0.603', '0.595', '0.716', '0.780', '0.818', '0.827'], why: "the 30-minute train run's per-epoch validation accuracy (val_acc_history)" },
    {
      numbers: ['0.902', '0.859'],
      why: "test_acc_course_1000 of the 115- and 30-minute train runs: their metrics.json files hold it, but the table's rows for it came after those runs (the next npm run train and npm run results fill them)",
    },
    {
      numbers: ['0.043', '0.483', '0.489', '0.087', '0.504', '0.538', '0.130', '0.645', '0.638', '0.174', '0.650', '0.664', '0.196', '0.705', '0.694', '0.185', '0.696', '0.722', '0.706', '0.721', '0.163', '0.714', '0.735', '0.152', '0.767', '0.769', '0.141', '0.738', '0.758', '0.120', '0.780', '0.784', '0.109', '0.801', '0.821', '0.098', '0.811', '0.820', '0.076', '0.809', '0.842', '0.065', '0.815', '0.856', '0.054', '0.827', '0.878', '0.825', '0.854', '0.033', '0.861', '0.884', '0.022', '0.845', '0.904', '0.011', '0.865', '0.918', '0.871', '0.924', '0.8694', '0.8590'],
      why: 'the ResNet default run of 2026-12-03 (npm run train before airbench; now --model resnet): epochs, learning rates and accuracies; the table holds the default model only',
    },
    { numbers: ['0.695', '0.691', '0.711', '0.705', '0.656', '0.644', '0.728', '0.721'], why: "the ResNet's two-epoch ablation runs of 2026-12-03, one flag each" },
    { numbers: ['0.523', '0.519', '0.564', '0.556'], why: "one-epoch runs of 2026-12-03 with and without Page's score scaling, whose code is not in the repository" },
  ],
  'docs/convolution.md': [{ numbers: ['47.7%'], why: 'npm run convnet -- --no-batchnorm: the table holds the default run, with batchnorm' }],
  'docs/dropout.md': [
    {
      numbers: ['0.990', '0.285', '0.705', '0.305', '0.978', '0.263', '0.715', '0.312', '0.940', '0.288', '0.652', '0.299', '0.868', '0.291', '0.577', '0.323'],
      why: "npm run dropout of 2026-12-03: its metrics.json holds them (train_acc_by_keep, val_acc_by_keep, gap_by_keep, best_val_acc_by_keep), and no full run has filled the table's rows for them yet",
    },
  ],
  'docs/network-visualization.md': [
    { numbers: ['0.703'], why: 'npm run train -- --model convnet --epochs 2, 2026-12-03: the table holds the default model only' },
    { numbers: ['0.558'], why: "the small convnet that npm run network-visualization trains itself, 2026-12-03; not in the table" },
  ],
};

const read = (p: string) => fs.readFileSync(path.join(ROOT, p), 'utf8');

describe('the results table and its citations', () => {
  const table = read('docs/results.md');

  it('has every page cite the number the table holds', () => {
    const pages = Object.fromEntries(PAGES.map((p) => [p, read(p)]));
    expect(staleCitations(pages, table)).toEqual([]);
    // The pages do cite it: a spec over no citation would pass for nothing.
    expect(PAGES.flatMap((p) => citations(read(p))).length).toBeGreaterThan(3);
  });

  it('fails a page that quotes a stale number, or a row that does not exist', () => {
    const row = parseResults(table)[0];
    const stale = (Number(row.value) + 0.01).toFixed(3);
    const page = `The best net reached [${stale}](results.md#${row.anchor}); see [0.1](results.md#no-such-row).`;
    expect(staleCitations({ 'a-page.md': page }, table)).toEqual([
      `a-page.md:1 [${stale}] -> ${row.anchor}: the table holds ${row.value}`,
      'a-page.md:1 [0.1] -> no-such-row: no such row',
    ]);
  });

  it('has no accuracy typed by hand but the listed ones (each with why the table has no row for it)', () => {
    const pages = Object.fromEntries(PAGES.filter((p) => p !== 'docs/performance.md' && p !== 'docs/results.md').map((p) => [p, read(p)]));
    const listed = Object.entries(UNCITED).flatMap(([page, entries]) => entries.flatMap((e) => e.numbers.map((n) => `${page}: ${n}`)));
    const found = handTypedAccuracies(pages);
    // A new one: cite it from the table, or list it in UNCITED with its reason.
    expect(found.filter((f) => !listed.includes(f))).toEqual([]);
    // A listed one the page no longer writes: take it off the list.
    expect(listed.filter((l) => !found.includes(l))).toEqual([]);
  });

  it('catches an accuracy typed by hand, and leaves cited numbers, code and other numbers alone', () => {
    const page = [
      'The net reached 0.547 validation accuracy after one epoch',
      '(and [0.575](results.md#fc-nets-test-acc) test accuracy, `--lr 0.001`). A loss floor of 0.867 is another number.',
      '',
      '| epoch | 1 | 2 |',
      '|---|---|---|',
      '| validation accuracy | 0.679 | 0.717 |',
      '| seconds | 0.123 | 0.456 |',
      '',
      '| keep | final training accuracy |',
      '|---|---|',
      '| 0.5 | 0.940 |',
      '',
      'The plain net reached 47.7% accuracy. Step 0.5 of 2.',
    ].join('\n');
    expect(handTypedAccuracies({ 'a-page.md': page })).toEqual(['a-page.md: 0.547', 'a-page.md: 0.679', 'a-page.md: 0.717', 'a-page.md: 0.940', 'a-page.md: 47.7%']);
  });

  it('is what formatResults writes from its own rows (a hand edit of the table shows here)', () => {
    expect(formatResults(parseResults(table))).toBe(table);
  });

  it('reads a metrics.json into rows with the date, the commit and the command that matter', () => {
    const metrics = {
      script: 'convnet',
      quick: false,
      startedAt: '2026-12-07T11:18:08.052Z',
      commit: '4720b6ee00d130e0e6543b7b005ef807e9ca9bd0-dirty',
      command: 'npm run convnet -- --no-progress --out /tmp/x --seed 2',
      overfit_train_acc: 0.98,
      one_epoch_val_acc: 0.5234,
      one_epoch_test_acc: 0.51,
    };
    const rows = rowsFromMetrics(metrics, 'm.json');
    expect(rows.map((r) => r.value)).toEqual(['0.980', '0.523', '0.510']);
    expect(rows[0]).toMatchObject({ date: '2026-12-07', commit: '4720b6ee00d1-dirty', command: 'npm run convnet -- --seed 2' });
    expect(() => rowsFromMetrics({ ...metrics, quick: true }, 'm.json')).toThrow('m.json: a --quick run; the table holds full runs only');
    expect(() => rowsFromMetrics({ ...metrics, one_epoch_val_acc: null }, 'm.json')).toThrow('m.json: one_epoch_val_acc is null, expected a number');
    expect(citedCommand('npm run fc-nets -- --no-progress --out /tmp/a')).toBe('npm run fc-nets');
  });

  it("reads one script's runs of different budgets from their own folders, and refuses a run the rows do not describe", () => {
    const metrics = {
      script: 'train',
      quick: false,
      startedAt: '2026-12-07T16:00:00.000Z',
      commit: 'abcdef0123456789',
      command: 'npm run train -- --time-budget 30 --out runs/train-30',
      config: { time_budget_minutes: 30 },
      test_acc: 0.9012,
      test_acc_without_tta: 0.8934,
      test_acc_course_1000: 0.905,
      epochs: 9,
      seconds: 1789.4,
    };
    const rows = rowsFromMetrics(metrics, 'm.json', 'train-30');
    expect(rows.map((r) => [r.anchor, r.value])).toEqual([
      ['train-30-test-acc', '0.901'],
      ['train-30-test-acc-without-tta', '0.893'],
      ['train-30-test-acc-course-1000', '0.905'],
      ['train-30-epochs', '9'],
      ['train-30-seconds', '1789'],
    ]);
    expect(rows[0].command).toBe('npm run train -- --time-budget 30');
    expect(() => rowsFromMetrics(metrics, 'm.json', 'train')).toThrow("m.json: config.time_budget_minutes is 30, and the table's train rows are for 115");
    expect(() => rowsFromMetrics({ ...metrics, script: 'convnet' }, 'm.json', 'train-30')).toThrow('m.json: a convnet run, and the table reads train runs from train-30/');
  });
});
