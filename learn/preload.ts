/** Loaded with `node --import` (after tsx) before a script when `--impl exercises` must be in place before any import. */
import { useWorkspace, workspaceDir } from './impl';

useWorkspace(workspaceDir());
