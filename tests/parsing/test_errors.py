"""Malformed or ambiguous commands: a ParseError naming the problem and the closest usage;
plain language: NotACommand. Nothing is guessed."""

from __future__ import annotations

import pytest

from bot.parsing import NotACommand, ParseError, parse_command, usage_for

SCALE_USAGE = usage_for("scale_deployment")

ERRORS: list[tuple[str, str, str | None]] = [
    # text, exact message, command kind (None: several commands are close)
    (
        "scale web to five",
        "replicas must be a whole number from 0 to 1000, got 'five'",
        "scale_deployment",
    ),
    (
        "scale web 5000",
        "replicas must be a whole number from 0 to 1000, got '5000'",
        "scale_deployment",
    ),
    (
        "scale web -1",
        "replicas must be a whole number from 0 to 1000, got '-1'",
        "scale_deployment",
    ),
    ("scale --replicas 5 -n prod", "missing deployment name", "scale_deployment"),
    ("restart -n prod", "missing deployment name", "restart_deployment"),
    (
        "scale deploy/web -n prod",
        "missing desired replica count (give --replicas N or 'to N')",
        "scale_deployment",
    ),
    (
        "scale deploy/web --replica 5",
        "unknown option --replica; did you mean --replicas?",
        "scale_deployment",
    ),
    ("get pods -a", "-a does not apply to get pods; did you mean -A?", "list_pods"),
    (
        "get pods --selectr app=web",
        "unknown option --selectr; did you mean --selector?",
        "list_pods",
    ),
    ("scale daemonset/x 3", "scale works on deployments or statefulsets, not 'daemonset'", None),
    ("scale rs x 3", "scale works on deployments or statefulsets, not 'rs'", None),
    (
        "restart job",
        "restart works on deployments, statefulsets or daemonsets, not 'job'; "
        "for a deployment named 'job' write deploy/job",
        "restart_deployment",
    ),
    ("scale foo/x 3", "unknown resource type 'foo' in 'foo/x'", None),
    (
        "scale web 5 to 6",
        "replicas given twice: 5 ('5') and 6 ('to 6'); give it once",
        "scale_deployment",
    ),
    (
        "scale web --replicas 5 --replicas 6",
        "replicas given twice: 5 ('--replicas 5') and 6 ('--replicas 6'); give it once",
        "scale_deployment",
    ),
    (
        "scale web 5 -n prod in staging",
        "namespace given twice: 'prod' ('-n prod') and 'staging' ('in staging'); give it once",
        "scale_deployment",
    ),
    (
        "get pods -A -n prod",
        "give either -A (all namespaces) or a namespace, not both",
        "list_pods",
    ),
    (
        "scale Web 3",
        "deployment name: 'Web' is not a valid Kubernetes object name (DNS-1123)",
        "scale_deployment",
    ),
    (
        "get pods -n Prod",
        "Kubernetes namespace: 'Prod' is not a valid namespace name (DNS-1123 label)",
        "list_pods",
    ),
    (
        "logs api --since 10",
        "since must be a duration like 30s, 10m, 2h or 1d (at most 7d), got '10'",
        "pod_logs",
    ),
    ("logs api --since 8d", "since must be between 1s and 7d, got '8d'", "pod_logs"),
    ("logs api --tail 0", "tail must be a whole number from 1 to 5000, got '0'", "pod_logs"),
    (
        "delete pod x --grace-period soon",
        "grace period must be a whole number of seconds from 0 to 3600, got 'soon'",
        "delete_pod",
    ),
    (
        "rollback web --to-revision 0",
        "revision must be a whole number of at least 1, got '0'",
        "rollback_deployment",
    ),
    ("logs -n prod", "missing pod name", "pod_logs"),
    ("logs api -n", "-n needs a value (NAMESPACE)", "pod_logs"),
    ("logs api in", "'in' needs a value after it", "pod_logs"),
    (
        "delete api-7f9c -n prod",
        "delete needs the object type: write 'delete pod api-7f9c' or 'delete job api-7f9c'",
        None,
    ),
    ("delete deploy/web", "delete works on pods or jobs, not 'deploy'", None),
    (
        "describe web",
        "describe needs the object type: write 'describe pod web', 'describe deploy web', "
        "'describe cronjob web', 'describe job web', 'describe node web', 'describe svc web', "
        "'describe cm web', 'describe sts web', 'describe ds web' or 'describe hpa web'",
        None,
    ),
    (
        "get",
        "missing resource type as kubectl writes it: plural, singular, short name or "
        "plural.group (e.g. certificates.cert-manager.io)",
        "get_resource",
    ),
    (
        "get pods web",
        "unexpected 'web': get pods takes only options; to see one, use 'describe pod web'",
        "list_pods",
    ),
    (
        "restart deploy/a deploy/b",
        "unexpected 'b': restart takes one deployment name (got 'a'); "
        "chain steps with ';' to act on several",
        "restart_deployment",
    ),
    (
        "docker ps -n prod",
        "-n does not apply to docker ps; docker commands have no namespace (use --host HOST)",
        "list_containers",
    ),
    (
        "docker ps in prod",
        "'in prod': docker ps has no namespace; use 'on HOST' for a Docker host",
        "list_containers",
    ),
    (
        "restart deploy/web on edge-1",
        "'on edge-1': 'on' names a Docker host; for a Kubernetes cluster use --context CONTEXT "
        "or 'in cluster CONTEXT'",
        "restart_deployment",
    ),
    (
        "docker logs web-1 --tail 9999",
        "tail must be a whole number from 1 to 5000, got '9999'",
        "container_logs",
    ),
    (
        "docker rm web-1",
        "unknown docker command 'rm'; docker commands are: ps, inspect, logs, start, stop, "
        "restart, stats, top",
        None,
    ),
    (
        "docker",
        "missing docker command; docker commands are: ps, inspect, logs, start, stop, "
        "restart, stats, top",
        None,
    ),
    (
        "rollout pause deploy/web",
        "unknown rollout command 'pause'; rollout commands are: restart, undo, status, history",
        None,
    ),
    ("scale web 3 then wait a bit", "step 2: 'wait a bit' is not a command", None),
    (
        "restart deploy/a; scale web to lots",
        "step 2: replicas must be a whole number from 0 to 1000, got 'lots'",
        "scale_deployment",
    ),
    (
        "health prod staging",
        "unexpected 'staging': health takes one namespace (got 'prod'); "
        "chain steps with ';' to act on several",
        "health_report",
    ),
    ("help; scale web 3", "help cannot be chained with other steps", None),
    ("logs 'api", "unterminated quote: close the ' you opened", "pod_logs"),
    ("get pods -l 'app=web", "unterminated quote: close the ' you opened", None),
]


@pytest.mark.parametrize(("text", "message", "command"), ERRORS, ids=[e[0] for e in ERRORS])
def test_error_message_and_closest_command(text: str, message: str, command: str | None) -> None:
    result = parse_command(text)
    assert isinstance(result, ParseError), f"{text!r} -> {result!r}"
    assert result.message == message
    assert result.command == command
    if command is not None:
        assert result.usage == usage_for(command)


def test_usage_of_ambiguous_verbs_lists_every_candidate() -> None:
    result = parse_command("describe web")
    assert isinstance(result, ParseError)
    kinds = (
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
    )
    assert result.usage == "\n".join(usage_for(k) for k in kinds)


def test_more_than_ten_steps_is_an_error() -> None:
    text = "; ".join(f"restart deploy/web-{i}" for i in range(11))
    result = parse_command(text)
    assert isinstance(result, ParseError)
    assert result.message == "at most 10 steps per request, got 11"


@pytest.mark.parametrize(
    "text",
    [
        "web is slow in prod, give it two more replicas",
        "why does api keep restarting in staging?",
        "can you restart web?",
        "please scale web to 5",
        "Hello there",
        "",
        "   ",
        ";;",
        "it's broken, isn't it",
        '"scale" web 5',
        "scael deploy/web 5",
        "then what?",
        "x" * 100_000,
    ],
)
def test_plain_language_is_not_a_command(text: str) -> None:
    assert parse_command(text) == NotACommand()


def test_the_first_step_decides_plain_language() -> None:
    assert parse_command("why is web slow; restart deploy/web") == NotACommand()
