"""kokoro-mcp: local Kokoro-82M text-to-speech for AI agents, served over MCP stdio."""

__version__ = "0.1.0"
