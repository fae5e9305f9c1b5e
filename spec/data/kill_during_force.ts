/**
 * Run by spec/data/get_data_safety.spec.ts in a child process (tsx): `get-data --force` from the archive in argv[2]
 * into argv[3], killed with SIGKILL right after the old folder was set aside, before the new one is renamed in:
 * the crash window a replacement of a folder cannot avoid. argv[4]: records per batch.
 */
import { getCifar10 } from '../../runtime/data/get_data';

void getCifar10({
  from: process.argv[2],
  out: process.argv[3],
  force: true,
  recordsPerBatch: Number(process.argv[4]),
  onStep: (step) => {
    if (step === 'old-set-aside') process.kill(process.pid, 'SIGKILL');
  },
});
