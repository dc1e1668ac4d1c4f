"""Talking to the per-user speech daemon: its files, its wire protocol, a client, a launcher.

Standard library only: `kk status` must cost about as much as starting Python, and the MCP
proxy must not pull numpy, onnxruntime or spaCy in through here.
"""
