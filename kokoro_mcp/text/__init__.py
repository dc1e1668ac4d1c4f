"""Text preparation: agent output to speakable sentences, and sentences to synthesis chunks.

Pure functions, no model needed:
- `prepare_text(text, *, code_blocks="placeholder"|"skip", language="en")` strips markdown
  and makes URLs, paths, identifiers, numbers and symbols speakable (English words; other
  languages only lose markup and long tokens).
- `split_chunks(text, *, first_chunk_words=6, max_chars=150, growth=1.6)` lazily cuts the
  result into a short first chunk and then growing, sentence-aligned ones.
- `speakable_chunks(text, ...)` does both lazily, block by block: what the engine reads.
"""

from kokoro_mcp.text.chunking import split_chunks
from kokoro_mcp.text.code import CodeBlockMode
from kokoro_mcp.text.prepare import prepare_text, speakable_chunks

__all__ = ["CodeBlockMode", "prepare_text", "speakable_chunks", "split_chunks"]
