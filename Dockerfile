# syntax=docker/dockerfile:1
# The seatledger image: one image for every process (serve, relay, project,
# consume-commands, and the one-shot commands); compose.yaml runs it.
#
#   docker build -t seatledger .
#   docker run -p 8000:8000 -e SEATLEDGER_BOOTSTRAP_KEY=... seatledger
#
# Stages: `base` (the Python runtime both stages share), `build` (dependencies
# and the project's wheel, installed into /opt/venv), `runtime` (base plus
# /opt/venv: no compiler, no wheel cache, no source tree, not root).

FROM python:3.11-slim-bookworm AS base
# Logs leave the process at once (structlog writes to stderr).
ENV PYTHONUNBUFFERED=1


FROM base AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore
WORKDIR /src
# A virtual environment without pip or setuptools: the base image's pip
# installs into it (--python), so the runtime gets packages, not installers.
RUN python -m venv --without-pip /opt/venv
# The dependencies first, read from pyproject.toml alone: this layer is
# rebuilt only when they change, not on every change to the code.
RUN --mount=type=bind,source=pyproject.toml,target=/src/pyproject.toml \
    --mount=type=cache,target=/root/.cache/pip \
    python -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'], sep='\n')" > requirements.txt \
    && pip --python /opt/venv/bin/python install --requirement requirements.txt
COPY pyproject.toml README.md ./
COPY api ./api
COPY application ./application
COPY consumers ./consumers
COPY domain ./domain
COPY infra ./infra
COPY projections ./projections
# The same wheel tests/integration/test_container_image.py builds and installs
# into a clean virtual environment.
RUN --mount=type=cache,target=/root/.cache/pip \
    pip wheel --no-deps --wheel-dir /src/dist . \
    && pip --python /opt/venv/bin/python install --no-deps /src/dist/seatledger-*.whl


FROM base AS runtime
LABEL org.opencontainers.image.title="seatledger" \
      org.opencontainers.image.description="Event-sourced ledger of multi-tenant accounts, seat pools and licenses" \
      org.opencontainers.image.licenses="Apache-2.0"
# A fixed, unprivileged uid/gid, so volume ownership is predictable.
RUN groupadd --system --gid 10001 seatledger \
    && useradd --system --uid 10001 --gid seatledger --no-create-home \
       --home-dir /var/lib/seatledger --shell /usr/sbin/nologin seatledger \
    && install --directory --owner=seatledger --group=seatledger --mode=0700 \
       /var/lib/seatledger
# Owned by root, run by seatledger: the process cannot change its own code.
COPY --from=build /opt/venv /opt/venv
# The venv's bytecode was compiled at install; the code is read-only here.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    SEATLEDGER_DATA_DIR=/var/lib/seatledger
WORKDIR /var/lib/seatledger
# The embedded default keeps its SQLite store and generated key here.
VOLUME ["/var/lib/seatledger"]
USER 10001:10001
EXPOSE 8000
# For the default command (serve); compose.yaml gives the workers their own.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-m", "infra.probe", "http://127.0.0.1:8000/readyz"]
ENTRYPOINT ["seatledger"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
