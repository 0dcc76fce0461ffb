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
    generic: resource types no other command of the verb takes go to this one, as its first
    positional (the backend finds them by discovery): `get certificates.cert-manager.io`.
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
    filler_words: frozenset[str] = frozenset()  # bare words read as nothing: "trigger x now"
    generic: bool = False

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
    # ---- Jobs, CronJobs and Nodes (bot/catalog/jobs_nodes_ops.py)
    Command(
        kind="list_cronjobs",
        phrases=(("get",), ("list",), ()),
        resource="cronjobs",
        type_required=True,
        usage=(f"get cronjobs [-l SELECTOR] [-A] {_NS}", "cronjobs in NAMESPACE"),
        examples=("get cronjobs -n prod", "cronjobs in prod"),
    ),
    Command(
        kind="describe_cronjob",
        phrases=(("describe",),),
        resource="cronjobs",
        type_required=True,
        positionals=("name",),
        usage=(f"describe cronjob NAME {_NS}", "describe cronjob/NAME in NAMESPACE"),
        examples=("describe cronjob/nightly-backup -n prod",),
    ),
    Command(
        kind="trigger_cronjob",
        phrases=(("trigger",), ("run",)),
        resource="cronjobs",
        positionals=("name",),
        filler_words=frozenset({"now"}),
        usage=(f"trigger cronjob/NAME [now] {_NS}", "run cronjob NAME now in NAMESPACE"),
        examples=("trigger cronjob/nightly-backup -n prod", "trigger cronjob/nightly-backup now"),
    ),
    Command(
        kind="suspend_cronjob",
        phrases=(("suspend",), ("pause",)),
        resource="cronjobs",
        positionals=("name",),
        usage=(f"suspend cronjob/NAME {_NS}", "pause cronjob NAME in NAMESPACE"),
        examples=("suspend cronjob/nightly-backup -n prod",),
    ),
    Command(
        kind="resume_cronjob",
        phrases=(("resume",), ("unsuspend",)),
        resource="cronjobs",
        positionals=("name",),
        usage=(f"resume cronjob/NAME {_NS}", "resume cronjob NAME in NAMESPACE"),
        examples=("resume cronjob/nightly-backup -n prod",),
    ),
    Command(
        kind="list_jobs",
        phrases=(("get",), ("list",), ()),
        resource="jobs",
        type_required=True,
        usage=(f"get jobs [-l SELECTOR] [-A] {_NS}", "jobs in NAMESPACE"),
        examples=("get jobs -n prod", "jobs in prod"),
    ),
    Command(
        kind="describe_job",
        phrases=(("describe",),),
        resource="jobs",
        type_required=True,
        positionals=("name",),
        usage=(f"describe job NAME {_NS}", "describe job/NAME in NAMESPACE"),
        examples=("describe job/nightly-backup-28110 -n prod",),
    ),
    Command(
        kind="delete_job",
        phrases=(("delete",),),
        resource="jobs",
        type_required=True,
        positionals=("name",),
        usage=(f"delete job NAME [--even-if-active] {_NS}",),
        examples=("delete job/nightly-backup-28110 -n prod",),
    ),
    Command(
        kind="list_nodes",
        phrases=(("get",), ("list",), ()),
        resource="nodes",
        type_required=True,
        usage=("get nodes [-l SELECTOR] [--context CONTEXT]", "nodes"),
        examples=("get nodes", "nodes"),
    ),
    Command(
        kind="describe_node",
        phrases=(("describe",),),
        resource="nodes",
        type_required=True,
        positionals=("name",),
        usage=("describe node NAME [--context CONTEXT]", "describe node/NAME"),
        examples=("describe node/node-3",),
    ),
    Command(
        kind="cordon_node",
        phrases=(("cordon",),),
        resource="nodes",
        positionals=("name",),
        usage=("cordon [node/]NAME [--context CONTEXT]",),
        examples=("cordon node-3", "cordon node/node-3"),
    ),
    Command(
        kind="uncordon_node",
        phrases=(("uncordon",),),
        resource="nodes",
        positionals=("name",),
        usage=("uncordon [node/]NAME [--context CONTEXT]",),
        examples=("uncordon node-3",),
    ),
    Command(
        kind="drain_node",
        phrases=(("drain",),),
        resource="nodes",
        positionals=("name",),
        usage=(
            "drain [node/]NAME [--delete-emptydir-data] [--timeout SECONDS] [--context CONTEXT]",
        ),
        examples=("drain node-3", "drain node/node-3 --delete-emptydir-data --timeout 300"),
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
    # day-2 reads (bot/catalog/reads_ops.py)
    Command(
        kind="list_services",
        phrases=(("get",), ("list",), ()),
        resource="services",
        type_required=True,
        positionals=("name",),
        usage=(f"get svc [NAME] [-A] {_NS}", "services in NAMESPACE"),
        examples=("get svc -n prod", "services in prod"),
    ),
    Command(
        kind="describe_service",
        phrases=(("describe",),),
        resource="services",
        type_required=True,
        positionals=("name",),
        usage=(f"describe svc NAME {_NS}", "describe svc/NAME in NAMESPACE"),
        examples=("describe svc/web -n prod",),
    ),
    Command(
        kind="list_ingresses",
        phrases=(("get",), ("list",), ()),
        resource="ingresses",
        type_required=True,
        positionals=("name",),
        usage=(f"get ingress [NAME] [-A] {_NS}", "ingresses in NAMESPACE"),
        examples=("get ingress -n prod", "ingresses in prod"),
    ),
    Command(
        kind="get_configmaps",
        phrases=(("get",), ("list",), ("describe",), ()),
        resource="configmaps",
        type_required=True,
        positionals=("name",),
        usage=(f"get cm [NAME] [-A] {_NS}", "configmaps in NAMESPACE"),
        examples=("get configmap app-config -n prod", "get cm -n prod", "configmaps in prod"),
    ),
    Command(
        kind="read_configmap_values",
        phrases=(("values",),),
        resource="configmaps",
        positionals=("name",),
        usage=(f"values cm/NAME {_NS}", "values configmap NAME in NAMESPACE"),
        examples=("values cm/app-config -n prod",),
    ),
    Command(
        kind="list_namespaces",
        phrases=(("get",), ("list",), ()),
        resource="namespaces",
        type_required=True,
        usage=("get ns [--context CONTEXT]", "namespaces"),
        examples=("get ns", "namespaces"),
    ),
    Command(
        kind="list_pvcs",
        phrases=(("get",), ("list",), ()),
        resource="persistentvolumeclaims",
        type_required=True,
        usage=(f"get pvc [-A] {_NS}", "pvcs in NAMESPACE"),
        examples=("get pvc -n prod", "pvcs in prod"),
    ),
    Command(
        kind="get_resource",
        phrases=(("get",),),
        positionals=("resource_type", "name"),
        generic=True,
        usage=(f"get KIND [NAME] [-A] {_NS}", "get KIND/NAME in NAMESPACE"),
        examples=("get certificates.cert-manager.io -n prod", "get replicasets -n prod"),
    ),
    Command(
        kind="docker_stats",
        phrases=(("docker", "stats"),),
        positionals=("container",),
        usage=("docker stats [CONTAINER] [--host HOST]",),
        examples=("docker stats", "docker stats --host edge-1"),
    ),
    Command(
        kind="docker_top",
        phrases=(("docker", "top"),),
        positionals=("container",),
        usage=("docker top CONTAINER [--host HOST]",),
        examples=("docker top web-1",),
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
