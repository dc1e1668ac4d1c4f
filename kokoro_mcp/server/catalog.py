"""What the MCP server offers, described once for both of its fronts (the SDK server and the thin
proxy's own): tools with titles, annotations and schemas, the voices resource, the server's
identity and instructions, in the wire shape `tools/list` and `initialize` answer with.

No MCP SDK import here: the proxy that serves this must stay small.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from pydantic import BaseModel

from kokoro_mcp import __version__
from kokoro_mcp.arguments import input_schema
from kokoro_mcp.config import Settings
from kokoro_mcp.results import ControlResult, SaveResult, SpeakResult, StatusResult, VoiceList
from kokoro_mcp.server import texts

SERVER_NAME = "kokoro-mcp"
SERVER_TITLE = "Kokoro speech"
SERVER_DESCRIPTION = "Local text-to-speech (Kokoro-82M) on the user's speakers."
VOICES_URI = "kokoro://voices"
VOICES_MIME = "application/json"
WAV_MIME = "audio/wav"
MAX_CLIENT_NAME = 64


class ToolSpec(NamedTuple):
    name: str
    title: str
    description: Callable[[Settings], str]
    result: type[BaseModel]
    read_only: bool = False
    idempotent: bool = False
    destructive: bool = False


TOOLS = (
    ToolSpec(
        "speak", "Speak aloud", lambda settings: texts.speak_description(settings.mode), SpeakResult
    ),
    # Destructive only in that overwrite=true replaces a file; by default it never does.
    ToolSpec(
        "save_speech",
        "Save speech to a file",
        lambda _: texts.SAVE_SPEECH,
        SaveResult,
        destructive=True,
    ),
    ToolSpec("pause", "Pause speech", lambda _: texts.PAUSE, ControlResult, idempotent=True),
    ToolSpec("resume", "Resume speech", lambda _: texts.RESUME, ControlResult, idempotent=True),
    ToolSpec("stop", "Stop speech", lambda _: texts.STOP, ControlResult, idempotent=True),
    ToolSpec(
        "status", "Speech status", lambda _: texts.STATUS, StatusResult, True, idempotent=True
    ),
    ToolSpec(
        "list_voices", "List voices", lambda _: texts.LIST_VOICES, VoiceList, True, idempotent=True
    ),
)


def tool_annotations(spec: ToolSpec) -> dict[str, Any]:
    # Nothing here reaches beyond this machine.
    return {
        "destructiveHint": spec.destructive,
        "idempotentHint": spec.idempotent,
        "openWorldHint": False,
        "readOnlyHint": spec.read_only,
        "title": spec.title,
    }


def tool_listing(settings: Settings) -> list[dict[str, Any]]:
    """The `tools` of a `tools/list` result."""
    return [
        {
            "annotations": tool_annotations(spec),
            "description": spec.description(settings),
            "inputSchema": input_schema(spec.name),
            "name": spec.name,
            "outputSchema": spec.result.model_json_schema(),
            "title": spec.title,
        }
        for spec in TOOLS
    ]


def resource_listing() -> list[dict[str, Any]]:
    """The `resources` of a `resources/list` result."""
    return [
        {
            "description": texts.VOICES_RESOURCE,
            "mimeType": VOICES_MIME,
            "name": "voices",
            "title": "Voices",
            "uri": VOICES_URI,
        }
    ]


def server_info() -> dict[str, Any]:
    return {
        "description": SERVER_DESCRIPTION,
        "name": SERVER_NAME,
        "title": SERVER_TITLE,
        "version": __version__,
    }


def client_name(params: Any) -> str | None:
    """The MCP client's name from `initialize` (e.g. claude-ai), shown in the shared status."""
    info = params.get("clientInfo") if isinstance(params, dict) else None
    name = info.get("name") if isinstance(info, dict) else None
    if not isinstance(name, str) or not name.strip():
        return None
    return "".join(ch for ch in name.strip() if ch.isprintable())[:MAX_CLIENT_NAME]


def call_params_problem(params: Any) -> str | None:
    """Why `tools/call` params cannot even name a call (JSON-RPC -32602), else None."""
    arguments = params.get("arguments") if isinstance(params, dict) else None
    if (
        not isinstance(params, dict)
        or not isinstance(params.get("name"), str)
        or not (arguments is None or isinstance(arguments, dict))
    ):
        return (
            'Invalid request parameters: tools/call needs "name" (a string) and "arguments"'
            " (an object of argument names to values)."
        )
    return None


def tool_result(result: BaseModel) -> dict[str, Any]:
    """A `tools/call` result for a structured tool result (text content mirrors it; a saved
    file follows as a resource link the client can open)."""
    content: list[dict[str, Any]] = [{"text": result.model_dump_json(indent=2), "type": "text"}]
    if isinstance(result, SaveResult):
        content.append(file_link(result))
    return {
        "content": content,
        "isError": False,
        "structuredContent": result.model_dump(mode="json"),
    }


def has_links(result: BaseModel) -> bool:
    """True when `tool_result` adds content beyond the text mirror of the result."""
    return isinstance(result, SaveResult)


def file_link(saved: SaveResult) -> dict[str, Any]:
    """The MCP `resource_link` content item for a file save_speech wrote."""
    return {
        "type": "resource_link",
        "uri": saved.uri,
        "name": saved.file_name,
        "title": saved.file_name,
        "description": f"{saved.duration:.1f} s of speech ({saved.voice}), WAV",
        "mimeType": WAV_MIME,
        "size": saved.bytes,
    }


def tool_error(message: str) -> dict[str, Any]:
    """A `tools/call` result for a failed call: the model reads `message` and acts on it."""
    return {"content": [{"text": message, "type": "text"}], "isError": True}
