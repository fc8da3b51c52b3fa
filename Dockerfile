# appban-monitor: one process, state (SQLite + models) in the /data volume.
# Build: docker build -t appban-monitor .      Run: see docker-compose.yml and the README.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# An unprivileged user owns the state; the code stays root-owned and read-only to it.
RUN useradd --system --uid 10001 --user-group --home-dir /data --shell /usr/sbin/nologin monitor \
    && mkdir -p /data /config \
    && chown monitor:monitor /data

WORKDIR /app
# Dependencies first, from the pins (a layer that survives code changes).
COPY requirements.lock ./
RUN pip install --no-deps --root-user-action=ignore -r requirements.lock
COPY pyproject.toml README.md ./
COPY monitor ./monitor
COPY classifiers ./classifiers
COPY training ./training
COPY state ./state
RUN pip install --no-deps --root-user-action=ignore .

# Defaults for the container; tokens come from the environment (.env), never the image.
ENV MONITOR_STATE_PATH=/data/monitor.sqlite3 \
    MONITOR_HTTP_LISTEN=0.0.0.0:8080
VOLUME ["/data"]
EXPOSE 8080
USER monitor

HEALTHCHECK --interval=60s --timeout=5s --start-period=10m --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request as u; sys.exit(u.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status != 200)"]

# SIGTERM: the service finishes or abandons the running cycle and exits (well within 30 s).
STOPSIGNAL SIGTERM
ENTRYPOINT ["monitor"]
CMD ["run"]
