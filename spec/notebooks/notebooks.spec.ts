/**
 * The notebooks without Jupyter: the ten files are the course's, committed without outputs, each set up under its
 * own name (spec/docs_sync.spec.ts checks what they name); `npm run notebooks -- install` writes one
 * kernelspec, idempotently, that starts this checkout's kernel; the kernel prints a notebook's deliberate stops as
 * one line.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KERNEL_NAME, NOTEBOOKS, NOTEBOOKS_DIR, installKernel, kernelProblem, kernelSpec, selectNotebooks } from '../../scripts/notebooks';
import { NotebookStop, isOneLineError } from '../../notebooks/lib/one_line';

interface Notebook {
  metadata: { kernelspec?: { name?: string } };
  cells: { cell_type: string; source: string | string[]; outputs?: unknown[]; execution_count?: number | null }[];
}

function read(name: string): Notebook {
  return JSON.parse(fs.readFileSync(path.join(NOTEBOOKS_DIR, `${name}.ipynb`), 'utf8')) as Notebook;
}

const src = (c: { source: string | string[] }): string => (Array.isArray(c.source) ? c.source.join('') : c.source);

describe('the notebooks', () => {
  it('are the ten course notebooks, and nothing else', () => {
    const files = fs.readdirSync(NOTEBOOKS_DIR).filter((f) => f.endsWith('.ipynb')).map((f) => f.replace(/\.ipynb$/, ''));
    expect(files.sort()).toEqual([...NOTEBOOKS].sort());
  });

  it.each([...NOTEBOOKS])('%s is committed without outputs, on the project kernel, set up under its own name', (name) => {
    const nb = read(name);
    expect(nb.metadata.kernelspec?.name).toBe(KERNEL_NAME);
    const code = nb.cells.filter((c) => c.cell_type === 'code');
    for (const c of code) {
      expect(c.outputs).toEqual([]);
      expect(c.execution_count ?? null).toBeNull();
    }
    expect(src(code[0])).toContain("require('./notebooks/lib/nb.ts')");
    expect(src(code[0])).toContain(`nb.setup('${name}')`);
    // The checker's cell comes straight after the setup, before anything that loads data.
    expect(src(code[1])).toMatch(/^await nb\.check\(/);
  });
});

describe('npm run notebooks -- install', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs231n-jupyter-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes one kernelspec into the Jupyter data folder, the same file on a second run, and says where', () => {
    const env = { JUPYTER_DATA_DIR: dir };
    expect(kernelProblem(env)).toMatch(/^no Jupyter kernel 'cs231n-tfjs' at .*: run `npm run notebooks -- install` first$/);
    const lines: string[] = [];
    const spy = jest.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
    try {
      const written = installKernel(env);
      const first = fs.readFileSync(path.join(written, 'kernel.json'), 'utf8');
      installKernel(env);
      expect(fs.readFileSync(path.join(written, 'kernel.json'), 'utf8')).toBe(first);
      expect(written).toBe(path.join(dir, 'kernels', KERNEL_NAME));
    } finally {
      spy.mockRestore();
    }
    expect(lines[0]).toBe(`wrote the Jupyter kernel 'cs231n-tfjs': ${path.join(dir, 'kernels', KERNEL_NAME, 'kernel.json')}`);
    expect(lines[2]).toMatch(/^kept \(unchanged\) the Jupyter kernel/);
    expect(fs.readdirSync(dir)).toEqual(['kernels']);
    expect(kernelProblem(env)).toBeUndefined();
    const spec = kernelSpec() as { argv: string[] };
    expect(spec.argv).toContain(path.join(NOTEBOOKS_DIR, 'kernel.ts'));
    expect(spec.argv).toContain('{connection_file}');
  });

  it("refuses a kernelspec that starts another checkout's kernel", () => {
    const file = path.join(dir, 'kernels', KERNEL_NAME, 'kernel.json');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify({ argv: ['node', '/elsewhere/notebooks/kernel.ts', '{connection_file}'] }));
    expect(kernelProblem({ JUPYTER_DATA_DIR: dir })).toMatch(/starts another checkout's kernel/);
    fs.writeFileSync(file, '{ not json');
    expect(kernelProblem({ JUPYTER_DATA_DIR: dir })).toMatch(/is not valid JSON/);
  });
});

describe('the runner and the kernel', () => {
  it('--only takes names of the ten, with or without .ipynb, and refuses others by name', () => {
    expect(selectNotebooks('knn, svm.ipynb')).toEqual(['knn', 'svm']);
    expect(selectNotebooks(undefined)).toEqual([...NOTEBOOKS]);
    expect(() => selectNotebooks('knn,nope')).toThrow("--only: no notebook 'nope'");
  });

  it("prints a notebook's deliberate stops as one line: a NotebookStop, a DataError, a stub's error", () => {
    expect(isOneLineError(new NotebookStop('run the setup cell first'))).toBe(true);
    const data = new Error('no CIFAR-10 at data/: npm run get-data');
    data.name = 'DataError';
    expect(isOneLineError(data)).toBe(true);
    expect(isOneLineError(new Error('not implemented yet: svmLossNaive (classifiers/linear_svm.ts): exercise svm_loss_naive'))).toBe(true);
    expect(isOneLineError(new TypeError("Cannot read properties of undefined (reading 'shape')"))).toBe(false);
    expect(isOneLineError('a string')).toBe(false);
  });
});
