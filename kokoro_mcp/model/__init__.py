"""Where the model lives, what a usable model folder holds, and how to assemble one."""

from kokoro_mcp.model.layout import ModelFiles, locate_model
from kokoro_mcp.model.paths import default_model_dir, resolve_model_dir

__all__ = ["ModelFiles", "default_model_dir", "locate_model", "resolve_model_dir"]
