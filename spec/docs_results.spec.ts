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
      epochs: 9,
      seconds: 1789.4,
    };
    const rows = rowsFromMetrics(metrics, 'm.json', 'train-30');
    expect(rows.map((r) => [r.anchor, r.value])).toEqual([
      ['train-30-test-acc', '0.901'],
      ['train-30-test-acc-without-tta', '0.893'],
      ['train-30-epochs', '9'],
      ['train-30-seconds', '1789'],
    ]);
    expect(rows[0].command).toBe('npm run train -- --time-budget 30');
    expect(() => rowsFromMetrics(metrics, 'm.json', 'train')).toThrow("m.json: config.time_budget_minutes is 30, and the table's train rows are for 115");
    expect(() => rowsFromMetrics({ ...metrics, script: 'convnet' }, 'm.json', 'train-30')).toThrow('m.json: a convnet run, and the table reads train runs from train-30/');
  });
});
