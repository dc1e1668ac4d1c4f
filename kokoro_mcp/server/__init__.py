"""The MCP server: speak, pause, resume, stop, status and voices over stdio."""

from kokoro_mcp.server.main import run_server

__all__ = ["run_server"]
