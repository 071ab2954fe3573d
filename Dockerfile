# syntax=docker/dockerfile:1
# Multi-stage: build a virtualenv with taskhub installed, then copy only that into a slim runtime.
# BASE_IMAGE can point at a local base (scripts/container-smoke.sh builds one where no registry is reachable).
ARG BASE_IMAGE=python:3.12-slim

FROM ${BASE_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python3 -m venv /opt/taskhub
# Dependencies first, exactly as locked (hashes checked), so this layer is cached across code changes.
COPY requirements.lock ./
RUN /opt/taskhub/bin/pip install --no-compile --require-hashes -r requirements.lock
COPY pyproject.toml README.md alembic.ini ./
COPY src ./src
COPY migrations ./migrations
# taskhub itself, without resolving anything again: the wheel carries the code and the migrations.
RUN /opt/taskhub/bin/pip install --no-compile --no-deps . \
    && /opt/taskhub/bin/python -m compileall -q /opt/taskhub/lib

FROM ${BASE_IMAGE} AS runtime
RUN groupadd --system --gid 10001 taskhub \
    && useradd --system --uid 10001 --gid taskhub --no-create-home --shell /usr/sbin/nologin taskhub
COPY --from=build /opt/taskhub /opt/taskhub
ENV PATH=/opt/taskhub/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    TASKHUB_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000
USER 10001:10001
WORKDIR /tmp
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health/live' % os.environ.get('PORT', '8000'), timeout=2)"]
# Exec form: the server is PID 1's child-free process and receives SIGTERM directly.
ENTRYPOINT ["taskhub"]
CMD ["serve"]
