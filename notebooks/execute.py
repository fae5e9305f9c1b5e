"""Executes one notebook top to bottom with Jupyter's own executor (nbclient), for `npm run notebooks`.

Usage: python3 notebooks/execute.py NOTEBOOK OUTPUT KERNEL_NAME CELL_TIMEOUT_S

Writes the executed copy to OUTPUT, also when a cell fails (the copy then ends at that cell). On a failure, prints
one line to stderr, `cell N (first line of its code): what went wrong`, N counting every cell from 1 as Jupyter
shows them, and exits with status 1. A kernel that cannot start exits with status 2.
"""
import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError


def main():
    source, output, kernel_name, timeout = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    nb = nbformat.read(source, as_version=4)
    current = {"index": None}

    def on_cell_start(cell, cell_index):
        current["index"] = cell_index

    client = NotebookClient(nb, kernel_name=kernel_name, timeout=timeout, startup_timeout=120,
                            allow_errors=False, on_cell_start=on_cell_start)
    status = 0
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as err:
        index = current["index"]
        cell = nb.cells[index] if index is not None else None
        first = next((l for l in (cell.source.splitlines() if cell else []) if l.strip()), "")
        # The last line the cell printed to stderr that is not a stack frame (the kernel prints errors there), else
        # nbclient's own last line.
        printed = [o.get("text", "") for o in (cell.outputs if cell else []) if o.get("name") == "stderr"]
        lines = [l for l in "".join(printed).splitlines() if l.strip() and not l.lstrip().startswith("at ")]
        lines = lines or str(err).strip().splitlines()
        what = lines[-1].strip() if lines else type(err).__name__
        where = f"cell {index + 1} ({first.strip()[:80]})" if index is not None else "before the first cell"
        print(f"{where}: {what}", file=sys.stderr)
        status = 1
    except RuntimeError as err:
        print(f"the kernel '{kernel_name}' did not start: {err}", file=sys.stderr)
        status = 2
    nbformat.write(nb, output)
    sys.exit(status)


if __name__ == "__main__":
    main()
