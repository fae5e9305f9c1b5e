/**
 * `npx tsx spec/exercises/plant_table.ts <issue|own|third|planted> [out.md]`: plants each mistake of planted_more.ts
 * (or planted_third.ts's, or planted.ts's) in a
 * workspace of the solutions, runs `npm run check` on it as a learner would, and prints a table: caught or not,
 * whether the message is the one expected (the hint points at the mistake), and the line the checker printed.
 * Each plant gets its own workspace, so that none hides behind another.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { plantedWorkspace } from './planting';
import { ISSUE_PLANTS, OWN_PLANTS } from './planted_more';
import { PLANTS, Plant } from './planted';
import { THIRD_PLANTS } from './planted_third';

const ROOT = path.resolve(__dirname, '../..');

/**
 * One workspace per plant: a check loads every workspace file its exercise imports (the fully connected net
 * imports the learner's relu), so two plants in one workspace could change each other's message.
 */
export function rounds(plants: readonly Plant[]): Plant[][] {
  return plants.map((p) => [p]);
}

/** `npm run check` on dir for these ids: each exercise's printed line. */
export function checkLines(dir: string, ids: string[]): Map<string, string> {
  const r = spawnSync(path.join(ROOT, 'node_modules/.bin/tsx'), ['learn/check.ts', '--dir', dir, ...ids], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, TFJS_WASM_THREADS: '1' },
    timeout: 600_000,
  });
  const lines = new Map<string, string>();
  for (const line of `${r.stdout}${r.stderr}`.split('\n')) {
    const m = /^ {2}(pass|todo|FAILS) +(\w+) ?(.*)$/.exec(line);
    if (m) lines.set(m[2], `${m[1]} ${m[3].trim()}`.trim());
  }
  return lines;
}

function main(): void {
  const which = process.argv[2];
  const plants = which === 'issue' ? ISSUE_PLANTS : which === 'own' ? OWN_PLANTS : which === 'third' ? THIRD_PLANTS : which === 'planted' ? PLANTS : undefined;
  if (!plants) throw new Error(`usage: plant_table.ts <issue|own|third|planted> [out.md], got '${which}'`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cs231n-plant-table-'));
  const rows: Array<[number, string]> = [];
  let caught = 0;
  let right = 0;
  try {
    rounds(plants).forEach((round, r) => {
      const dir = path.join(tmp, `round-${r}`);
      plantedWorkspace(dir, round);
      const lines = checkLines(dir, round.map((p) => p[0]));
      for (const p of round) {
        const line = lines.get(p[0]) ?? '(no line)';
        const isCaught = line.startsWith('FAILS');
        const isRight = p[4].test(line);
        caught += isCaught ? 1 : 0;
        right += isRight ? 1 : 0;
        const n = plants.indexOf(p) + 1;
        const mistake = p[3].replace(/\s+/g, ' ').slice(0, 70).replace(/\|/g, '\\|');
        rows.push([n, `| ${n} | ${p[0]} | \`${mistake}\` | ${isCaught ? 'yes' : '**no**'} | ${isRight ? 'yes' : '**no**'} | ${line.slice(0, 220).replace(/\|/g, '\\|')} |`]);
        process.stderr.write(`${n} ${p[0]}: ${isCaught ? 'caught' : 'MISSED'}, ${isRight ? 'as expected' : 'NOT as expected'}: ${line}\n`);
      }
    });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  rows.sort((a, b) => a[0] - b[0]);
  const head = ['| # | exercise | mistake | caught | hint as expected | the checker said |', '|---|---|---|---|---|---|'];
  const text = `${[...head, ...rows.map((r) => r[1])].join('\n')}\n\n${caught} of ${plants.length} caught; ${right} of ${plants.length} with the expected message.\n`;
  if (process.argv[3]) fs.writeFileSync(process.argv[3], text);
  process.stdout.write(text);
}

if (require.main === module) main();
