"""The speech daemon: the one process per user that owns the model, the queue and the audio.

`service` is the request API every front end uses (MCP tools in-process, the socket for
everything else); `host` builds the Speaker in the background; `listener` serves the socket;
`process` runs the daemon itself (locks, signals, idle exit).
"""
