"""`python -m vidpipe.providers.catalog [PATH]`: write docs/models.md from the catalog."""

from __future__ import annotations

import sys
from pathlib import Path

from vidpipe.providers.catalog import markdown

target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/models.md")
target.write_text(markdown(), encoding="utf-8")
print(f"wrote {target}")
