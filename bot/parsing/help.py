"""Help text derived from the command table (usage lines) and the catalog (summary, risk)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.catalog import BackendKind
from bot.parsing.command_table import COMMANDS, ORDERED_COMMANDS, Command
from bot.parsing.vocabulary import resource_of

_SECTIONS = {
    BackendKind.KUBERNETES: "Kubernetes",
    BackendKind.DOCKER: "Docker",
    BackendKind.HOST: "Health",
}
_FOOTER = (
    "Chain steps with ';', '&&' or 'then' (at most 10). Namespace defaults to 'default'. "
    "Durations: 30s, 10m, 2h, 1d. `help COMMAND` shows one command."
)


def usage_for(kind: str) -> str:
    """The usage line(s) of the command for a catalog kind."""
    return COMMANDS[kind].usage_text()


def describe_command(command: Command) -> str:
    op = command.operation
    lines = [f"{command.usage[0]}", f"    {op.summary} ({op.risk.value})"]
    lines.extend(f"    also: {extra}" for extra in command.usage[1:])
    return "\n".join(lines)


def help_text() -> str:
    """Every operation: usage line, summary and risk tier, grouped by backend."""
    out = ["Commands:"]
    for backend, title in _SECTIONS.items():
        section = [c for c in ORDERED_COMMANDS if c.operation.backend == backend]
        if section:
            out.append(f"\n{title}")
            out.extend(f"  {describe_command(c)}".replace("\n", "\n  ") for c in section)
    out.append("")
    out.append(_FOOTER)
    return "\n".join(out)


def commands_help(commands: Sequence[Command]) -> str:
    parts = []
    for command in commands:
        examples = "\n".join(f"    e.g. {example}" for example in command.examples)
        parts.append(f"{describe_command(command)}\n{examples}")
    return "\n\n".join(parts)


def find_topic(words: Sequence[str]) -> list[Command]:
    """Commands a help topic names: a catalog kind, a verb phrase (or its start), a verb and
    an object type (`get pods`), or an object type (`pods`)."""
    topic = tuple(w.lower() for w in words)
    if not topic:
        return []
    if len(topic) == 1 and topic[0] in COMMANDS:
        return [COMMANDS[topic[0]]]
    found: list[Command] = []
    for command in ORDERED_COMMANDS:
        for phrase in command.phrases:
            if not phrase:
                continue
            if phrase[: len(topic)] == topic:
                found.append(command)
                break
            rest = topic[len(phrase) :]
            if (
                topic[: len(phrase)] == phrase
                and len(rest) == 1
                and resource_of(rest[0]) == (command.resource)
            ):
                found.append(command)
                break
    if not found and len(topic) == 1:
        resource = resource_of(topic[0])
        found = [c for c in ORDERED_COMMANDS if resource and c.resource == resource]
    return found


def help_for(words: Sequence[str]) -> str | None:
    """Help for `help WORDS`; None when several words name no command (plain language)."""
    if not words:
        return help_text()
    found = find_topic(words)
    if found:
        return commands_help(found)
    if len(words) == 1:
        return f"No command matches {words[0]!r}.\n\n{help_text()}"
    return None
