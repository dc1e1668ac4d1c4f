"""`python -m kokoro_mcp` is the same as the `kokoro-mcp` command."""

import sys

if sys.argv[1:] == ["hook", "claude-code"]:
    # What the installed hook runs while the agent waits: skip the command line's imports.
    from kokoro_mcp.hooks.run import run_claude_code

    sys.exit(run_claude_code(sys.stdin.buffer))

from kokoro_mcp.cli import main

sys.exit(main())
