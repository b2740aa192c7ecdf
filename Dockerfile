# The HTTP API image (docker compose service `api`).
FROM python:3.11-slim
ENV PIP_NO_CACHE_DIR=1 HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
WORKDIR /app
COPY pyproject.toml README.md ./
COPY medgraphrag ./medgraphrag
COPY ingest ./ingest
COPY graph ./graph
COPY retrieval ./retrieval
COPY cypher ./cypher
RUN pip install .
EXPOSE 8000
CMD ["medgraph", "serve", "--host", "0.0.0.0", "--port", "8000"]
