#!/usr/bin/env python3
"""Takara Map's entry point: `python build.py [PROJECT] --out DIR --report FILE` (see --help)."""

import sys

from gis.cli import main

if __name__ == "__main__":
    sys.exit(main())
