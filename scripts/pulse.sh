#!/usr/bin/env bash
# A private PulseAudio server with two null sinks, for tests and benchmarks on machines
# without a sound card (see docs/design.md, "Audio without a sound card").
#
#   scripts/pulse.sh start   # start it unless it already answers; prints `export PULSE_SERVER=...`
#   scripts/pulse.sh stop    # stop the server this script started
#   scripts/pulse.sh env     # print the `export PULSE_SERVER=...` line
#   eval "$(scripts/pulse.sh start)"
#
# Sinks: tts_sink (default) and tts_sink2 (for default-device switching), both 24 kHz mono
# float32; record what was played from <sink>.monitor. KOKORO_PULSE_DIR moves the runtime folder.
set -euo pipefail

DIR="${KOKORO_PULSE_DIR:-/tmp/kokoro-mcp-pulse}"
RUN="$DIR/run"
SERVER="unix:$RUN/native"
PIDFILE="$DIR/pulseaudio.pid"
LOG="$DIR/pulseaudio.log"
SINK_ARGS="rate=24000 channels=1 format=float32le norewinds=1"

answers() {
    PULSE_SERVER="$SERVER" timeout 5 pactl info >/dev/null 2>&1
}

# True while the process runs (a killed server can linger as a zombie until reaped).
alive() {
    local state
    state="$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" || return 1
    [[ -n "$state" && "$state" != "Z" && "$state" != "X" ]]
}

print_env() {
    echo "export PULSE_SERVER=$SERVER"
}

start() {
    mkdir -p "$RUN" "$DIR/state" "$DIR/home"
    chmod 700 "$RUN"
    if [[ -f "$PIDFILE" ]] && alive "$(cat "$PIDFILE")"; then
        kill -CONT "$(cat "$PIDFILE")" 2>/dev/null || true # thaw a server a test froze
    fi
    if answers; then
        print_env
        return 0
    fi
    # A stale socket from a killed server makes pulseaudio refuse to start.
    rm -f "$RUN/native" "$RUN/pid"
    HOME="$DIR/home" PULSE_RUNTIME_PATH="$RUN" PULSE_STATE_PATH="$DIR/state" \
        setsid pulseaudio --daemonize=no --exit-idle-time=-1 --disallow-exit -n \
        --use-pid-file=no --log-target=stderr \
        --load="module-null-sink sink_name=tts_sink $SINK_ARGS" \
        --load="module-null-sink sink_name=tts_sink2 $SINK_ARGS" \
        --load="module-native-protocol-unix socket=$RUN/native auth-anonymous=1" \
        --load=module-always-sink \
        </dev/null >"$LOG" 2>&1 &
    echo $! >"$PIDFILE"
    for _ in $(seq 1 100); do
        if answers; then
            PULSE_SERVER="$SERVER" pactl set-default-sink tts_sink
            print_env
            return 0
        fi
        if ! alive "$(cat "$PIDFILE")"; then
            echo "pulse.sh: pulseaudio exited at start; see $LOG" >&2
            tail -n 20 "$LOG" >&2 || true
            return 1
        fi
        sleep 0.1
    done
    echo "pulse.sh: pulseaudio did not answer within 10 s; see $LOG" >&2
    return 1
}

stop() {
    if [[ -f "$PIDFILE" ]]; then
        pid="$(cat "$PIDFILE")"
        if alive "$pid"; then
            kill -CONT "$pid" 2>/dev/null || true # a frozen (SIGSTOPped) server can't exit otherwise
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 1 50); do
                alive "$pid" || break
                sleep 0.1
            done
            kill -9 "$pid" 2>/dev/null || true
        fi
        rm -f "$PIDFILE"
    fi
    rm -f "$RUN/native"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    env) print_env ;;
    *)
        echo "usage: $0 start|stop|env" >&2
        exit 2
        ;;
esac
