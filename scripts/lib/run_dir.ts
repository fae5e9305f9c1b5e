/**
 * A run's output folder and what goes in it: metrics.json (written atomically, so an interrupted run never leaves
 * half a file), and the summary table printed at the end of every script.
 *
 * Layout of a run folder, by convention: runs/<script>/metrics.json plus the script's figures (*.png), and the
 * marker .cs231n-run that says a run of this project made it: a run never writes into a folder of the user's files.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../../runtime/vis/write_atomic';
import { ensureDirSync, isTempName, writeFileAtomicSync } from '../../runtime/atomic';
import { acquireLock } from '../../runtime/lock';
import { printable } from '../../runtime/printable';
import { readBoundedFileSync } from '../../runtime/read_bounded';
import { DataError } from '../../src/data/errors';

export { writeFileAtomic };

/**
 * Creates the folder (and parents) if needed and returns its absolute path. A path that cannot be a writable
 * folder (a file on the way, an unwritable parent, /proc) is refused at once with a message naming the part that
 * fails (see ensureDirSync).
 */
export function prepareOutDir(dir: string): string {
  return ensureDirSync(dir, '--out');
}

/** The lock file of a run folder: one script at a time writes there (see claimOutDir). */
export const RUN_LOCK_NAME = '.run.lock';

/** The marker of a run folder: a folder holding it was made (or taken, while empty) by a run of this project. */
export const RUN_MARKER_NAME = '.cs231n-run';

/**
 * Whether `metrics.json` in dir is one a run of this project wrote before run folders had a marker: a JSON object
 * with the run's `script` and `startedAt` (ScriptContext.runInfo) among its fields.
 */
function holdsEarlierRunMetrics(dir: string): boolean {
  try {
    const text = readBoundedFileSync(path.join(dir, 'metrics.json'), { maxBytes: 64 * 1024 * 1024, error: (m) => new Error(m) }).toString('utf8');
    const m = JSON.parse(text) as Record<string, unknown>;
    return typeof m === 'object' && m !== null && typeof m.script === 'string' && typeof m.startedAt === 'string';
  } catch {
    return false;
  }
}

/**
 * Refuses, before anything is written, an existing --out folder that holds files no run of this project wrote: a
 * run writes metrics.json and figures (loss.png, paths.png, ...) there and would replace the user's own files of
 * those names. A folder is a run's when it holds RUN_MARKER_NAME, or only this project's own names (the lock,
 * temporaries), or is empty, or holds an earlier run's metrics.json. Throws a DataError naming up to 5 entries.
 */
function checkOutDirIsRuns(dir: string, shown: string): void {
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    return; // missing (created fresh), or a path ensureDirSync refuses with its own words
  }
  if (entries.includes(RUN_MARKER_NAME)) return;
  const others = entries.filter((e) => e !== RUN_LOCK_NAME && !isTempName(e));
  if (others.length === 0 || holdsEarlierRunMetrics(dir)) return;
  const names = others.slice(0, 5).map(printable).join(', ');
  throw new DataError(
    `--out ${shown} is a folder that no run of this project made, holding ${others.length} entr${others.length === 1 ? 'y' : 'ies'} (${names}${others.length > 5 ? ', ...' : ''}); ` +
      'a run would replace files of the same names there. Choose a new or empty folder for --out; nothing was written',
  );
}

/**
 * prepareOutDir, then locks the folder for this process until it exits, so that two runs into one --out cannot
 * overwrite each other's checkpoints and results while both report success, and marks it as a run folder. An
 * existing folder holding the user's files is refused first (see checkOutDirIsRuns). script: the script's name,
 * recorded in the lock so that a second run's refusal names the holder ("npm run train, process 4242 on host,
 * since ..."). A lock whose process has died is replaced, and log says so. Returns the folder's absolute path.
 */
export function claimOutDir(dir: string, script: string, log: (line: string) => void): string {
  checkOutDirIsRuns(path.resolve(dir), dir);
  const outDir = prepareOutDir(dir);
  const lock = acquireLock(path.join(outDir, RUN_LOCK_NAME), `a run into --out ${outDir}`, {
    doing: `npm run ${script}`,
    otherwise: 'or pass another --out',
  });
  const stale = lock.replacedStale;
  if (stale) log(`replaced a stale lock of ${stale.doing ?? 'a run'} (process ${stale.pid}, since ${stale.since}), which is no longer running`);
  const marker = path.join(outDir, RUN_MARKER_NAME);
  if (!fs.existsSync(marker)) writeFileAtomicSync(marker, `${JSON.stringify({ format: 'cs231n-tfjs-run-folder', markedBy: `npm run ${script}`, since: new Date().toISOString() })}\n`);
  return outDir;
}

/**
 * JSON.stringify's replacer for metrics: typed arrays become plain arrays (JSON.stringify would write
 * {"0": .., "1": ..}), and NaN / ±Infinity become the strings "NaN" / "Infinity" / "-Infinity" (JSON.stringify
 * would write null, hiding that a loss diverged).
 */
function metricsReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number>);
  return value;
}

/** Serialises obj as pretty JSON (two-space indent, trailing newline) with the replacer above. */
export function toPrettyJson(obj: unknown): string {
  return `${JSON.stringify(obj, metricsReplacer, 2)}\n`;
}

/** Writes obj as pretty JSON to filePath atomically. Returns the absolute path. */
export function writeJsonAtomic(filePath: string, obj: unknown): string {
  return writeFileAtomic(filePath, toPrettyJson(obj));
}

/** Writes obj to <outDir>/metrics.json atomically (see toPrettyJson for NaN and typed arrays). Returns the path. */
export function writeMetrics(outDir: string, obj: Record<string, unknown>): string {
  return writeJsonAtomic(path.join(outDir, 'metrics.json'), obj);
}

/** Numbers for people: integers whole, others to 4 significant digits (0.2743, 2.303, 1e-7, 12350). */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(4)));
}

export type Cell = string | number | boolean | null | undefined;

function cellText(v: Cell): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'number' ? formatValue(v) : String(v);
}

/**
 * Formats a table as text. rows: either an array of records (one table row each; the columns are the union of
 * their keys, in first-seen order), or a single record (printed as a two-column key/value table).
 * Numbers are right-aligned and shown by formatValue; everything else is left-aligned.
 */
export function formatSummary(title: string, rows: Record<string, Cell>[] | Record<string, Cell>): string {
  const records: Record<string, Cell>[] = Array.isArray(rows)
    ? rows
    : Object.entries(rows).map(([name, value]) => ({ name, value }));
  const columns: string[] = [];
  for (const r of records) for (const k of Object.keys(r)) if (!columns.includes(k)) columns.push(k);
  const numeric = columns.map((c) => records.every((r) => r[c] === undefined || r[c] === null || typeof r[c] === 'number'));
  const texts = records.map((r) => columns.map((c) => cellText(r[c])));
  const widths = columns.map((c, j) => Math.max(c.length, ...texts.map((t) => t[j].length)));
  const line = (cells: string[]) =>
    cells
      .map((s, j) => (numeric[j] ? s.padStart(widths[j]) : s.padEnd(widths[j])))
      .join('  ')
      .trimEnd();
  const out = [`== ${title} ==`];
  if (!Array.isArray(rows)) {
    // A key/value table needs no header row.
    for (const t of texts) out.push(line(t));
  } else {
    out.push(line(columns), line(widths.map((w) => '-'.repeat(w))));
    for (const t of texts) out.push(line(t));
  }
  return out.join('\n');
}

/** Prints formatSummary(title, rows) to stdout (results go to stdout; logs and progress go to stderr). */
export function printSummary(title: string, rows: Record<string, Cell>[] | Record<string, Cell>): void {
  process.stdout.write(`${formatSummary(title, rows)}\n`);
}
