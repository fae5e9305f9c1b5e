/** Imported first by scripts/lib/cli.ts: `--impl exercises` (or CS231N_IMPL=exercises) runs a script on the workspace. */
import { applyImplChoice } from './impl';

applyImplChoice();
