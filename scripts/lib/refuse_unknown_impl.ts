/**
 * Imported first by scripts/lib/cli.ts, before any module that `--impl` swaps is loaded: stops the script with one line
 * when `--impl` or CS231N_IMPL names no implementation (see runtime/impl_choice.ts).
 */
import { implChoiceProblem } from '../../runtime/impl_choice';

const problem = implChoiceProblem(process.argv, process.env);
if (problem !== null) {
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}
