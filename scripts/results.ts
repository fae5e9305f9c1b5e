/**
 * npm run results [-- --runs DIR] [--page PATH]
 *
 * Writes docs/results.md, the table of the numbers the pages quote from training runs (scripts/lib/results.ts
 * lists them), from the metrics.json of each run folder under --runs (default runs/: runs/<script>/metrics.json,
 * where every script writes by default, and the folders some rows name, such as runs/train-30/ for
 * `npm run train -- --time-budget 30 --out runs/train-30`). Rows of scripts with no metrics.json there keep what the page held.
 * A --quick run, or a metrics.json that lacks a listed number, is refused in one line naming the file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { readBoundedFileSync } from '../runtime/read_bounded';
import { RESULT_FIELDS, ResultRow, formatResults, parseResults, rowsFromMetrics, runOf } from './lib/results';
import { writeFileAtomic } from './lib/run_dir';

/** A metrics.json is a few MB at most (histories of a long run); more is no run's. */
const MAX_METRICS_BYTES = 64 * 1024 * 1024;

async function main(): Promise<void> {
  const program = new Command('results')
    .description("write docs/results.md from the runs' metrics.json files")
    .option('--runs <dir>', 'folder holding one folder per script, each with its metrics.json', 'runs')
    .option('--page <path>', 'the page to write', path.join('docs', 'results.md'))
    .parse();
  const opts = program.opts<{ runs: string; page: string }>();
  const old = fs.existsSync(opts.page) ? parseResults(fs.readFileSync(opts.page, 'utf8')) : [];
  const rows = new Map<string, ResultRow>(old.map((r) => [r.anchor, r]));
  const scripts = [...new Set(RESULT_FIELDS.map(runOf))];
  for (const script of scripts) {
    const file = path.join(opts.runs, script, 'metrics.json');
    if (!fs.existsSync(file)) {
      console.log(`  kept   ${script}: no ${file}`);
      continue;
    }
    let metrics: unknown;
    try {
      metrics = JSON.parse(readBoundedFileSync(file, { maxBytes: MAX_METRICS_BYTES, error: (message) => new Error(message) }).toString('utf8'));
    } catch (err) {
      throw new Error(`${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (metrics === null || typeof metrics !== 'object' || Array.isArray(metrics)) throw new Error(`${file}: not a JSON object`);
    const fresh = rowsFromMetrics(metrics as Record<string, unknown>, file, script);
    for (const r of fresh) rows.set(r.anchor, r);
    console.log(`  read   ${script}: ${fresh.length} number(s) from ${file}`);
  }
  await writeFileAtomic(opts.page, formatResults([...rows.values()]));
  console.log(`wrote ${opts.page}. Next: cite a number as [value](results.md#row) and run \`npx jest spec/docs_results.spec.ts\`.`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
