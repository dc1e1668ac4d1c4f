"""Synthesis time of the original int8 graph vs the im2col/MatMulInteger rewrite, same run.

    .venv/bin/python benchmarks/bench_onnx_rewrite.py [--rounds 7] [--threads 2] [--bits 8 7]
        [--fused] [--json out.json]

Both sessions use `make_session_options`; calls alternate (A B, then B A next round) so that
load from other processes hits both sides alike. Reports median and p95 per sentence, the ratio
of medians (fast / original), and the machine: CPU model, cores, and whether it has VNNI, the
int8 dot-product instructions the rewrite is meant to reach.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

try:
    import kokoro_mcp  # noqa: F401
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import onnxruntime as ort

from kokoro_mcp.engine.onnx_session import available_cores, default_threads, open_session
from kokoro_mcp.model.fast_graph.rewrite import rewrite_model
from kokoro_mcp.model.layout import read_voice_file

MODEL_NAME = "kokoro-v1.0.int8.onnx"
RAW_MODEL = Path("/tmp/kokoro.onnx")
RAW_VOICES = Path("/tmp/kjs/package/voices")
SAMPLE_RATE = 24_000

# Agent-style phrases, short to long (misaki phonemes).
SENTENCES = {
    "Done.": "dˈʌn.",
    "Build finished.": "bˈɪld fˈɪnəʃt.",
    "The quick brown fox jumps over the lazy dog near the river bank.": (
        "ðə kwˈɪk bɹˈWn fˈɑks ʤˈʌmps ˈOvəɹ ðə lˈAzi dˈɔɡ nˌɪɹ ðə ɹˈɪvəɹ bˈæŋk."
    ),
    "All the tests passed, and the coverage report is ready for review.": (
        "ˈɔl ðə tˈɛsts pˈæst, ænd ðə kˈʌvəɹɪʤ ɹəpˈɔɹt ɪz ɹˈɛdi fɔɹ ɹəvjˈu."
    ),
}


@dataclass
class Timing:
    median_ms: float
    p95_ms: float
    ratio: float  # median / the original's median


@dataclass
class SentenceResult:
    text: str
    audio_seconds: float
    timings: dict[str, Timing]  # "original", "fast" (8-bit weights), "fast7" (7-bit)


def machine() -> dict[str, Any]:
    flags: set[str] = set()
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and model in ("", platform.machine()):
                model = line.split(":", 1)[1].strip()
            elif line.startswith("flags"):
                flags.update(line.split(":", 1)[1].split())
    except OSError:
        pass
    return {
        "cpu": model,
        "cores_available": available_cores(),
        "avx512_vnni": "avx512_vnni" in flags,
        "avx_vnni": "avx_vnni" in flags,
        "avx2": "avx2" in flags,
        "onnxruntime": ort.__version__,
        "python": platform.python_version(),
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }


def find_model(explicit: Path | None) -> Path:
    candidates = [explicit] if explicit else []
    if os.environ.get("KOKORO_MCP_MODEL_DIR"):
        candidates.append(Path(os.environ["KOKORO_MCP_MODEL_DIR"]) / MODEL_NAME)
    candidates += [Path.home() / ".local/share/kokoro-mcp/model" / MODEL_NAME, RAW_MODEL]
    for path in candidates:
        if path and path.is_file():
            return path
    sys.exit(f"no {MODEL_NAME} found; pass --model or run `kokoro-mcp model install`")


def load_inputs(model: Path, voice: str) -> tuple[dict[str, int], np.ndarray]:
    config = model.parent / "config.json"
    if not config.is_file():
        config = Path(str(resources.files("kokoro_onnx") / "config.json"))
    vocab = json.loads(config.read_text(encoding="utf-8"))["vocab"]
    for folder in (model.parent / "voices", RAW_VOICES):
        if (folder / f"{voice}.bin").is_file():
            return vocab, read_voice_file(folder / f"{voice}.bin")
    sys.exit(f"voice {voice} not found beside the model or in {RAW_VOICES}")


def feeds_for(phonemes: str, vocab: dict[str, int], table: np.ndarray) -> dict[str, np.ndarray]:
    ids = [vocab[ch] for ch in phonemes if ch in vocab]
    return {
        "tokens": np.array([[0, *ids, 0]], dtype=np.int64),
        "style": table[len(ids)],
        "speed": np.array([1.0], dtype=np.float32),
    }


# Wall time by default; --cpu-time switches to this process's CPU time, which other processes'
# load barely moves (meaningful with --threads 1, where no thread spins).
CLOCK = time.perf_counter


def timed_run(session: ort.InferenceSession, feeds: dict[str, np.ndarray]) -> tuple[float, int]:
    started = CLOCK()
    audio = session.run(["audio"], feeds)[0]
    return (CLOCK() - started) * 1000, int(audio.size)


def prepare_models(
    model: Path, fast: Path | None, bits: list[int], scratch: Path, fused: bool = False
) -> dict[str, Path]:
    """Original first, then one rewritten graph per weight width (`fast` reused when given),
    then with `fused` the 8-bit rewrite plus fast_graph.fuse's fusions.

    The installed fast graph also skips the lead silence (fast_graph.lead), which would mix a second
    saving into this comparison, so it is not picked up by default.
    """
    models = {"original": model}
    for width in bits:
        name = "fast" if width == 8 else f"fast{width}"
        path = fast if (fast and width == 8) else None
        if path is None or not path.is_file():
            path = scratch / f"{model.stem}.{name}.onnx"
            report = rewrite_model(model, path, weight_bits=width)
            print(f"{name}: rewrote {report.rewritten} ConvInteger nodes, kept {report.kept}")
        models[name] = path
    if fused:
        path = scratch / f"{model.stem}.fused.onnx"
        report = rewrite_model(model, path, weight_bits=8, fuse=True)
        print(f"fused: rewrote {report.rewritten} ConvInteger nodes, fused {report.fused}")
        models["fused"] = path
    return models


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, help=f"the int8 model (default: find {MODEL_NAME})")
    parser.add_argument("--fast", type=Path, help="an 8-bit rewrite to use (default: make one)")
    parser.add_argument(
        "--bits", type=int, nargs="+", default=[8], choices=[7, 8], help="rewrites to time"
    )
    parser.add_argument(
        "--fused",
        action="store_true",
        help="also time the 8-bit rewrite with fast_graph.fuse's fusions",
    )
    parser.add_argument("--rounds", type=int, default=7, help="timed runs per sentence and model")
    parser.add_argument("--threads", type=int, default=None, help="intra-op threads")
    parser.add_argument("--voice", default="af_heart")
    parser.add_argument(
        "--cpu-time", action="store_true", help="time CPU use, not wall (use with --threads 1)"
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    global CLOCK
    if args.cpu_time:
        CLOCK = time.process_time

    info = machine()
    info["threads"] = args.threads or default_threads()
    vnni = "yes" if info["avx512_vnni"] or info["avx_vnni"] else "NO"
    print(f"CPU: {info['cpu']}, {info['cores_available']} cores available, VNNI: {vnni}")
    info["clock"] = "process CPU time" if args.cpu_time else "wall time"
    print(f"onnxruntime {info['onnxruntime']}, intra-op threads {info['threads']}, {info['clock']}")
    print(f"load average at start: {info['load_average']}")

    model = find_model(args.model)
    vocab, table = load_inputs(model, args.voice)
    with tempfile.TemporaryDirectory(prefix="kokoro-bench-") as scratch:
        models = prepare_models(model, args.fast, args.bits, Path(scratch), args.fused)
        sessions = {name: open_session(path, args.threads) for name, path in models.items()}
        results = [
            time_sentence(text, feeds_for(phonemes, vocab, table), sessions, args.rounds)
            for text, phonemes in SENTENCES.items()
        ]

    overall = {
        name: float(np.exp(np.mean(np.log([r.timings[name].ratio for r in results]))))
        for name in sessions
        if name != "original"
    }
    info["load_average_end"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    for name, ratio in overall.items():
        print(f"geometric-mean ratio {name}/original: {ratio:.2f} ({(1 - ratio) * 100:.0f}% less)")
    print(f"load average at end: {info['load_average_end']}")
    if args.json:
        payload = {
            "machine": info,
            "rounds": args.rounds,
            "overall_ratio": overall,
            "sentences": [asdict(r) for r in results],
        }
        args.json.write_text(json.dumps(payload, indent=1, ensure_ascii=False), encoding="utf-8")


def time_sentence(
    text: str, feeds: dict[str, np.ndarray], sessions: dict[str, ort.InferenceSession], rounds: int
) -> SentenceResult:
    """Warm every session, then time them in turn, reversing the order every other round."""
    lengths = {name: timed_run(session, feeds)[1] for name, session in sessions.items()}
    if len(set(lengths.values())) != 1:
        print(f"  ! sample counts differ for {text!r}: {lengths}")
    times: dict[str, list[float]] = {name: [] for name in sessions}
    names = list(sessions)
    for round_index in range(rounds):
        for name in names if round_index % 2 == 0 else names[::-1]:
            times[name].append(timed_run(sessions[name], feeds)[0])
    base = float(np.median(times["original"]))
    timings = {
        name: Timing(
            median_ms=float(np.median(values)),
            p95_ms=float(np.percentile(values, 95)),
            ratio=float(np.median(values)) / base,
        )
        for name, values in times.items()
    }
    result = SentenceResult(text, lengths["original"] / SAMPLE_RATE, timings)
    cells = "  ".join(
        f"{name} {t.median_ms:6.0f} ms (p95 {t.p95_ms:5.0f}, x{t.ratio:.2f})"
        for name, t in timings.items()
    )
    print(f"{result.audio_seconds:5.2f} s audio  {cells}  {text}")
    return result


if __name__ == "__main__":
    main()
