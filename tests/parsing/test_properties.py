"""Property tests: the parser never raises on any text, and every catalog operation written as
its canonical command parses back to an equal operation."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.catalog import OPERATIONS, Operation
from bot.parsing import (
    HelpRequested,
    NotACommand,
    Parsed,
    ParseError,
    format_command,
    parse_command,
)
from bot.parsing.command_table import COMMANDS
from bot.parsing.values import bounds, is_int_field
from bot.parsing.vocabulary import FLAGS

RESULT_TYPES = (Parsed, NotACommand, ParseError, HelpRequested)

_WORDS = sorted(
    {w for c in COMMANDS.values() for p in c.phrases for w in p}
    | set(FLAGS)
    | {"in", "on", "to", "for", "then", "and", "cluster", "revision", "replicas", "help", "?"}
    | {"deploy/web", "pod/x", "po", "sts/x", "foo/", "/", "deploy", "pods", "events", "--help"}
    | {"web", "api-7f9c", "prod", "5", "-1", "0", "99999", "10m", "1h30m", "x", "Web", "-"}
    | {"--replicas=5", "-n=prod", "--previous=maybe", "app=web", ";", "&&", ",", "'", '"', "`"}
    | {"<@U1>", "/ops", "\u201cquoted\u201d", "\u2018q", "--", "-A", "-a", "--since=0s"}
)
command_like = st.lists(st.sampled_from(_WORDS) | st.text(max_size=6), max_size=14).map(" ".join)


@settings(max_examples=400, deadline=None)
@given(st.text())
def test_never_raises_on_arbitrary_text(text: str) -> None:
    assert isinstance(parse_command(text), RESULT_TYPES)


@settings(max_examples=600, deadline=None)
@given(command_like)
def test_never_raises_on_command_like_text(text: str) -> None:
    result = parse_command(text)
    assert isinstance(result, RESULT_TYPES)
    if isinstance(result, ParseError):
        assert result.message and "Traceback" not in result.message
        assert result.command is None or result.command in OPERATIONS
    if isinstance(result, Parsed):
        assert 1 <= len(result.plan.steps) <= 10
        assert result.plan.source == "command"


_K8S_NAME = r"[a-z0-9]([-a-z0-9.]{0,18}[a-z0-9])?"
_PATTERNS = {
    "name": _K8S_NAME,
    "object_name": _K8S_NAME,
    "namespace": r"[a-z0-9]([-a-z0-9]{0,18}[a-z0-9])?",
    "context": r"[A-Za-z0-9_.@:/-]{1,24}",
    "host": r"[A-Za-z0-9_.@:/-]{1,24}",
    "label_selector": r"[A-Za-z0-9_./=!,() -]{1,32}",
    "resource_type": r"(sts|nodes|certificates\.cert-manager\.io|widget[a-z]{0,8})",
}


def _field_strategy(op: type[Operation], field: str) -> st.SearchStrategy[Any]:
    info = op.model_fields[field]
    if field == "container":
        pattern = _K8S_NAME if op.kind == "pod_logs" else r"[a-zA-Z0-9][a-zA-Z0-9_.-]{0,20}"
        return st.from_regex(pattern, fullmatch=True)
    if field in _PATTERNS:
        return st.from_regex(_PATTERNS[field], fullmatch=True)
    if info.annotation is bool:
        return st.booleans()
    if is_int_field(info):
        low, high = bounds(info)
        return st.integers(min_value=low or 0, max_value=high if high is not None else 10**6)
    raise AssertionError(f"no strategy for {op.kind}.{field}")


@st.composite
def operations(draw: st.DrawFn) -> Operation:
    kind = draw(st.sampled_from(sorted(OPERATIONS)))
    op = OPERATIONS[kind]
    params: dict[str, Any] = {}
    for field, info in op.model_fields.items():
        if field == "operation":
            continue
        if info.is_required() or draw(st.booleans()):
            params[field] = draw(_field_strategy(op, field))
    if params.get("all_namespaces"):
        params.pop("namespace", None)  # the parser refuses -A together with a namespace
    return op(**params)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operations())
def test_canonical_command_round_trips(op: Operation) -> None:
    text = format_command(op)
    result = parse_command(text)
    assert isinstance(result, Parsed), f"{text!r} -> {result!r}"
    assert result.plan.steps == [op], text


def test_round_trip_covers_every_kind_with_every_field_set() -> None:
    """Deterministic companion to the property: each kind with all its optional fields set."""
    samples: dict[str, Any] = {
        "name": "then",
        "object_name": "in",
        "namespace": "prod",
        "context": "arn:aws:eks:eu-1:1:cluster/east",
        "host": "edge-1",
        "label_selector": "app in (web, api),tier!=db",
        "container": "pod",
        "resource_type": "certificates.cert-manager.io",
        "all": True,
        "previous": True,
        "warnings_only": True,
        "all_namespaces": False,
    }
    for kind, op_type in OPERATIONS.items():
        params = {}
        for field, info in op_type.model_fields.items():
            if field == "operation":
                continue
            if field in samples:
                params[field] = samples[field]
            elif is_int_field(info):
                low, high = bounds(info)
                params[field] = high if high is not None else (low or 0) + 7
        op = op_type(**params)
        text = format_command(op)
        result = parse_command(text)
        assert isinstance(result, Parsed), f"{kind}: {text!r} -> {result!r}"
        assert result.plan.steps == [op], text
