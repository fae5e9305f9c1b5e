/**
 * The runner of the gradient catalogue behind `npm run gradcheck`: every layer case, then every model case, each on
 * its own seeded generator. harness.ts says how a case is checked and what a row holds.
 */
import { Rng } from '../../src/random';
import { CatalogueCase, GradRow, errorRow } from './harness';
import { LATER_LAYER_CASES, LAYER_CASES } from './layer_cases';
import { MODEL_CASES } from './model_cases';

/** Every check, layers first, then models. */
export const CATALOGUE: readonly CatalogueCase[] = [...LAYER_CASES, ...MODEL_CASES, ...LATER_LAYER_CASES];

export interface RunOptions {
  /** Seed of the whole run: each case draws from its own generator, forked from Rng(seed) in catalogue order. */
  seed: number;
  /** Keep only the cases for which this returns true (the others still fork their generators, so seeds agree). */
  filter?: (layer: string) => boolean;
  /** Called with each case's rows as soon as they are ready, and the seconds the case took. */
  onCase?: (rows: GradRow[], seconds: number) => void;
}

/** Runs the catalogue (or the filtered part of it) and returns every row. */
export function runCatalogue(options: RunOptions): GradRow[] {
  const master = new Rng(options.seed);
  const all: GradRow[] = [];
  for (const c of CATALOGUE) {
    const rng = master.fork();
    if (options.filter && !options.filter(c.layer)) continue;
    const start = performance.now();
    let rows: GradRow[];
    try {
      rows = c.run(rng);
    } catch (err) {
      rows = [errorRow(c.layer, err)];
    }
    options.onCase?.(rows, (performance.now() - start) / 1000);
    all.push(...rows);
  }
  return all;
}
