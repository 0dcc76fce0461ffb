"""Help is derived from the command table and the catalog; every catalog kind has a command."""

from __future__ import annotations

import pytest

from bot.catalog import OPERATIONS
from bot.parsing import (
    COMMANDS,
    HelpRequested,
    NotACommand,
    Parsed,
    help_text,
    parse_command,
    usage_for,
)


def test_every_catalog_kind_has_a_command_with_usage_and_examples() -> None:
    assert set(COMMANDS) == set(OPERATIONS)
    for kind, command in COMMANDS.items():
        assert command.usage, kind
        assert command.examples, kind
        assert usage_for(kind) == "\n".join(command.usage)


@pytest.mark.parametrize("kind", sorted(OPERATIONS))
def test_every_declared_example_parses_to_its_own_kind(kind: str) -> None:
    for example in COMMANDS[kind].examples:
        result = parse_command(example)
        assert isinstance(result, Parsed), f"{example!r} -> {result!r}"
        assert [step.kind for step in result.plan.steps] == [kind]


def test_help_text_lists_every_operation_usage_summary_and_risk() -> None:
    text = help_text()
    for kind, op in OPERATIONS.items():
        line = COMMANDS[kind].usage[0]
        assert line in text, kind
        assert f"{op.summary} ({op.risk.value})" in text, kind
    assert "(destructive)" in text and "(write)" in text and "(read)" in text


@pytest.mark.parametrize("text", ["help", "?", "HELP", "<@U1> help", "/ops", "<@U1>", "/ops help"])
def test_bare_help_shows_everything(text: str) -> None:
    assert parse_command(text) == HelpRequested(help_text())


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("help scale", ["scale_deployment", "scale_statefulset"]),
        ("? scale", ["scale_deployment", "scale_statefulset"]),
        ("help scale_deployment", ["scale_deployment"]),
        (
            "help rollout undo",
            ["rollback_deployment", "rollback_statefulset", "rollback_daemonset"],
        ),
        ("help get pods", ["list_pods"]),
        (
            "help describe",
            [
                "describe_pod",
                "describe_deployment",
                "describe_cronjob",
                "describe_job",
                "describe_node",
                "describe_service",
                "get_configmaps",
                "describe_statefulset",
                "describe_daemonset",
                "describe_hpa",
            ],
        ),
        ("help docker logs", ["container_logs"]),
        ("scale --help", ["scale_deployment", "scale_statefulset"]),
        ("docker ps -h", ["list_containers"]),
    ],
)
def test_help_for_a_topic_shows_only_those_commands(text: str, kinds: list[str]) -> None:
    result = parse_command(text)
    assert isinstance(result, HelpRequested)
    for kind, command in COMMANDS.items():
        shown = command.usage[0] in result.text and OPERATIONS[kind].summary in result.text
        assert shown == (kind in kinds), kind


def test_help_docker_shows_every_docker_command() -> None:
    result = parse_command("help docker")
    assert isinstance(result, HelpRequested)
    docker = [k for k, op in OPERATIONS.items() if op.backend.value == "docker"]
    assert len(docker) == 8
    for kind in docker:
        assert COMMANDS[kind].usage[0] in result.text


def test_help_for_an_unknown_word_says_so_and_lists_everything() -> None:
    result = parse_command("help frobnicate")
    assert isinstance(result, HelpRequested)
    assert result.text.startswith("No command matches 'frobnicate'.")
    assert help_text() in result.text


def test_help_followed_by_a_sentence_is_plain_language() -> None:
    assert parse_command("help me understand why api restarts") == NotACommand()
