// The graph schema of DESIGN.md, applied idempotently at start (every statement is IF NOT EXISTS).
// $dimension is the embedding model's output size; vector indexes use cosine similarity.

CREATE CONSTRAINT document_id IF NOT EXISTS FOR (n:Document) REQUIRE n.doc_id IS UNIQUE;
CREATE CONSTRAINT chunk_id IF NOT EXISTS FOR (n:Chunk) REQUIRE n.chunk_id IS UNIQUE;
CREATE CONSTRAINT metagraph_id IF NOT EXISTS FOR (n:MetaGraph) REQUIRE n.graph_id IS UNIQUE;
CREATE CONSTRAINT entity_id IF NOT EXISTS FOR (n:Entity) REQUIRE n.entity_id IS UNIQUE;
CREATE CONSTRAINT concept_id IF NOT EXISTS FOR (n:Concept) REQUIRE n.concept_id IS UNIQUE;
CREATE CONSTRAINT tag_id IF NOT EXISTS FOR (n:Tag) REQUIRE n.tag_id IS UNIQUE;
CREATE CONSTRAINT vocabulary_source IF NOT EXISTS FOR (n:VocabularySource) REQUIRE n.source IS UNIQUE;
CREATE CONSTRAINT tag_tree IF NOT EXISTS FOR (n:TagTree) REQUIRE n.name IS UNIQUE;
CREATE CONSTRAINT job_id IF NOT EXISTS FOR (n:Job) REQUIRE n.job_id IS UNIQUE;
CREATE CONSTRAINT answer_id IF NOT EXISTS FOR (n:Answer) REQUIRE n.answer_id IS UNIQUE;
CREATE CONSTRAINT marker_name IF NOT EXISTS FOR (n:Marker) REQUIRE n.name IS UNIQUE;

CREATE INDEX document_tier IF NOT EXISTS FOR (n:Document) ON (n.tier);
CREATE INDEX chunk_tier IF NOT EXISTS FOR (n:Chunk) ON (n.tier);
// The chunks of a large document while it is staged or after it was replaced (absent otherwise).
CREATE INDEX chunk_owner IF NOT EXISTS FOR (n:Chunk) ON (n.owner);
CREATE INDEX chunk_state IF NOT EXISTS FOR (n:Chunk) ON (n.state);
// Entities without a concept whose SAME_AS links are still to be made.
CREATE INDEX entity_same_as_pending IF NOT EXISTS FOR (n:Entity) ON (n.same_as_pending);
CREATE INDEX concept_cui IF NOT EXISTS FOR (n:Concept) ON (n.cui);
CREATE INDEX entity_norm_name IF NOT EXISTS FOR (n:Entity) ON (n.norm_name);
CREATE INDEX entity_tier IF NOT EXISTS FOR (n:Entity) ON (n.tier);
CREATE INDEX document_external_id IF NOT EXISTS FOR (n:Document) ON (n.external_id);
// Removing a superseded tag tree finds its generation without a scan.
CREATE INDEX tag_generation IF NOT EXISTS FOR (n:Tag) ON (n.generation);
CREATE INDEX job_submitted IF NOT EXISTS FOR (n:Job) ON (n.submitted_at);
CREATE INDEX answer_created IF NOT EXISTS FOR (n:Answer) ON (n.created_at);
// A document's update or delete finds the relations its meta-graphs stated without a scan.
CREATE INDEX related_graph IF NOT EXISTS FOR ()-[r:RELATED]-() ON (r.graph_id);

CREATE VECTOR INDEX chunk_embedding IF NOT EXISTS FOR (n:Chunk) ON n.embedding
OPTIONS {indexConfig: {`vector.dimensions`: $dimension, `vector.similarity_function`: 'cosine'}};
CREATE VECTOR INDEX entity_embedding IF NOT EXISTS FOR (n:Entity) ON n.embedding
OPTIONS {indexConfig: {`vector.dimensions`: $dimension, `vector.similarity_function`: 'cosine'}};
CREATE VECTOR INDEX tag_embedding IF NOT EXISTS FOR (n:Tag) ON n.embedding
OPTIONS {indexConfig: {`vector.dimensions`: $dimension, `vector.similarity_function`: 'cosine'}};

// A chunk is found by its text and its context (title, headings: ingest/context.py).
CREATE FULLTEXT INDEX chunk_search IF NOT EXISTS FOR (n:Chunk) ON EACH [n.text, n.context];
// The index chunk_search replaced (releases before chunk contexts).
DROP INDEX chunk_text IF EXISTS;
CREATE FULLTEXT INDEX entity_name IF NOT EXISTS FOR (n:Entity) ON EACH [n.name, n.norm_name];
// Every name of a concept as its normalized key `^ key $` (graph/vocab/names.py), split on
// whitespace only: a phrase "^ key $" is an exact lookup, single words serve word-order and fuzzy
// lookups. One index for all of them keeps a vocabulary load to one Lucene document per concept.
CREATE FULLTEXT INDEX concept_names IF NOT EXISTS FOR (n:Concept) ON EACH [n.name_keys]
OPTIONS {indexConfig: {`fulltext.analyzer`: 'whitespace'}};
// The two indexes this one replaced (releases before name_keys).
DROP INDEX concept_name IF EXISTS;
DROP INDEX concept_keys IF EXISTS;
