# unioncat as a container: the harvester, indexer and web app, configured for OpenSearch.
#
#   docker compose build unioncat            (docker-compose.yml builds and runs it)
#   docker run --rm unioncat:latest --help
#
# The entry point is the `unioncat` command, so `docker compose run --rm unioncat harvest` runs
# `unioncat harvest`; with no arguments the container serves the web interface on port 8000.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Install the package first (only what `pip install .` reads), so editing the config or the samples
# does not reinstall every dependency.
COPY pyproject.toml README.md ./
COPY harvester ./harvester
COPY indexer ./indexer
COPY search_ui ./search_ui
RUN pip install .

# The configs and the bundled sample catalogs the demo config harvests (paths resolve against
# /app/config, so ../samples is /app/samples and ../var is /app/var).
COPY config ./config
COPY samples ./samples

# Run as an unprivileged user. /app/var holds the record store (a volume in docker-compose.yml); it is
# created here owned by that user so a fresh named volume inherits the ownership.
RUN useradd --create-home --uid 10001 --user-group unioncat \
    && mkdir -p /app/var \
    && chown unioncat:unioncat /app/var
USER unioncat

ENV UNIONCAT_CONFIG=/app/config/unioncat.opensearch.toml
VOLUME ["/app/var"]
EXPOSE 8000

ENTRYPOINT ["unioncat"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
