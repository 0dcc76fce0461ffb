# syntax=docker/dockerfile:1
# opsbot image: uv builds a locked virtual environment, the runtime stage is the same slim
# Python with only that environment, the policies and a non-root user.
#   docker build -t opsbot:0.1.0 .
#   docker run --rm --read-only --tmpfs /tmp opsbot:0.1.0 policy check /app/policies

FROM ghcr.io/astral-sh/uv:0.13.9 AS uv

# ---------------------------------------------------------------------------- build
FROM python:3.12.8-slim-bookworm AS build
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.12 \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /src
# Dependencies first (cached while only the code changes), exactly as locked.
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project
COPY README.md ./
COPY bot ./bot
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable

# ---------------------------------------------------------------------------- runtime
FROM python:3.12.8-slim-bookworm AS runtime
RUN groupadd --system --gid 10001 opsbot \
    && useradd --system --uid 10001 --gid 10001 --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin opsbot
COPY --from=build /app/.venv /app/.venv
COPY policies/ /app/policies/
# Nothing is written outside /tmp: no bytecode caches, HOME on /tmp, unbuffered logs.
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    OPSBOT_POLICY_PATH=/app/policies
WORKDIR /app
USER 10001:10001
EXPOSE 8080 3000
ENTRYPOINT ["opsbot"]
CMD ["serve"]
