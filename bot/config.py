"""One settings model for the whole bot, read from the environment (prefix-free names where the
platform has a convention, OPSBOT_* otherwise). Every token is a SecretStr."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPSBOT_", extra="ignore", populate_by_name=True)

    # --- core
    policy_path: Path = Field(default=Path("policies"), description="policy file or folder")
    redis_url: str | None = Field(default=None, validation_alias="REDIS_URL")
    key_prefix: str = Field(default="opsbot", description="prefix of every Redis key")
    redis_ack_replicas: int | None = Field(
        default=None,
        ge=0,
        le=5,
        description="replicas that must acknowledge (WAIT) the writes that start a plan; "
        "unset: 1 with redis+sentinel:// or redis+cluster://, 0 with one server",
    )
    redis_ack_timeout_ms: int = Field(
        default=500, ge=10, le=1500, description="how long to WAIT for those replicas"
    )
    log_level: str = "INFO"

    # --- Kubernetes
    kube_context: str | None = Field(default=None, description="kubeconfig context to use")
    kube_in_cluster: bool = Field(default=False, description="use the pod's ServiceAccount")
    kube_impersonate: bool = Field(
        default=False, description="act as the requester so the cluster's RBAC applies"
    )
    kube_user_map: dict[str, str] = Field(
        default_factory=dict, description="chat user id -> Kubernetes user, for impersonation"
    )
    kube_timeout_seconds: float = Field(default=15.0, gt=0, le=300)
    kube_disabled: bool = False

    # --- Docker: alias -> DOCKER_HOST url; "default" falls back to DOCKER_HOST
    docker_hosts: dict[str, str] = Field(default_factory=dict)
    docker_timeout_seconds: float = Field(default=15.0, gt=0, le=300)
    docker_disabled: bool = False

    # --- output
    max_output_chars: int = Field(default=3500, ge=200, le=100_000)

    # --- Slack
    slack_bot_token: SecretStr | None = Field(default=None, validation_alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(
        default=None, validation_alias="SLACK_SIGNING_SECRET"
    )
    slack_app_token: SecretStr | None = Field(default=None, validation_alias="SLACK_APP_TOKEN")
    slack_api_url: str | None = Field(default=None, description="Slack Web API base URL override")
    slack_channels: list[str] = Field(
        default_factory=list, description="channel ids the bot serves; empty: every channel"
    )
    approve_emoji: str = "white_check_mark"
    reject_emoji: str = "x"
    undo_emoji: str = "leftwards_arrow_with_hook"

    # --- Matrix (bot/adapters/matrix/); emoji: the approve/reject/undo settings above
    matrix_homeserver: str | None = Field(
        default=None, validation_alias="MATRIX_HOMESERVER", description="https://matrix.example.org"
    )
    matrix_user_id: str | None = Field(
        default=None, validation_alias="MATRIX_USER_ID", description="the bot, @opsbot:example.org"
    )
    matrix_access_token: SecretStr | None = Field(
        default=None, validation_alias="MATRIX_ACCESS_TOKEN"
    )
    matrix_password: SecretStr | None = Field(default=None, validation_alias="MATRIX_PASSWORD")
    matrix_rooms: list[str] = Field(
        default_factory=list,
        description="room ids or aliases the bot joins and serves (plus direct messages); "
        "invites to other rooms are declined",
    )
    matrix_power_level_groups: dict[int, str] = Field(
        default_factory=dict,
        description="room power level -> policy group: a user whose power level in the room "
        "is at least the level gets the group. Empty (default): power levels grant nothing",
    )

    # --- LLM
    openai_api_key: SecretStr | None = Field(default=None, validation_alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(default=None, validation_alias="OPENAI_BASE_URL")
    model: str = "gpt-4o-mini"
    llm_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    llm_max_steps: int = Field(default=4, ge=1, le=10)
    llm_max_tokens: int = Field(
        default=512, ge=16, le=32768, description="completion cap sent on every model call"
    )
    llm_rate_limit_per_minute: int = Field(default=10, ge=1, le=1000)
    request_rate_limit_per_minute: int = Field(
        default=30, ge=1, le=10000, description="every request of one user, across replicas"
    )
    llm_max_lookups_per_reply: int = Field(
        default=5, ge=1, le=50, description="diagnosis lookups run per model reply; more: not run"
    )
    llm_max_lookups_per_request: int = Field(
        default=12, ge=1, le=100, description="diagnosis lookups run per request; more: not run"
    )

    # --- reports and endpoints
    reports_config: Path | None = Field(default=None, description="YAML file of report schedules")
    http_host: str = Field(default="127.0.0.1", description="address of /healthz, /metrics")
    http_port: int = Field(default=8080, ge=0, le=65535)

    # --- Alertmanager receiver (bot/receivers/alertmanager; on when alerts_routing is set)
    alerts_routing: Path | None = Field(default=None, description="routing YAML; unset: off")
    alerts_runbooks: Path | None = Field(default=None, description="runbooks YAML")
    alerts_token: SecretStr | None = Field(default=None, description="bearer token it accepts")
    alerts_basic_user: str | None = None
    alerts_basic_password: SecretStr | None = None
    alerts_host: str = Field(default="127.0.0.1", description="address of POST /alertmanager")
    alerts_port: int = Field(default=9095, ge=0, le=65535)
    alerts_principal: str = Field(
        default="alertmanager", description="the policy user alert requests come from"
    )
    alerts_rate_limit_per_minute: int = Field(
        default=600,
        ge=1,
        le=100000,
        description="the alert principal's own request limit (an alert storm is not one user)",
    )
    alerts_max_pending: int = Field(
        default=50, ge=1, le=1000, description="the alert principal's own pending-plan cap"
    )

    # --- deployment (Helm chart)
    readiness_timeout_seconds: float = Field(
        default=4.0, gt=0, le=60, description="/readyz: give up on a slow check after this long"
    )
    enabled_operations: list[str] = Field(
        default_factory=list,
        description="catalog kinds this deployment may run (the chart's operations.enabled, whose "
        "RBAC it grants); empty: every kind",
    )

    # --- Slack user groups -> policy groups (security review M2)
    slack_group_map: dict[str, str] = Field(
        default_factory=dict,
        description="Slack user group id (S0123ABCD, preferred: ids never change) or handle -> "
        "policy group name; only mapped user groups count as policy groups. Empty: none do, "
        "approvals rely on the policy's static groups",
    )
    slack_groups_cache_seconds: float = Field(
        default=300.0,
        ge=0,
        le=3600,
        description="how long Slack user group membership is cached; a user removed from a "
        "mapped group stops counting (as requester or voter) at most this long after",
    )

    # --- recovery of plans whose bot replica stopped mid-run
    max_pending_per_user: int = Field(
        default=5,
        ge=1,
        le=1000,
        description="cap on one user's plans waiting for approval, shared by replicas (Redis)",
    )
    # --- durable intake (bot/workqueue): what a receiver acked is in Redis until handled
    intake_claim_after_seconds: float = Field(
        default=60.0,
        ge=1,
        le=3600,
        description="work held by a worker that died is taken over by another replica after "
        "this long (a live worker refreshes its entry, however long the work takes)",
    )
    intake_max_attempts: int = Field(
        default=3,
        ge=1,
        le=100,
        description="an entry delivered more often (its workers kept dying or failing) is given "
        "up: logged as an error and its requester told",
    )
    intake_max_entries: int = Field(
        default=100_000,
        ge=1000,
        le=10_000_000,
        description="cap on unhandled intake entries: past it new work is refused (the receiver "
        "answers 500, Slack retries); recorded entries are never trimmed",
    )
    shutdown_grace_seconds: float = Field(
        default=25.0,
        ge=0,
        le=3600,
        description="on SIGTERM, how long workers may finish the entry they hold (keep it below "
        "the pod's terminationGracePeriodSeconds; the chart derives one from the other)",
    )
    worker_nice: int = Field(
        default=5,
        ge=0,
        le=19,
        description="worker processes (`opsbot serve --workers N`) run this much nicer than the "
        "receiver, so acks win the CPU",
    )
    interrupted_after_seconds: int = Field(
        default=900,
        ge=60,
        le=86400,
        description="a plan still executing this long after its approval is taken as "
        "interrupted (its replica stopped): marked failed, never re-run, and its thread told",
    )
