"""Words a language model reads: server instructions and tool descriptions."""

from __future__ import annotations

from kokoro_mcp.limits import MAX_TEXT_CHARS

INSTRUCTIONS = """\
This server speaks text aloud on the user's own speakers with a local Kokoro voice \
(nothing leaves the computer).

How to use it well:
- Speak only what the user should hear rather than read: a short status when a long task \
ends ("Build finished. Two tests fail."), a one-to-three sentence summary, or a question \
that needs their attention. The full answer still belongs in your written reply.
- Write for the ear: plain sentences, no markdown, code, tables, URLs, file paths or long \
lists. Never read whole files, logs or long answers aloud.
- `speak` returns as soon as the speech is accepted, so you can keep working while it \
plays. New speech replaces your own earlier speech; pass mode="queue" to play after it \
instead. Other agents may share this voice: their speech is never cut off, yours waits \
its turn. Pass wait=true only when you must know playback has ended.
- For announcements: priority="high" only when the user must hear it now (it plays next, \
at the end of the sentence playing); priority="low" for notes worth hearing only in a quiet \
moment (dropped if anything is speaking); ttl=seconds when it is worthless later; \
replace="topic" so a newer update on the same topic replaces one not yet heard.
- `stop` silences speech at once and clears the queue; `pause`/`resume` hold and continue \
it. `status` tells whether the model is loaded, what is playing and whether the audio \
device works. `list_voices` (or the kokoro://voices resource) lists voices; the default \
voice is usually right, so only pass `voice` when the user asks for another.
- On an error, read its message: it says what to change (e.g. a voice name or speed).\
"""

_SPEAK = """\
Say text aloud on the user's speakers. Use it for short spoken messages: a status when a \
task finishes, a brief summary, or a question that needs the user's attention. Keep the \
text short (one to three plain sentences, at most {max_chars:,} characters); \
markdown and code blocks are not read verbatim, so put only speakable words in it.

{mode_sentence} With wait=false (default) it returns once the speech is \
accepted; with wait=true it returns when playback ends, reporting progress per chunk, and \
cancelling the request stops the speech. The result gives the state, voice, speed, \
character and chunk counts and, when known, the seconds until the first audio.

Announcements can mind their manners: priority="high" plays before all waiting speech, \
cutting in where the sentence playing now ends (that speech continues afterwards); \
priority="low" is dropped if anything else is playing or queued; ttl drops it if it cannot \
start within that many seconds; replace="build:my-app" makes a newer speak with the same key \
replace this one. A dropped one has state "dropped" and a reason."""


def speak_description(default_mode: str) -> str:
    """The speak tool's description, naming the configured default mode."""
    if default_mode == "queue":
        mode_sentence = (
            'By default (mode="queue", as configured) new speech plays after the current'
            ' speech; mode="interrupt" cuts off whatever is playing.'
        )
    else:
        mode_sentence = (
            'By default (mode="interrupt") new speech cuts off whatever is playing;'
            ' mode="queue" plays it after the current speech.'
        )
    return _SPEAK.format(mode_sentence=mode_sentence, max_chars=MAX_TEXT_CHARS)


SAVE_SPEECH = """\
Record text as speech into a WAV file instead of playing it, e.g. when the user asks to keep \
a summary as audio. The file goes into the user's speech folder (configured by the user; by \
default a kokoro-mcp folder in their music folder): pass only a plain file_name such as \
summary.wav, never a path. An existing file is kept unless overwrite=true. Speech already \
playing is not disturbed; the file is made while it plays. The result gives the path, a \
file:// link, the duration in seconds, the voice and speed; a resource link to the file \
follows it."""

PAUSE = """\
Pause the speech that is playing, keeping its place so `resume` continues it. Use it when \
the user needs a moment of silence but wants to hear the rest; use `stop` to discard it. \
Pausing when paused or silent changes nothing."""

RESUME = """\
Resume speech paused by `pause`, from where it stopped. Resuming when not paused changes \
nothing."""

STOP = """\
Stop speaking now: silences the current speech and clears everything queued. Use it when \
the user asks for quiet, or before a change of topic. Stopping when silent changes \
nothing; the result says how many utterances were dropped."""

STATUS = """\
Report the speech state: idle, loading, playing, paused or error; whether the voice model \
is loaded (it loads in the background for a few seconds after start); the audio device \
and any problem with it plus how to fix it; what is playing and queued; and recent \
time-to-first-audio figures. Use it to check why nothing is heard or whether speech is \
still playing. Read-only."""

LIST_VOICES = """\
List the voices you can pass to `speak` as `voice`, with language and gender. The first \
letter of a name is its language (a = American English, b = British English), the \
second its gender (f/m): af_heart is American English, female. A blend mixes up to four \
voices by weight, e.g. voice="af_heart:0.6,bf_emma:0.4" (weights are normalised; the \
heaviest voice's language decides pronunciation). The same list is the kokoro://voices \
resource. Read-only."""

VOICES_RESOURCE = """\
The installed voices as JSON: name, language, gender, and whether this install can speak \
the language. Pass a name as `voice` to the speak tool."""
