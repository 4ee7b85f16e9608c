# The genekb image: the `kb` command (ingest, serve, ...) with CPU-only torch and the packaged
# MiniLM embedding model, run as a non-root user. Used by docker-compose.yml (docs/docker.md).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TOKENIZERS_PARALLELISM=false

WORKDIR /app
COPY pyproject.toml README.md ./
COPY kb ./kb
COPY ingest ./ingest
COPY api ./api
COPY cli ./cli

# CPU torch wheels keep the image small; the check fails the build if the packaged model is missing.
RUN pip install --extra-index-url https://download.pytorch.org/whl/cpu . \
 && python -c "from kb.embedding import resolve_model; import pathlib; p = pathlib.Path(resolve_model('all-MiniLM-L6-v2')); assert (p / 'model.safetensors').exists(), p"

RUN useradd --system --create-home --uid 10001 genekb \
 && mkdir -p /var/lib/genekb /data \
 && chown genekb:genekb /var/lib/genekb
USER genekb
WORKDIR /home/genekb

ENV KB_WORK_DIR=/var/lib/genekb \
    KB_DATA_DIR=/data \
    KB_HOST=0.0.0.0
EXPOSE 8000
CMD ["kb", "serve"]
