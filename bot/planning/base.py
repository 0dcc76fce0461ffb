"""The planner contract. The explicit parser runs first; a Planner (the LLM) handles the rest.

A planner never executes anything: it proposes a Plan of catalog operations (or abstains, or
asks a clarifying question, or answers a diagnosis with cited evidence): a PlannerOutcome,
exactly one of five results. The service then grounds, polices and previews a plan like any
other.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from pydantic import BaseModel

from bot.catalog import Operation
from bot.models import Principal, Request
from bot.plan import Plan


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    model: str | None = None
    latency_ms: float = 0.0


FALLBACK_HINT = "Use an explicit command instead (type `help` for the list)."


@dataclass(frozen=True)
class Proposed:
    """A plan of catalog operations, held to the user's words and grounded (source="llm").

    `evidence`: the read calls the model made; `rejected_names`: names in steps the guard
    blocked (never shown back, but measured as hallucinations)."""

    plan: Plan
    evidence: list[str] = field(default_factory=list)
    rejected_names: list[str] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)


@dataclass(frozen=True)
class Clarify:
    """A question back to the user (the model asked, or a name did not ground).

    `answer`: a diagnosis the model gave in the same turn; when present it is what the user
    sees (the question is for the eval and the log)."""

    question: str
    answer: str | None = None
    evidence: list[str] = field(default_factory=list)
    rejected_names: list[str] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)


@dataclass(frozen=True)
class Abstain:
    """No plan, by choice: the model declined, or a proposal was out of scope, too long or
    invalid. `answer` as in Clarify."""

    reason: str
    answer: str | None = None
    evidence: list[str] = field(default_factory=list)
    rejected_names: list[str] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)


@dataclass(frozen=True)
class Answer:
    """A diagnosis citing its evidence ([E1] ...); `evidence` lists the read calls cited."""

    text: str
    evidence: list[str] = field(default_factory=list)
    rejected_names: list[str] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)


@dataclass(frozen=True)
class PlannerFailed:
    """The language model could not be used (timeout, HTTP error, empty reply): not a choice."""

    error: str
    usage: Usage = field(default_factory=Usage)

    @property
    def message(self) -> str:
        """What the user is told."""
        return f"{self.error} Nothing was planned. {FALLBACK_HINT}"


type PlannerOutcome = Proposed | Clarify | Abstain | Answer | PlannerFailed


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
