"""The ``ghirbal`` console script: the Rust CLI, run in this process."""

from __future__ import annotations

import signal
import sys

from ghirbal._core import _cli_main


def main() -> None:
    """Run ``ghirbal`` with ``sys.argv`` and exit with its status."""
    # Behave like the native binary: Ctrl-C stops at once (the Rust code does
    # not return to the interpreter until it is done).
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    sys.stdout.flush()
    sys.exit(_cli_main(["ghirbal", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
