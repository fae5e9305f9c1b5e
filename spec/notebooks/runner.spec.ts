/**
 * `npm run notebooks` with Jupyter's executor and the project's kernel, on planted notebooks: a cell that throws
 * stops its notebook, and the run names the notebook, the cell (its number and first line) and the error; a cell
 * that stops on purpose (a NotebookStop, as a missing data folder or a stub does) shows its one line and no stack
 * trace. Needs Python's nbclient (Debian: python3-nbclient); without it the spec is skipped, saying so. The kernel
 * is registered in a throwaway Jupyter folder.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KERNEL_NAME, findPython, installKernel, runNotebooks } from '../../scripts/notebooks';

const python = findPython();
if (!python) console.warn("runner.spec.ts skipped: no Python with nbclient and nbformat (Debian: apt-get install python3-nbclient python3-nbformat)");
const describeWithJupyter = python ? describe : describe.skip;

function notebook(cells: { type: 'code' | 'markdown'; source: string }[]): string {
  return JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: KERNEL_NAME, display_name: 'TypeScript (cs231n-tfjs)', language: 'typescript' } },
    cells: cells.map((c, i) =>
      c.type === 'code'
        ? { id: `cell-${i}`, cell_type: 'code', metadata: {}, execution_count: null, outputs: [], source: c.source }
        : { id: `cell-${i}`, cell_type: 'markdown', metadata: {}, source: c.source },
    ),
  });
}

interface Output {
  output_type: string;
  name?: string;
  text?: string | string[];
}

function outputsOf(file: string): Output[][] {
  const nb = JSON.parse(fs.readFileSync(file, 'utf8')) as { cells: { outputs?: Output[] }[] };
  return nb.cells.map((c) => c.outputs ?? []);
}

const text = (o: Output): string => (Array.isArray(o.text) ? o.text.join('') : (o.text ?? ''));

describeWithJupyter('npm run notebooks on planted notebooks', () => {
  let dir: string;
  const saved = process.env.JUPYTER_DATA_DIR;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs231n-runner-'));
    process.env.JUPYTER_DATA_DIR = path.join(dir, 'jupyter');
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    installKernel();
    fs.writeFileSync(
      path.join(dir, 'planted.ipynb'),
      notebook([
        { type: 'code', source: "console.log('first cell ran');" },
        { type: 'markdown', source: 'A failure below.' },
        { type: 'code', source: "const planted: number = 1;\nthrow new Error('planted failure ' + planted);" },
        { type: 'code', source: "console.log('after the failure');" },
      ]),
    );
    fs.writeFileSync(
      path.join(dir, 'stops.ipynb'),
      notebook([{ type: 'code', source: "const { NotebookStop } = require('./notebooks/lib/one_line.ts');\nthrow new NotebookStop('no CIFAR-10 at data/: npm run get-data');" }]),
    );
  });
  afterAll(() => {
    jest.restoreAllMocks();
    if (saved === undefined) delete process.env.JUPYTER_DATA_DIR;
    else process.env.JUPYTER_DATA_DIR = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('names the notebook and the cell that failed, stops that notebook there, and says a deliberate stop in one line', () => {
    const out = path.join(dir, 'executed');
    const { results, failures } = runNotebooks(python!, [path.join(dir, 'planted.ipynb'), path.join(dir, 'stops.ipynb')], out, { quick: true, timeoutS: 120, kernel: KERNEL_NAME });
    expect(results.map((r) => r.ok)).toEqual([false, false]);
    expect(failures).toEqual([
      'planted.ipynb: cell 3 (const planted: number = 1;): Error: planted failure 1',
      "stops.ipynb: cell 1 (const { NotebookStop } = require('./notebooks/lib/one_line.ts');): no CIFAR-10 at data/: npm run get-data",
    ]);
    const planted = outputsOf(path.join(out, 'planted.ipynb'));
    expect(text(planted[0][0])).toBe('first cell ran\n');
    expect(planted[3]).toEqual([]);
    const stderr = outputsOf(path.join(out, 'stops.ipynb'))[0].filter((o) => o.name === 'stderr').map(text).join('');
    expect(stderr).toBe('no CIFAR-10 at data/: npm run get-data\n');
  }, 300_000);
});
