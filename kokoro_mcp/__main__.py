"""`python -m kokoro_mcp` is the same as the `kokoro-mcp` command."""

import sys

from kokoro_mcp.cli import main

sys.exit(main())
