"""Coding-agent hooks: speak when an agent finishes or needs the person, without the agent
having to call a tool. `claude_code` turns Claude Code's hook payloads into a short sentence,
`settings` adds or removes the hooks in its settings.json, `run` hands the sentence to the
daemon and never holds the agent up.
"""
