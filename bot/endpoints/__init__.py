"""HTTP endpoints of the running bot: /healthz, /readyz and /metrics."""

from bot.endpoints.readiness import (
    CachedReadiness,
    Readiness,
    readiness_from_wiring,
    run_checks,
)
from bot.endpoints.server import EndpointServer, start_endpoints

__all__ = [
    "CachedReadiness",
    "EndpointServer",
    "Readiness",
    "readiness_from_wiring",
    "run_checks",
    "start_endpoints",
]
