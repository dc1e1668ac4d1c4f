"""Text preparation: agent output to speakable sentences, and sentences to synthesis chunks.

Pure functions, no model needed: `prepare_text` strips markdown and makes technical tokens
speakable; `split_chunks` lazily cuts the result into a short first chunk and larger ones.
"""

from kokoro_mcp.text.chunking import split_chunks
from kokoro_mcp.text.markdown import CodeBlockMode
from kokoro_mcp.text.prepare import prepare_text

__all__ = ["CodeBlockMode", "prepare_text", "split_chunks"]
