"""The command table: for every catalog kind, its verb phrases, positional slots and usage.

Usage lines are declared here once, next to the grammar; help text and error messages
are derived from them and from the catalog (summary, risk, field descriptions).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.catalog import OPERATION_TYPES, OPERATIONS, Operation

Phrase = tuple[str, ...]
_NS = "[-n NAMESPACE] [--context CONTEXT]"


@dataclass(frozen=True)
class Command:
    """How one catalog operation is written as a command.

    phrases: the verb words (lower case); the empty phrase means the plural resource noun
    starts the command ("pods in prod"). resource: the Kubernetes object type it acts on.
    type_required: the object type must be named (`describe pod x`, never `describe x`).
    positionals: catalog fields filled by bare words, in order.
    to_field: the field "to N" sets.
    """

    kind: str
    phrases: tuple[Phrase, ...]
    usage: tuple[str, ...]
    examples: tuple[str, ...]
    resource: str | None = None
    type_required: bool = False
    positionals: tuple[str, ...] = ()
    to_field: str | None = None
    flag_overrides: dict[str, str] = field(default_factory=dict)

    @property
    def operation(self) -> type[Operation]:
        return OPERATIONS[self.kind]

    @property
    def name(self) -> str:
        """How people call it: `scale`, `docker ps`, `get pods`."""
        verb = " ".join(self.phrases[0])
        if self.type_required and self.resource:
            return f"{verb} {self.resource}"
        return verb

    def usage_text(self) -> str:
        return "\n".join(self.usage)


_TABLE: tuple[Command, ...] = (
    Command(
        kind="list_pods",
        phrases=(("get",), ("list",), ()),
        resource="pods",
        type_required=True,
        usage=(f"get pods [-l SELECTOR] [-A] {_NS}", "pods in NAMESPACE"),
        examples=("get pods -n prod -l app=web", "pods in prod", "list pods -A"),
    ),
    Command(
        kind="describe_pod",
        phrases=(("describe",),),
        resource="pods",
        type_required=True,
        positionals=("name",),
        usage=(f"describe pod NAME {_NS}", "describe pod/NAME in NAMESPACE"),
        examples=("describe pod api-7f9c -n prod",),
    ),
    Command(
        kind="pod_logs",
        phrases=(("logs",), ("log",)),
        resource="pods",
        positionals=("name",),
        usage=(
            f"logs [pod/]NAME [-c CONTAINER] [--tail N] [--since 10m] [--previous] {_NS}",
            "logs NAME in NAMESPACE --tail 50",
        ),
        examples=("logs pod/api-7f9c -n staging --tail 100", "logs api-7f9c in staging -p"),
    ),
    Command(
        kind="list_events",
        phrases=(("get",), ("list",), ()),
        resource="events",
        type_required=True,
        usage=(
            f"get events [--for NAME] [--warnings] [--limit N] [-A] {_NS}",
            "events for NAME in NAMESPACE [--warnings]",
        ),
        examples=("get events -n prod", "events for web in prod --warnings"),
    ),
    Command(
        kind="list_deployments",
        phrases=(("get",), ("list",), ()),
        resource="deployments",
        type_required=True,
        usage=(f"get deployments [-l SELECTOR] [-A] {_NS}", "deployments in NAMESPACE"),
        examples=("get deployments -n prod", "deployments in prod"),
    ),
    Command(
        kind="describe_deployment",
        phrases=(("describe",),),
        resource="deployments",
        type_required=True,
        positionals=("name",),
        usage=(f"describe deploy NAME {_NS}", "describe deploy/NAME in NAMESPACE"),
        examples=("describe deploy web -n prod",),
    ),
    Command(
        kind="scale_deployment",
        phrases=(("scale",),),
        resource="deployments",
        positionals=("name", "replicas"),
        to_field="replicas",
        usage=(
            f"scale deploy/NAME --replicas N {_NS}",
            "scale deployment NAME to N in NAMESPACE",
            "scale NAME N -n NAMESPACE",
        ),
        examples=("scale deploy/web --replicas 5 -n prod", "scale deployment web to 5 in prod"),
    ),
    Command(
        kind="restart_deployment",
        phrases=(("restart",), ("rollout", "restart")),
        resource="deployments",
        positionals=("name",),
        usage=(f"restart deploy/NAME {_NS}", "rollout restart deployment/NAME -n NAMESPACE"),
        examples=("restart deploy/web -n prod", "rollout restart deployment/web -n prod"),
    ),
    Command(
        kind="rollback_deployment",
        phrases=(("rollback",), ("undo",), ("rollout", "undo")),
        resource="deployments",
        positionals=("name",),
        to_field="to_revision",
        usage=(
            f"rollback deploy/NAME [--to-revision N] {_NS}",
            "rollout undo deploy/NAME [--to-revision N] -n NAMESPACE",
            "undo deploy NAME [to revision N] in NAMESPACE",
        ),
        examples=("rollback deploy/web -n prod", "rollout undo deploy/web --to-revision 3 -n prod"),
    ),
    Command(
        kind="delete_pod",
        phrases=(("delete",),),
        resource="pods",
        type_required=True,
        positionals=("name",),
        usage=(f"delete pod NAME [--grace-period SECONDS] {_NS}",),
        examples=("delete pod api-7f9c -n prod", "delete pod/api-7f9c -n prod --grace-period 0"),
    ),
    Command(
        kind="list_containers",
        phrases=(("docker", "ps"),),
        usage=("docker ps [-a] [--host HOST]",),
        examples=("docker ps", "docker ps -a --host edge-1"),
    ),
    Command(
        kind="inspect_container",
        phrases=(("docker", "inspect"),),
        positionals=("container",),
        usage=("docker inspect CONTAINER [--host HOST]",),
        examples=("docker inspect web-1",),
    ),
    Command(
        kind="container_logs",
        phrases=(("docker", "logs"),),
        positionals=("container",),
        flag_overrides={"-n": "tail_lines"},
        usage=("docker logs CONTAINER [--tail N] [--since 10m] [--host HOST]",),
        examples=("docker logs web-1 --tail 50",),
    ),
    Command(
        kind="start_container",
        phrases=(("docker", "start"),),
        positionals=("container",),
        usage=("docker start CONTAINER [--host HOST]",),
        examples=("docker start web-1",),
    ),
    Command(
        kind="stop_container",
        phrases=(("docker", "stop"),),
        positionals=("container",),
        usage=("docker stop CONTAINER [-t SECONDS] [--host HOST]",),
        examples=("docker stop web-1 -t 5",),
    ),
    Command(
        kind="restart_container",
        phrases=(("docker", "restart"),),
        positionals=("container",),
        usage=("docker restart CONTAINER [-t SECONDS] [--host HOST | on HOST]",),
        examples=("docker restart web-1", "docker restart web-1 on edge-1"),
    ),
    Command(
        kind="health_report",
        phrases=(("health",), ("report",), ("health", "report"), ("how", "is"), ("how's",)),
        positionals=("namespace",),
        usage=("health [NAMESPACE] [--context CONTEXT] [--host HOST]", "report"),
        examples=("health", "health prod", "report", "how is prod?"),
    ),
    # ---- workloads beyond Deployments, rollout status/history, autoscalers (workload_ops)
    Command(
        kind="list_statefulsets",
        phrases=(("get",), ("list",), ()),
        resource="statefulsets",
        type_required=True,
        usage=(f"get sts [-l SELECTOR] [-A] {_NS}", "statefulsets in NAMESPACE"),
        examples=("get sts -n prod", "statefulsets in prod"),
    ),
    Command(
        kind="describe_statefulset",
        phrases=(("describe",),),
        resource="statefulsets",
        type_required=True,
        positionals=("name",),
        usage=(f"describe sts NAME {_NS}", "describe statefulset/NAME in NAMESPACE"),
        examples=("describe sts redis -n prod",),
    ),
    Command(
        kind="scale_statefulset",
        phrases=(("scale",),),
        resource="statefulsets",
        type_required=True,
        positionals=("name", "replicas"),
        to_field="replicas",
        usage=(f"scale sts/NAME --replicas N {_NS}", "scale statefulset NAME to N in NAMESPACE"),
        examples=("scale sts/redis --replicas 3 -n prod", "scale statefulset redis to 3 in prod"),
    ),
    Command(
        kind="restart_statefulset",
        phrases=(("restart",), ("rollout", "restart")),
        resource="statefulsets",
        type_required=True,
        positionals=("name",),
        usage=(f"restart sts/NAME {_NS}", "rollout restart statefulset/NAME -n NAMESPACE"),
        examples=("restart statefulset/redis -n prod", "restart the redis statefulset in prod"),
    ),
    Command(
        kind="rollback_statefulset",
        phrases=(("rollback",), ("undo",), ("rollout", "undo")),
        resource="statefulsets",
        type_required=True,
        positionals=("name",),
        to_field="to_revision",
        usage=(
            f"rollout undo sts/NAME [--to-revision N] {_NS}",
            "rollback statefulset NAME [to revision N] in NAMESPACE",
        ),
        examples=("rollout undo sts/redis -n prod", "rollback sts redis to revision 2 in prod"),
    ),
    Command(
        kind="list_daemonsets",
        phrases=(("get",), ("list",), ()),
        resource="daemonsets",
        type_required=True,
        usage=(f"get ds [-l SELECTOR] [-A] {_NS}", "daemonsets in NAMESPACE"),
        examples=("get ds -n logging", "daemonsets in logging"),
    ),
    Command(
        kind="describe_daemonset",
        phrases=(("describe",),),
        resource="daemonsets",
        type_required=True,
        positionals=("name",),
        usage=(f"describe ds NAME {_NS}", "describe daemonset/NAME in NAMESPACE"),
        examples=("describe ds fluentd -n logging",),
    ),
    Command(
        kind="restart_daemonset",
        phrases=(("restart",), ("rollout", "restart")),
        resource="daemonsets",
        type_required=True,
        positionals=("name",),
        usage=(f"restart ds/NAME {_NS}", "rollout restart daemonset/NAME -n NAMESPACE"),
        examples=("rollout restart ds/fluentd -n logging",),
    ),
    Command(
        kind="rollback_daemonset",
        phrases=(("rollback",), ("undo",), ("rollout", "undo")),
        resource="daemonsets",
        type_required=True,
        positionals=("name",),
        to_field="to_revision",
        usage=(
            f"rollout undo ds/NAME [--to-revision N] {_NS}",
            "rollback daemonset NAME [to revision N] in NAMESPACE",
        ),
        examples=("rollout undo ds/fluentd -n logging",),
    ),
    Command(
        kind="rollout_status_deployment",
        phrases=(("rollout", "status"),),
        resource="deployments",
        positionals=("name",),
        usage=(f"rollout status deploy/NAME {_NS}", "how is the NAME rollout going in NAMESPACE"),
        examples=("rollout status deploy/web -n prod", "how is the web rollout going in prod"),
    ),
    Command(
        kind="rollout_status_statefulset",
        phrases=(("rollout", "status"),),
        resource="statefulsets",
        type_required=True,
        positionals=("name",),
        usage=(f"rollout status sts/NAME {_NS}",),
        examples=("rollout status sts/redis -n prod",),
    ),
    Command(
        kind="rollout_status_daemonset",
        phrases=(("rollout", "status"),),
        resource="daemonsets",
        type_required=True,
        positionals=("name",),
        usage=(f"rollout status ds/NAME {_NS}",),
        examples=("rollout status ds/fluentd -n logging",),
    ),
    Command(
        kind="rollout_history_deployment",
        phrases=(("rollout", "history"),),
        resource="deployments",
        positionals=("name",),
        usage=(f"rollout history deploy/NAME {_NS}",),
        examples=("rollout history deploy/web -n prod",),
    ),
    Command(
        kind="rollout_history_statefulset",
        phrases=(("rollout", "history"),),
        resource="statefulsets",
        type_required=True,
        positionals=("name",),
        usage=(f"rollout history sts/NAME {_NS}",),
        examples=("rollout history sts/redis -n prod",),
    ),
    Command(
        kind="rollout_history_daemonset",
        phrases=(("rollout", "history"),),
        resource="daemonsets",
        type_required=True,
        positionals=("name",),
        usage=(f"rollout history ds/NAME {_NS}",),
        examples=("rollout history ds/fluentd -n logging",),
    ),
    Command(
        kind="list_hpas",
        phrases=(("get",), ("list",), ()),
        resource="hpas",
        type_required=True,
        usage=(f"get hpa [-A] {_NS}", "hpas in NAMESPACE"),
        examples=("get hpa -n prod", "hpas in prod"),
    ),
    Command(
        kind="describe_hpa",
        phrases=(("describe",),),
        resource="hpas",
        type_required=True,
        positionals=("name",),
        usage=(f"describe hpa NAME {_NS}", "describe hpa/NAME in NAMESPACE"),
        examples=("describe hpa/web -n prod",),
    ),
    Command(
        kind="set_hpa_replicas",
        phrases=(("set",),),
        resource="hpas",
        type_required=True,
        positionals=("name",),
        usage=(f"set hpa/NAME [--min N] [--max N] {_NS}",),
        examples=("set hpa/web --min 2 --max 10 -n prod",),
    ),
)

COMMANDS: dict[str, Command] = {command.kind: command for command in _TABLE}

# In catalog order, so help lists operations the way the catalog declares them.
ORDERED_COMMANDS: tuple[Command, ...] = tuple(
    COMMANDS[op.kind] for op in OPERATION_TYPES if op.kind in COMMANDS
)
