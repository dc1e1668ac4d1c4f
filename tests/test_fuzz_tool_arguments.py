"""Property-based fuzzing of every MCP tool's arguments through the real server.

A real `kokoro-mcp` process (tone engine, its own daemon) driven by the SDK client over stdio.
The tools and their argument schemas come from `tools/list`, so a tool or argument added later
is fuzzed too. For each tool, hypothesis draws arguments from the schema (valid values) mixed
with JSON values of every type, huge strings, nested objects, missing required arguments and
unknown extra ones. Asserted on every call: it returns within the budget (a `speak` with
`wait=true` still playing is ended by `stop`, which must return it promptly), a success carries
structured content, and `status` answers afterwards. Collected over the whole run and asserted
in the last test, so one failure lists them all: every error is a good error
(tests/error_wording.py) and nothing that breaks the schema is accepted (strict types: no
bool as a number, no string as a bool, no unknown argument). Derandomized; the counts are
printed at the end (`pytest -s`).
"""

from __future__ import annotations

import collections
import math
import tempfile
from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import example, given
from hypothesis import strategies as st
from mcp import ClientSession
from mcp_types import CallToolResult

from kokoro_mcp.model.paths import default_model_dir
from tests.error_wording import wording_problems
from tests.fuzzing import derandomized
from tests.mcp_helpers import TONE, connect, error_text

pytestmark = [pytest.mark.slow, pytest.mark.mcp, pytest.mark.usefixtures("pulse_server")]

STOP_AFTER = 1.5  # a call still running then is a speak playing: stop it
CALL_BUDGET = 10.0  # from the call to its result, stop included; longer is a hang
FUZZ = derandomized(300)

counts: collections.Counter[str] = collections.Counter()
findings: dict[str, tuple[int, str]] = {}  # kind -> (times seen, one example)

# -- values ---------------------------------------------------------------------------------

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=30)
    | st.sampled_from(["true", "false", "1.0", "null", "", " ", "af_heart", "queue"]),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)
# What lax validation turns into something else: bools as numbers, strings as bools, ...
CONFUSABLE = st.sampled_from([True, False, 0, 1, 1.0, 1.5, "1", "1.0", "true", "yes", "", None, [],
                             {}, ["queue"], {"text": "hi"}])  # fmt: skip
HUGE = st.builds(
    lambda unit, count: unit * count, st.text(min_size=1, max_size=3), st.integers(2_000, 40_000)
)
# Deeper than ~200 levels the SDK client itself refuses to send the request.
NESTED = st.integers(20, 150).map(lambda depth: _nest(depth))


def _nest(depth: int) -> Any:
    value: Any = "deep"
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


def valid(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values the JSON schema allows (approximately: enough to reach the tool's own checks)."""
    if "anyOf" in schema:
        return st.one_of([valid(option) for option in schema["anyOf"]])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "string":
        return st.text(max_size=40) | st.sampled_from(["af_heart", "bm_george", "Hello there."])
    if kind == "number":
        return st.floats(
            schema.get("minimum"), schema.get("maximum"), allow_nan=False, allow_infinity=False
        )
    if kind == "integer":
        return st.integers(schema.get("minimum"), schema.get("maximum"))
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "array":
        return st.lists(valid(schema.get("items", {})), max_size=3)
    return JSON


def arguments(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """A tool's arguments: each known one valid, any JSON, huge or nested; some required ones
    left out; sometimes unknown extras."""
    properties: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", []))

    def value(name: str) -> st.SearchStrategy[Any]:
        good = valid(properties[name])
        return st.one_of(good, good, good, JSON, HUGE, NESTED)

    mixed = st.fixed_dictionaries(
        {name: value(name) for name in sorted(required)},
        optional={name: value(name) for name in sorted(properties) if name not in required},
    )
    known = mixed
    if properties:  # all valid but one, which gets a value of a neighbouring type
        one_off = st.tuples(
            st.fixed_dictionaries({name: valid(properties[name]) for name in sorted(required)}),
            st.sampled_from(sorted(properties)),
            CONFUSABLE,
        ).map(lambda drawn: {**drawn[0], drawn[1]: drawn[2]})
        known = mixed | one_off
    extras = st.dictionaries(st.text(max_size=20) | st.just("k" * 5_000), JSON, max_size=2)
    return st.tuples(
        known, extras, st.integers(0, 9), st.sets(st.sampled_from(sorted(required) or [""]))
    ).map(
        lambda drawn: {
            **{k: v for k, v in drawn[0].items() if drawn[2] != 1 or k not in drawn[3]},
            **(drawn[1] if drawn[2] == 0 else {}),
        }
    )


def schema_breach(schema: dict[str, Any], arguments: dict[str, Any]) -> tuple[str, str] | None:
    """How `arguments` break the tool's input schema, as (kind, detail); None if they don't."""
    properties: dict[str, Any] = schema.get("properties", {})
    for name in schema.get("required", []):
        if name not in arguments:
            return f"no {name}", f"without its required {name!r}"
    for name, value in arguments.items():
        if name not in properties:
            return "an unknown argument", f"the unknown argument {name[:40]!r}"
        if not _fits(properties[name], value):
            kind = f"{name} as {type(value).__name__}"
            return kind, f"{name}={_show(value)} (schema: {_kind(properties[name])})"
    return None


def _fits(schema: dict[str, Any], value: Any) -> bool:
    if "anyOf" in schema:
        return any(_fits(option, value) for option in schema["anyOf"])
    if "enum" in schema and value not in schema["enum"]:
        return False
    kind = schema.get("type")
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    checks = {
        "string": isinstance(value, str),
        "number": number and math.isfinite(value),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
        "null": value is None,
        "array": isinstance(value, list),
        "object": isinstance(value, dict),
    }
    if kind is not None and not checks.get(kind, True):
        return False
    if number and "minimum" in schema and value < schema["minimum"]:
        return False
    return not (number and "maximum" in schema and value > schema["maximum"])


def _kind(schema: dict[str, Any]) -> str:
    if "anyOf" in schema:
        return " or ".join(_kind(option) for option in schema["anyOf"])
    return str(schema.get("enum") or schema.get("type") or "any")


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


def find(kind: str, example: str) -> None:
    seen, first = findings.get(kind, (0, example))
    findings[kind] = (seen + 1, first)


# -- the server -----------------------------------------------------------------------------


class Server:
    def __init__(self, portal: BlockingPortal, session: ClientSession, schemas: dict[str, Any]):
        self.portal = portal
        self.session = session
        self.schemas = schemas

    def __repr__(self) -> str:  # hypothesis prints its arguments in a failing case
        return f"Server(tools={sorted(self.schemas)})"

    def call(self, name: str, arguments: dict[str, Any]) -> CallToolResult:
        counts["calls"] += 1
        try:
            return self.portal.call(self._bounded, name, arguments)
        except TimeoutError:
            counts["hangs"] += 1
            raise AssertionError(f"{name} did not return within {CALL_BUDGET} s") from None

    async def _bounded(self, name: str, arguments: dict[str, Any]) -> CallToolResult:
        results: list[CallToolResult] = []

        async def run() -> None:
            results.append(await self.session.call_tool(name, arguments))

        with anyio.fail_after(CALL_BUDGET):
            async with anyio.create_task_group() as group:
                group.start_soon(run)
                with anyio.move_on_after(STOP_AFTER):
                    while not results:
                        await anyio.sleep(0.01)
                if not results:  # speak(wait=true) playing: stop must end it
                    counts["stopped_waits"] += 1
                    assert not (await self.session.call_tool("stop", {})).is_error
        return results[0]


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    # Any tool that writes files gets a scratch data/music folder; the model stays where it is.
    with tempfile.TemporaryDirectory() as scratch, start_blocking_portal() as portal:
        env = {**TONE, "KOKORO_MCP_MODEL_DIR": str(default_model_dir()), "XDG_DATA_HOME": scratch,
               "XDG_MUSIC_DIR": scratch}  # fmt: skip
        with portal.wrap_async_context_manager(connect(env, read_timeout=CALL_BUDGET)) as session:
            listed = portal.call(session.list_tools)
            yield Server(portal, session, {tool.name: tool.input_schema for tool in listed.tools})
    print(
        f"\ntool argument fuzz: {counts['calls']} calls ("
        + ", ".join(
            f"{key[5:]} {seen}" for key, seen in sorted(counts.items()) if key[:5] == "tool:"
        )
        + f"), {counts['accepted']} accepted, {counts['refused']} refused,"
        f" {counts['stopped_waits']} waiting speaks stopped, {counts['crashes']} crashes,"
        f" {counts['hangs']} hangs,"
        f" {sum(seen for seen, _ in findings.values())} bad errors or lax acceptances"
        f" ({len(findings)} kinds)"
    )


def judge_error(name: str, text: str) -> None:
    problems = wording_problems(text)
    if problems:
        kind = ", ".join(problem.split(" (")[0] for problem in problems)
        find(f"{name}: error {kind}", f"{'; '.join(problems)}: {text[:200]!r}")


def check(server: Server, name: str, arguments: dict[str, Any]) -> None:
    counts["tool:" + name] += 1
    result = server.call(name, arguments)
    if result.is_error:
        counts["refused"] += 1
        text = error_text(result)
        judge_error(name, text)
    else:
        counts["accepted"] += 1
        if result.structured_content is None:
            counts["crashes"] += 1
            raise AssertionError(f"{name} succeeded without structured content: {result}")
        breach = schema_breach(server.schemas[name], arguments)
        if breach is not None:
            find(f"{name}: accepted {breach[0]}", f"{name} accepted {breach[1]}")
    status = server.call("status", {})
    if status.is_error or status.structured_content is None:
        counts["crashes"] += 1
        raise AssertionError(f"status failed after {name}: {error_text(status)}")


# -- the tests ------------------------------------------------------------------------------


def test_the_tools_are_listed(server: Server) -> None:
    assert {"speak", "pause", "resume", "stop", "status", "list_voices"} <= set(server.schemas)


@FUZZ
@given(data=st.data())
def test_every_tool_takes_any_arguments_and_answers(server: Server, data: st.DataObject) -> None:
    # Tools drawn in proportion to how many arguments they take (speak's need the most cases).
    weighted = [name for name, schema in sorted(server.schemas.items())
                for _ in range(1 + 4 * len(schema.get("properties", {})))]  # fmt: skip
    name = data.draw(st.sampled_from(weighted), label="tool")
    check(server, name, data.draw(arguments(server.schemas[name]), label="arguments"))


def test_a_waiting_speak_still_playing_is_ended_by_stop(server: Server) -> None:
    before = counts["stopped_waits"]
    result = server.call("speak", {"text": "word " * 200, "wait": True})
    assert counts["stopped_waits"] == before + 1, "the speak ended before it was stopped"
    assert result.structured_content is not None and result.structured_content["state"] == "stopped"


@derandomized(15)
@given(name=st.text(max_size=50) | st.just("speak" * 20_000), extra=JSON)
@example(name="x" * 100_000, extra=None)
def test_an_unknown_tool_is_an_error(server: Server, name: str, extra: Any) -> None:
    if name in server.schemas:
        return
    counts["tool:(unknown)"] += 1
    result = server.call(name, {"x": extra})
    assert result.is_error, result
    counts["refused"] += 1
    text = error_text(result)
    judge_error("unknown tool", text)


def test_every_error_was_a_good_one_and_nothing_off_schema_was_accepted(server: Server) -> None:
    """Last: everything the fuzz above found, one line per kind, with one example each."""
    assert server.call("status", {}).structured_content is not None
    report = "\n".join(
        f"{kind} ({seen}x), e.g. {first}" for kind, (seen, first) in sorted(findings.items())
    )
    assert not findings, f"{len(findings)} kinds of bad answers:\n{report}"
