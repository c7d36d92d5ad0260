"""The `scrtui` command line."""

from __future__ import annotations

import sys

from scrtui.cli import main

if __name__ == "__main__":
    sys.exit(main())
