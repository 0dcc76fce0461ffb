"""The eval case file format (YAML). See README "LLM planning and evaluation"."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.planning.static_inventory import StaticInventory

Outcome = Literal["plan", "answer", "abstain", "clarification", "decline"]
"""decline: abstain or clarification are both right (ambiguous requests)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InventorySpec(_Strict):
    namespaces: list[str] = Field(default_factory=list)
    deployments: dict[str, list[str]] = Field(default_factory=dict)
    pods: dict[str, list[str]] = Field(default_factory=dict)
    containers: list[str] = Field(default_factory=list)
    objects: dict[str, dict[str, list[str]]] = Field(
        default_factory=dict, description="other resources: {statefulsets: {prod: [redis]}}"
    )
    contexts: list[str] | None = Field(
        default=None, description="kubeconfig contexts; null: unchecked"
    )
    docker_hosts: list[str] | None = Field(default=None, description="Docker host aliases")
    cluster_objects: dict[str, list[str]] = Field(
        default_factory=dict, description="cluster-scoped resources: {nodes: [node-3]}"
    )

    def build(self) -> StaticInventory:
        return StaticInventory(
            namespaces=self.namespaces,
            deployments=self.deployments,
            pods=self.pods,
            containers=self.containers,
            objects=self.objects,
            contexts=self.contexts,
            docker_hosts=self.docker_hosts,
            cluster_objects=self.cluster_objects,
        )


class Expectation(_Strict):
    outcome: Outcome = "plan"
    steps: list[dict[str, Any]] = Field(
        default_factory=list, description="plan steps; each lists only the fields that matter"
    )
    mentions: list[str] = Field(
        default_factory=list, description="substrings the reply text must contain"
    )
    no_writes: bool = Field(default=False, description="no write step may be proposed")


class Case(_Strict):
    id: str = Field(min_length=1)
    request: str = Field(min_length=1)
    expect: Expectation
    tags: list[str] = Field(default_factory=list)
    allowed_namespaces: list[str] = Field(default_factory=lambda: ["*"])
    reads: dict[str, str] = Field(
        default_factory=dict, description="canned lookup output by operation kind"
    )


class CaseFile(_Strict):
    version: Literal[1] = 1
    inventory: InventorySpec
    reads: dict[str, str] = Field(default_factory=dict)
    cases: list[Case] = Field(min_length=1)


class CaseFileError(Exception):
    pass


def load_cases(path: Path) -> CaseFile:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CaseFileError(f"cannot read {path}: {exc}") from exc
    try:
        cases = CaseFile.model_validate(data)
    except ValidationError as exc:
        raise CaseFileError(f"{path} is not a valid eval case file:\n{exc}") from exc
    ids = [c.id for c in cases.cases]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise CaseFileError(f"{path}: duplicate case ids: {', '.join(duplicates)}")
    return cases
