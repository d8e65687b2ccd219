# One image for every vocals service: `python -m services.<name>` picks the service (see compose.yaml).
# Dependencies come from uv.lock exactly; the project itself runs from source, as a non-root user.

FROM ghcr.io/astral-sh/uv:0.13.9 AS uv

FROM python:3.11.14-slim-bookworm AS build
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/venv
WORKDIR /src
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \
    --mount=type=bind,source=uv.lock,target=uv.lock \
    uv sync --frozen --no-dev --no-install-project

FROM python:3.11.14-slim-bookworm AS runtime
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin vocals \
    && install -d -o vocals -g vocals /data
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY schemas/ schemas/
COPY services/ services/
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
USER vocals
VOLUME ["/data"]
EXPOSE 8080 8081 8082
CMD ["python", "-m", "services.receiver"]
