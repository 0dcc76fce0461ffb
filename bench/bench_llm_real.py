"""Cold vs warm latency of the planner against a REAL OpenAI-compatible server (prefix caching).

The system prompt and tool list are identical for every request and the per-request data
comes after them, so a server with prefix caching (llama.cpp, vLLM) reuses the long stable
part: the first request pays for it (cold), the following ones only for their own tail.

    OPENAI_BASE_URL=http://127.0.0.1:PORT/v1 OPENAI_API_KEY=x OPSBOT_MODEL=m \
        uv run python bench/bench_llm_real.py [N]

Start the server as tests/fixtures/llama_server.py does (llama_cpp.server, chatml-function-
calling, --n_ctx 6144). Prints one line per request and the warm/cold ratio.
"""

from __future__ import annotations

import sys
import time

from bot.config import Settings
from bot.models import Principal, Request
from bot.planning.base import PlannerFailed, Proposed
from bot.planning.llm import OpenAIPlanner
from bot.planning.static_inventory import StaticInventory

REQUESTS = (
    "restart web in prod",
    "scale api in staging to 3",
    "show the logs of worker in prod",
    "restart api in prod",
    "list pods in staging",
)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else len(REQUESTS)
    settings = Settings()
    planner = OpenAIPlanner.from_settings(settings, max_retries=0)
    if planner is None:
        sys.exit("set OPENAI_API_KEY and OPENAI_BASE_URL (any key for a local server)")
    inventory = StaticInventory(
        deployments={"prod": ["web", "api", "worker"], "staging": ["api", "web-canary"]},
        pods={"prod": ["web-7f9c-abcde", "api-5d8b-klmno"], "staging": ["api-6c7d-uvwxy"]},
        containers=["nginx-edge"],
    )
    user = Principal(id="bench", name="bench")
    latencies = []
    for i in range(count):
        text = REQUESTS[i % len(REQUESTS)]
        started = time.perf_counter()
        outcome = planner.plan(
            Request(principal=user, text=text), requester=user, inventory=inventory
        )
        seconds = time.perf_counter() - started
        latencies.append(seconds)
        error = outcome.error if isinstance(outcome, PlannerFailed) else None
        kind = "error" if error else "plan" if isinstance(outcome, Proposed) else "no plan"
        print(
            f"{'cold' if i == 0 else 'warm'} {seconds:7.2f} s"
            f"  prompt {outcome.usage.prompt_tokens:5d}"
            f"  completion {outcome.usage.completion_tokens:4d}  {kind:<8} {text!r}"
            + (f"  ({error})" if error else "")
        )
    if len(latencies) > 1:
        warm = sum(latencies[1:]) / (len(latencies) - 1)
        print(
            f"cold {latencies[0]:.2f} s, warm mean {warm:.2f} s,"
            f" warm/cold {warm / latencies[0]:.2f}"
        )


if __name__ == "__main__":
    main()
