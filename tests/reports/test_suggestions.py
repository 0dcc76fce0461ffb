"""Report suggestions are catalog operations written by format_command."""

from __future__ import annotations

from bot.catalog.kubernetes_ops import PodLogs
from bot.parsing import Parsed, parse_command
from bot.reports.suggestions import suggestion, suggestions


def test_a_suggestion_parses_back_to_its_operation_in_its_context() -> None:
    command = suggestion(PodLogs, name="api-1", namespace="prod", previous=True, context="east")
    assert command == "logs pod/api-1 --context east -n prod -p"
    result = parse_command(command)
    assert isinstance(result, Parsed)
    assert result.plan.steps == [
        PodLogs(name="api-1", namespace="prod", previous=True, context="east")
    ]


def test_a_value_the_catalog_refuses_gives_no_suggestion() -> None:
    """A kubeconfig context with a space cannot be named in a command: suggest nothing."""
    refused = suggestion(PodLogs, name="api-1", namespace="prod", context="my cluster")
    kept = suggestion(PodLogs, name="api-1", namespace="prod")
    assert refused is None
    assert suggestions(refused, kept) == ["logs pod/api-1 -n prod"]
