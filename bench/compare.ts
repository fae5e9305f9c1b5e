/**
 * npm run bench-compare -- --peers DIR [--rounds N] [--only NAME[,NAME]] [--python PATH] [--no-torch] [--out DIR]
 *
 * The side-by-side run behind docs/performance.md: `npm run bench` against the numpy and PyTorch peers (see
 * bench/README.md), workload by workload, for several rounds. In each round every workload runs on the project,
 * then on numpy, then on torch, back to back (even rounds run the peers first), each in its own process; the
 * table takes each round's ratio and reports the median over rounds (compare_table.ts says why).
 *
 * The peers are Python scripts (`peer_numpy.py`, `peer_torch.py`) that are not part of this repository: --peers DIR
 * (or BENCH_PEERS_DIR) names their folder. They need numpy and PyTorch, run with --python (default
 * /usr/bin/python3). Their command runs with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (PEER_UNSET_ENV).
 *
 * Writes to --out (default runs/bench-compare/): results.jsonl (every line, with its round and side),
 * table.md (the table), and prints the table. Machine time: about 5 minutes a round for all eight workloads.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { RoundResult, Side, compareMarkdown, compareRows, NUMPY_TARGETS } from './compare_table';
import { parsePositiveInt } from '../scripts/lib/cli';
import { claimOutDir } from '../scripts/lib/run_dir';
import { writeFileAtomic } from '../runtime/atomic';
import { PEER_UNSET_ENV, peerEnvironment } from './peers';

const root = path.resolve(__dirname, '..');
const WORKLOADS = Object.keys(NUMPY_TARGETS);
const log = (line: string) => process.stderr.write(`${line}\n`);

interface CompareOptions {
  rounds: number;
  only?: string[];
  peers?: string;
  python: string;
  torch: boolean;
  out: string;
}

function parseOnly(value: string): string[] {
  const names = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const unknown = names.filter((n) => !WORKLOADS.includes(n));
  if (names.length === 0 || unknown.length > 0) throw new InvalidArgumentError(`--only takes names from ${WORKLOADS.join(', ')}; got '${value}'`);
  return names;
}

/** The JSON lines a command printed on stdout (other lines are ignored), or an error line when it failed. */
function runLines(side: Side, name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv): Array<{ name: string; ms: number | null; [k: string]: unknown }> {
  const r = spawnSync(cmd, args, { cwd: root, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  const lines = (r.stdout ?? '')
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .flatMap((l) => {
      try {
        return [JSON.parse(l)];
      } catch {
        return [];
      }
    });
  if (r.status !== 0 || lines.length === 0) {
    const why = r.error ? r.error.message : `exit ${r.status}: ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' / ')}`;
    log(`  ${side} ${name}: failed (${why})`);
    return [{ name, ms: null, error: why }];
  }
  return lines;
}

async function main(): Promise<void> {
  const program = new Command('bench-compare')
    .description('npm run bench side by side with the numpy and PyTorch peers, round by round')
    .option('--rounds <n>', 'rounds (each runs every workload on every side)', parsePositiveInt('--rounds'), 3)
    .option('--only <names>', `a subset of ${WORKLOADS.join(', ')}`, parseOnly)
    .option('--peers <dir>', 'folder with peer_numpy.py and peer_torch.py (default: BENCH_PEERS_DIR)', process.env.BENCH_PEERS_DIR)
    .option('--python <path>', 'the Python with numpy and torch', '/usr/bin/python3')
    .option('--no-torch', 'leave out the PyTorch peer')
    .option('--out <dir>', 'output folder', path.join(root, 'runs', 'bench-compare'))
    .showHelpAfterError();
  program.parse();
  const o = program.opts<CompareOptions>();
  const names = o.only ?? WORKLOADS;
  if (!o.peers) return program.error('bench-compare: where are the peers? pass --peers DIR or set BENCH_PEERS_DIR (see bench/README.md)');
  const peers = o.peers;
  const peerScript = (side: 'numpy' | 'torch') => path.join(peers, `peer_${side}.py`);
  for (const side of o.torch ? (['numpy', 'torch'] as const) : (['numpy'] as const)) {
    if (!fs.existsSync(peerScript(side))) {
      program.error(`bench-compare: ${peerScript(side)} not found; pass --peers DIR, the folder of peer_numpy.py and peer_torch.py (see bench/README.md)`);
    }
  }
  if (!fs.existsSync(o.python)) program.error(`bench-compare: no Python at ${o.python}; pass --python PATH`);

  const peerEnv = peerEnvironment(process.env);
  const unset = PEER_UNSET_ENV.filter((v) => process.env[v] !== undefined);
  const peerNote = unset.length > 0 ? `${unset.join(' and ')} unset for the peers` : 'peers in the environment as given';
  const tsxCli = require.resolve('tsx/cli');
  // One run at a time writes to --out, as every script (scripts/lib/run_dir.ts).
  o.out = claimOutDir(o.out, 'bench-compare', log);
  const resultsPath = path.join(o.out, 'results.jsonl');
  const all: RoundResult[] = [];
  const raw: string[] = [];
  const started = new Date();
  log(`bench-compare: ${o.rounds} round(s) of ${names.join(', ')}; peers in ${peers}; ${peerNote}; load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);

  for (let round = 1; round <= o.rounds; round++) {
    for (const name of names) {
      const sides: Side[] = o.torch ? ['project', 'numpy', 'torch'] : ['project', 'numpy'];
      if (round % 2 === 0) sides.reverse();
      for (const side of sides) {
        const t0 = Date.now();
        const lines =
          side === 'project'
            ? runLines(side, name, process.execPath, [tsxCli, path.join(__dirname, 'bench.ts'), '--only', name], process.env)
            : runLines(side, name, o.python, [peerScript(side), name], peerEnv);
        for (const line of lines) {
          raw.push(JSON.stringify({ round, side, ...line }));
          if (line.name === name) all.push({ round, side, name, ms: typeof line.ms === 'number' ? line.ms : null });
        }
        const ms = lines.find((l) => l.name === name)?.ms;
        log(`round ${round}/${o.rounds} ${name} ${side}: ${typeof ms === 'number' ? `${ms.toFixed(1)} ms` : 'no time'} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
      }
      // Written after every workload, so an interrupted run keeps what it measured.
      await writeFileAtomic(resultsPath, raw.join('\n') + '\n');
    }
  }

  const table = compareMarkdown(compareRows(all));
  const header =
    `Side-by-side run, ${o.rounds} round(s), ${started.toISOString()} to ${new Date().toISOString()}; ` +
    `${os.cpus().length} CPUs, load average at the end ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}; ` +
    `${peerNote}.`;
  await writeFileAtomic(path.join(o.out, 'table.md'), `${header}\n\n${table}\n`);
  process.stdout.write(`${header}\n\n${table}\n`);
  log(`bench-compare: wrote ${resultsPath} and table.md`);
}

main().catch((err: unknown) => {
  log(`bench-compare: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
