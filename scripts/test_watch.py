"""`make test-watch`: pytest-watcher (its `ptw` command, the same arguments), quitting quietly on
Ctrl-C; `ptw` itself restores the terminal and then lets the KeyboardInterrupt through as a
traceback."""

import sys

from pytest_watcher import run

if __name__ == "__main__":
    try:
        sys.exit(run())
    except KeyboardInterrupt:
        sys.exit(0)
