"""The command-line client of the speech daemon (`kk`, and the same verbs on `kokoro-mcp`).

Standard library only on its paths, so each command costs little more than starting Python.
"""
