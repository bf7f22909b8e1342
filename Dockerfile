# opsbot webhook worker. Build: docker build -t opsbot .   Run a deployment: docker compose up
# (compose.yaml: PostgreSQL, the migration, three workers and nginx).

# Stage 1: the opsbot wheel and wheels of all its dependencies.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY jobs ./jobs
COPY storage ./storage
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

# Stage 2: only the installed wheels; no compiler, no sources, no tests.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    OPSBOT_MODE=webhook \
    OPSBOT_HTTP_HOST=0.0.0.0 \
    OPSBOT_HTTP_PORT=8080 \
    MPLCONFIGDIR=/tmp/matplotlib
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links=/wheels opsbot \
    && rm -rf /wheels \
    && useradd --system --uid 10001 --user-group --home-dir /app --create-home opsbot
WORKDIR /app
USER opsbot
EXPOSE 8080
# Liveness only (the process answers); /readyz (database, schema, draining) is for the proxy.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('OPSBOT_HTTP_PORT', '8080'), timeout=2)"]
# SIGTERM: /readyz turns 503, new updates are refused with 503 (nginx sends them to another
# worker), updates in flight finish, then the process exits.
STOPSIGNAL SIGTERM
CMD ["opsbot", "run", "--webhook"]
