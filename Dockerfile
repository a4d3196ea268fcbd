# eservice API and worker image. Build: docker build -t eservice .
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    PATH="/app/.venv/bin:$PATH"

WORKDIR /app
RUN pip install --no-cache-dir "uv==0.13.9"

# Dependencies first (cached layer), then the project itself.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY src ./src
COPY migrations ./migrations
COPY services ./services
COPY workflows ./workflows
RUN uv sync --frozen --no-dev

RUN useradd --system --uid 10001 --home-dir /app eservice && mkdir -p /app/.data \
    && chown -R eservice /app/.data
USER eservice

ENV ESERVICE_HOST=0.0.0.0 ESERVICE_PORT=8000 ESERVICE_DATA_DIR=/app/.data
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=5 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health/ready', timeout=2).status == 200 else 1)"
CMD ["eservice", "serve"]
