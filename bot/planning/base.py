"""The planner contract. The explicit parser runs first; a Planner (the LLM) handles the rest.

A planner never executes anything: it proposes a Plan of catalog operations (or abstains, or
asks a clarifying question, or answers a diagnosis with cited evidence). The service then
grounds, polices and previews that plan like any other.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from pydantic import BaseModel, Field

from bot.catalog import Operation
from bot.models import Principal, Request
from bot.plan import Plan


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    model: str | None = None
    latency_ms: float = 0.0


class PlannerOutcome(BaseModel):
    """Exactly one of plan / clarification / abstain_reason / answer is the main content."""

    plan: Plan | None = None
    clarification: str | None = Field(default=None, description="question back to the user")
    abstain_reason: str | None = Field(default=None, description="why no plan was produced")
    answer: str | None = Field(default=None, description="diagnosis text citing evidence")
    evidence: list[str] = Field(default_factory=list, description="read calls the answer used")
    usage: Usage = Field(default_factory=Usage)
    error: str | None = Field(
        default=None, description="the LLM could not be used (timeout, HTTP error); not a choice"
    )
    rejected_names: list[str] = Field(
        default_factory=list, description="names the model proposed that grounding rejected"
    )


class Inventory(Protocol):
    """Live names for grounding: what exists, so plans never name what does not."""

    def namespaces(self) -> list[str]: ...

    def names(self, resource: str, *, namespace: str | None = None) -> list[str]:
        """resource: "pods" | "deployments" | "containers" (for containers, `namespace` is
        the Docker host alias)."""
        ...


class Planner(Protocol):
    def plan(
        self,
        request: Request,
        *,
        requester: Principal,
        inventory: Inventory,
        allowed_namespaces: Sequence[str] = ("*",),
        default_context: str | None = None,
        lookup: Callable[[Operation], str] | None = None,
    ) -> PlannerOutcome:
        """`allowed_namespaces`: where the requester may read; names elsewhere stay unseen.
        `default_context`: the deployment's context; any other must be named by the user.
        `lookup`: runs one read for this request, policed and run as `requester` (None: the
        planner plans without looking anything up)."""
        ...
