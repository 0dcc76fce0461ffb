"""The receiver's two reviewed files: routing (which channel, which runbooks) and runbooks
(alert -> catalog plan). Read like policies: unknown keys are errors, every problem is one line
`file:line: path: message`, and `opsbot alerts check FILE` prints them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.catalog import OPERATIONS
from bot.policy.loader import format_error, read_yaml
from bot.receivers.alertmanager.matchers import Matcher, all_match, parse_matcher

MAX_ROUTES = 500
MAX_RUNBOOKS = 500


class ConfigError(Exception):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


def _matchers(values: list[str]) -> tuple[Matcher, ...]:
    return tuple(parse_matcher(v) for v in values)


class Route(_Strict):
    name: str = Field(min_length=1, max_length=100)
    matchers: list[str] = Field(default_factory=list, max_length=50)
    channel: str = Field(min_length=1, max_length=100)
    runbooks: list[str] = Field(
        default_factory=lambda: ["*"], description="runbook names to apply; ['*']: all; []: none"
    )
    evidence: bool = True
    diagnose: bool = Field(
        default=False, description="with an LLM configured, post its diagnosis in the thread"
    )

    @field_validator("matchers")
    @classmethod
    def _parse(cls, values: list[str]) -> list[str]:
        _matchers(values)
        return values

    def compiled(self) -> tuple[Matcher, ...]:
        return _matchers(self.matchers)

    def uses(self, runbook: str) -> bool:
        return "*" in self.runbooks or runbook in self.runbooks


class Routing(_Strict):
    """Routes are tried in order; the first whose matchers all match the group's common
    labels wins. No route: `unrouted: default` posts to `default_channel`, `drop` posts nothing."""

    routes: list[Route] = Field(default_factory=list, max_length=MAX_ROUTES)
    unrouted: Literal["default", "drop"] = "default"
    default_channel: str | None = Field(default=None, min_length=1, max_length=100)
    default_runbooks: list[str] = Field(default_factory=lambda: ["*"])
    default_diagnose: bool = False

    @model_validator(mode="after")
    def _default_needs_channel(self) -> Routing:
        if self.unrouted == "default" and not self.default_channel:
            raise ValueError("unrouted: default needs default_channel: (or write unrouted: drop)")
        return self

    def route(self, labels: dict[str, str]) -> Route | None:
        for route in self.routes:
            if all_match(route.compiled(), labels):
                return route
        if self.unrouted == "default" and self.default_channel:
            return Route(
                name="default",
                channel=self.default_channel,
                runbooks=self.default_runbooks,
                diagnose=self.default_diagnose,
            )
        return None


class FromLabel(_Strict):
    """The value of one of the alert's labels (untrusted: the catalog model validates it)."""

    label: str = Field(min_length=1, max_length=100)


class Fixed(_Strict):
    value: str | int | bool


class DeploymentOfPod(_Strict):
    """The Deployment that owns the pod named by this label, found by reads (pod ->
    ReplicaSet -> Deployment) as the alert principal."""

    deployment_of_pod: str = Field(min_length=1, max_length=100)


ParamSource = Annotated[FromLabel | Fixed | DeploymentOfPod, Field(union_mode="left_to_right")]


class Runbook(_Strict):
    name: str = Field(min_length=1, max_length=100)
    alertname: str = Field(min_length=1, max_length=200)
    matchers: list[str] = Field(default_factory=list, max_length=50)
    operation: str
    params: dict[str, ParamSource] = Field(default_factory=dict)
    note: str | None = Field(default=None, max_length=500, description="shown beside the fix")

    @field_validator("matchers")
    @classmethod
    def _parse(cls, values: list[str]) -> list[str]:
        _matchers(values)
        return values

    @model_validator(mode="after")
    def _catalog(self) -> Runbook:
        op = OPERATIONS.get(self.operation)
        if op is None:
            raise ValueError(f"operation: {self.operation!r} is not a catalog operation")
        fields = set(op.model_fields) - {"operation"}
        unknown = sorted(set(self.params) - fields)
        if unknown:
            raise ValueError(
                f"params: {', '.join(unknown)} not a parameter of {self.operation} "
                f"(it has {', '.join(sorted(fields))})"
            )
        return self

    def applies(self, labels: dict[str, str]) -> bool:
        return labels.get("alertname") == self.alertname and all_match(
            _matchers(self.matchers), labels
        )


class Runbooks(_Strict):
    runbooks: list[Runbook] = Field(default_factory=list, max_length=MAX_RUNBOOKS)

    @model_validator(mode="after")
    def _unique(self) -> Runbooks:
        names = [r.name for r in self.runbooks]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"runbook names must be unique: {', '.join(twice)}")
        return self

    def for_alert(self, labels: dict[str, str], route: Route) -> Runbook | None:
        return next((r for r in self.runbooks if route.uses(r.name) and r.applies(labels)), None)


def _load[M: BaseModel](file: Path, model: type[M]) -> M:
    loaded = read_yaml(file)
    if isinstance(loaded, list):
        raise ConfigError(loaded)
    data, node = loaded
    if not isinstance(data, dict):
        raise ConfigError([f"{file}: the top level must be a mapping"])
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise ConfigError([format_error(file, e, data, node, model) for e in err.errors()]) from err


def load_routing(file: Path) -> Routing:
    return _load(file, Routing)


def load_runbooks(file: Path) -> Runbooks:
    return _load(file, Runbooks)


def check_files(files: list[Path]) -> list[str]:
    """Problems in routing and runbook files (told apart by their top-level key), including
    routes naming a runbook no file defines."""
    problems: list[str] = []
    routings: list[tuple[Path, Routing]] = []
    names: set[str] = set()
    for file in files:
        loaded = read_yaml(file)
        data: Any = None if isinstance(loaded, list) else loaded[0]
        try:
            if isinstance(data, dict) and "runbooks" in data and "routes" not in data:
                names |= {r.name for r in load_runbooks(file).runbooks}
            else:
                routings.append((file, load_routing(file)))
        except ConfigError as err:
            problems.extend(err.problems)
    if names or len(routings) < len(files):
        for file, routing in routings:
            for i, route in enumerate(routing.routes):
                missing = [n for n in route.runbooks if n != "*" and n not in names]
                if missing:
                    problems.append(
                        f"{file}: routes[{i}].runbooks: no runbook named {', '.join(missing)}"
                    )
    return problems
