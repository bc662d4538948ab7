# Build stage: the dependencies from the lock file (hashes checked), then the project, in a
# venv; no build tools are kept.
FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/venv
COPY requirements.txt ./
# Exactly the locked packages (the lock lists every one), then a check that they fit.
RUN /opt/venv/bin/pip install --no-cache-dir --no-deps --require-hashes -r requirements.txt
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY storage ./storage
COPY config ./config
RUN /opt/venv/bin/pip install --no-cache-dir --no-deps . && /opt/venv/bin/pip check

# Run stage: the venv only, as an unprivileged user (by number, which any host resolves),
# the database on a volume. Servers listen on every interface of the container (metrics only
# once METRICS_PORT is set); publishing a port is the operator's choice.
FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin articlebot \
    && mkdir -p /data && chown 10001 /data
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    DATABASE_PATH=/data/articlebot.db \
    WEBHOOK_LISTEN=0.0.0.0 \
    METRICS_LISTEN=0.0.0.0 \
    HOOKS_LISTEN=0.0.0.0
USER 10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8443
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 \
    CMD ["articlebot", "health"]
STOPSIGNAL SIGTERM
CMD ["articlebot", "run"]
