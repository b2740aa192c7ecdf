// The medgraphrag web app: Ask, Documents, Concepts and Explore over the HTTP API (/v1) of the
// server that serves this page. Plain DOM, no framework, nothing fetched from elsewhere. Text from
// the graph is always set as text, never parsed as HTML.
"use strict";

const KEY = "medgraphrag-api-key";
const main = document.getElementById("main");
const STATUSES = ["negated", "family", "conditional", "uncertain", "historical"];

// ---- DOM and HTTP helpers -------------------------------------------------------------------

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function show(...nodes) {
  main.replaceChildren(...nodes);
}

function headers(extra) {
  const key = sessionStorage.getItem(KEY);
  return Object.assign(key ? { Authorization: `Bearer ${key}` } : {}, extra || {});
}

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function api(path, options) {
  const init = Object.assign({}, options || {});
  init.headers = headers(init.headers);
  const response = await fetch(path, init);
  if (response.status === 401) { askForKey(); throw new ApiError(401, "an API key is needed"); }
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try { message = (await response.json()).error.message || message; } catch (e) { /* not JSON */ }
    throw new ApiError(response.status, message);
  }
  const type = response.headers.get("content-type") || "";
  return type.includes("application/json") ? response.json() : response.text();
}

function postJson(path, body) {
  return api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
}

function failure(error) {
  return el("p", { class: "error", role: "alert", text: `Error: ${error.message}` });
}

function statusBadge(status) {
  return el("span", { class: `status ${status}`, text: status });
}

// ---- the API key --------------------------------------------------------------------------

const keyForm = document.getElementById("key-form");
const keyButton = document.getElementById("key-button");

function askForKey() {
  keyForm.hidden = false;
  keyButton.hidden = false;
  document.getElementById("key-input").focus();
}

keyButton.addEventListener("click", askForKey);
keyForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  sessionStorage.setItem(KEY, document.getElementById("key-input").value.trim());
  try {
    await api("/v1/documents?limit=1");
    keyForm.hidden = true;
    document.getElementById("key-error").textContent = "";
    route();
  } catch (error) {
    document.getElementById("key-error").textContent = `This key is refused: ${error.message}`;
  }
});

// ---- Ask ----------------------------------------------------------------------------------

function askPage() {
  const question = el("textarea", { id: "question", name: "question", required: true, placeholder: "e.g. How is community-acquired pneumonia treated?" });
  const mode = el("select", { id: "mode" }, ["u-retrieve", "hybrid", "vector", "fulltext"].map((m) => el("option", { value: m, text: m })));
  const tier = el("select", { id: "tier" }, el("option", { value: "", text: "both tiers" }), el("option", { value: "user", text: "user" }), el("option", { value: "reference", text: "reference" }));
  const k = el("input", { id: "k", type: "number", min: 1, max: 50, value: 5 });
  const answer = el("section", { id: "answer", "aria-live": "polite" });
  const source = el("section", { id: "source", "aria-live": "polite" });
  const form = el("form", { id: "ask-form", onsubmit: (event) => { event.preventDefault(); ask(question.value, mode.value, tier.value, Number(k.value), answer, source); } },
    el("label", { for: "question", text: "Question" }), question,
    el("div", { class: "row" },
      el("div", {}, el("label", { for: "mode", text: "Mode" }), mode),
      el("div", {}, el("label", { for: "tier", text: "Evidence from" }), tier),
      el("div", {}, el("label", { for: "k", text: "Chunks" }), k),
      el("button", { type: "submit", id: "ask-button", text: "Ask" })));
  show(el("h2", { text: "Ask" }), form, el("div", { class: "columns" }, answer, source));
  question.focus();
}

async function ask(question, mode, tier, k, answerBox, sourceBox) {
  answerBox.replaceChildren(el("p", { class: "muted", text: "Finding evidence…" }));
  sourceBox.replaceChildren();
  const body = { question, mode, k, stream: true };
  if (tier) body.tier = tier;
  let response;
  try {
    response = await fetch("/v1/query", { method: "POST", headers: headers({ "Content-Type": "application/json" }), body: JSON.stringify(body) });
  } catch (error) { answerBox.replaceChildren(failure(error)); return; }
  if (response.status === 401) { askForKey(); answerBox.replaceChildren(failure(new Error("an API key is needed"))); return; }
  if (!response.ok) {
    let message = `${response.status}`;
    try { message = (await response.json()).error.message; } catch (e) { /* keep the status */ }
    answerBox.replaceChildren(failure(new Error(message)));
    return;
  }
  const text = el("div", { id: "answer-text" });
  const citations = el("ol", { class: "citations", id: "citations" });
  answerBox.replaceChildren(el("h3", { text: "Answer" }), text, el("h3", { text: "Evidence" }), citations);
  let evidence = null;
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const name = (block.match(/^event: (.*)$/m) || [])[1];
      const data = JSON.parse((block.match(/^data: (.*)$/m) || [, "{}"])[1]);
      if (name === "evidence") {
        evidence = data;
        citations.replaceChildren(...data.citations.map((c) => citationItem(c, sourceBox)));
        text.textContent = "Writing the answer…";
      } else if (name === "delta") {
        if (text.dataset.streaming !== "yes") { text.textContent = ""; text.dataset.streaming = "yes"; }
        text.append(data.text);
      } else if (name === "answer") {
        showAnswer(data, text, sourceBox, answerBox);
      } else if (name === "error") {
        answerBox.append(failure(new Error(data.error.message)));
      } else if (name === "done") {
        answerBox.dataset.done = "yes";
      }
    }
  }
  if (!evidence) answerBox.append(el("p", { class: "muted", text: "No evidence came back." }));
}

function citationItem(citation, sourceBox) {
  const where = citation.kind === "concept"
    ? `concept ${citation.concept_id}, ${citation.source}`
    : `${citation.tier}, ${citation.title}, characters ${citation.start}–${citation.end}`;
  const qualified = (citation.qualified || []);
  return el("li", { value: citation.n, id: `citation-${citation.n}` },
    el("button", { type: "button", class: "link", "data-citation": citation.n, onclick: () => openCitation(citation, sourceBox), text: `[${citation.n}] ${citation.title}` }),
    el("div", { class: "muted", text: where }),
    el("div", { class: "quote", text: citation.quote.length > 240 ? citation.quote.slice(0, 240) + "…" : citation.quote }),
    qualified.length ? el("div", {}, "Not the patient's present findings: ",
      qualified.map((m) => el("span", {}, `${m.surface} `, statusBadge(m.status), " "))) : null);
}

function showAnswer(answer, text, sourceBox, answerBox) {
  const byNumber = Object.fromEntries(answer.citations.map((c) => [c.n, c]));
  text.replaceChildren(...answer.claims.map((claim) => el("p", { class: "claim" }, claim.text, " ",
    claim.citations.map((n) => el("button", { type: "button", class: "link", "data-cite": n, "aria-label": `source ${n}`, onclick: () => openCitation(byNumber[n], sourceBox), text: `[${n}]` })))));
  if (!answer.claims.length) text.textContent = answer.text || "The evidence does not answer this question.";
  delete text.dataset.streaming;
  const notes = [];
  if (answer.trace.degraded) notes.push(el("p", { class: "error", text: `The answer model failed; this answer is extractive: ${answer.trace.degraded}` }));
  if (answer.removed_citations.length) notes.push(el("p", { class: "muted", text: `Removed citations that named no evidence: ${answer.removed_citations.join(", ")}` }));
  for (const sentence of answer.uncited) notes.push(el("p", { class: "muted", text: `Uncited: ${sentence}` }));
  text.after(...notes);
  answerBox.append(traceDetails(answer.trace));
  if (answer.answer_id) drawGraph(answer.answer_id, answerBox);
}

function traceDetails(trace) {
  const list = el("ul");
  list.append(el("li", { text: `mode ${trace.mode}; ` + Object.entries(trace.timings_ms || {}).map(([s, ms]) => `${s} ${Math.round(ms)} ms`).join(", ") }));
  if (trace.question_concepts && trace.question_concepts.length) list.append(el("li", { text: `question concepts: ${trace.question_concepts.join(", ")}` }));
  (trace.tags || []).forEach((step, i) => list.append(el("li", { text: `tags walked, step ${i}: ` + step.map((t) => `L${t.layer} ${t.similarity.toFixed(2)}`).join(", ") })));
  if (trace.fallback) list.append(el("li", { text: "route too weak: global entity search" }));
  list.append(el("li", { text: `meta-graphs chosen: ${(trace.graph_ids || []).length}` }));
  if ((trace.entities || []).length) list.append(el("li", { text: "entities: " + trace.entities.slice(0, 15).map((e) => `${e.name} (${e.tier}, ${e.weight.toFixed(2)})`).join("; ") }));
  if (trace.llm) list.append(el("li", { text: `LLM ${trace.llm.model}: ${trace.llm.calls} calls, ${trace.llm.prompt_tokens + trace.llm.completion_tokens} tokens, ${trace.llm.seconds.toFixed(1)} s` }));
  return el("details", { id: "trace" }, el("summary", { text: "How the evidence was found" }), list);
}

async function drawGraph(answerId, box) {
  try {
    const html = await api(`/v1/answers/${encodeURIComponent(answerId)}/graph`);
    box.append(el("h3", { text: "Evidence graph" }), el("iframe", { class: "graph", title: "Evidence graph of the answer", sandbox: "allow-scripts", srcdoc: html }));
  } catch (error) { box.append(failure(error)); }
}

async function openCitation(citation, sourceBox) {
  if (!citation) return;
  sourceBox.replaceChildren(el("p", { class: "muted", text: "Loading the source…" }));
  try {
    if (citation.kind === "concept") {
      const detail = await api(`/v1/concepts/${encodeURIComponent(citation.concept_id)}`);
      sourceBox.replaceChildren(el("h3", { text: `[${citation.n}] Concept` }), conceptCard(detail));
    } else {
      const doc = await api(`/v1/documents/${encodeURIComponent(citation.doc_id)}/text`);
      const text = documentText(doc, { start: citation.start, end: citation.end });
      sourceBox.replaceChildren(el("h3", { text: `[${citation.n}] ${citation.title}` }),
        el("p", { class: "muted" }, `${citation.tier} document, characters ${citation.start}–${citation.end}. `,
          el("a", { href: `#/documents/${encodeURIComponent(citation.doc_id)}`, text: "Open the document" })), text);
    }
    const mark = sourceBox.querySelector("mark.cited");
    if (mark) mark.scrollIntoView({ block: "center" });
    sourceBox.querySelector("h3").setAttribute("tabindex", "-1");
    sourceBox.querySelector("h3").focus();
  } catch (error) { sourceBox.replaceChildren(failure(error)); }
}

// The document's text from its chunks, mentions marked by status, and one span (the cited chunk) highlighted.
function documentText(doc, cited) {
  const box = el("div", { class: "doctext", tabindex: 0, "aria-label": "Document text" });
  const mentions = doc.mentions.slice().sort((a, b) => a.start - b.start || b.end - a.end);
  let position = doc.chunks.length ? doc.chunks[0].start : 0;
  for (const chunk of doc.chunks) {
    if (chunk.end <= position) continue;
    const from = Math.max(position, chunk.start);
    const target = cited && chunk.start === cited.start && chunk.end === cited.end
      ? el("mark", { class: "cited", id: "cited-span" }) : box;
    if (target !== box) box.append(target);
    if (chunk.start > position) box.append(" … ");
    let at = from;
    for (const m of mentions) {
      if (m.start < at || m.end > chunk.end) continue;
      target.append(chunk.text.slice(at - chunk.start, m.start - chunk.start));
      const status = m.status || "affirmed";
      target.append(el("span", { class: `mention ${STATUSES.includes(status) ? status : ""}`, title: `${m.type}${m.concept_id ? `, ${m.concept_id}` : ""}; ${status}`, "data-status": status, text: chunk.text.slice(m.start - chunk.start, m.end - chunk.start) }));
      at = m.end;
    }
    target.append(chunk.text.slice(at - chunk.start));
    position = chunk.end;
  }
  return box;
}

// ---- Documents ----------------------------------------------------------------------------

async function documentsPage() {
  const list = el("div", { class: "table-wrap" }, el("p", { class: "muted", text: "Loading…" }));
  const jobs = el("div", { id: "jobs", "aria-live": "polite" });
  const tier = el("select", { id: "upload-tier" }, el("option", { value: "user", text: "user documents" }), el("option", { value: "reference", text: "reference literature" }));
  const input = el("input", { type: "file", id: "upload-input", multiple: true, onchange: () => upload(input.files, tier.value, jobs, list) });
  const drop = el("div", { class: "drop", id: "drop" },
    el("p", {}, "Drop files here (.txt, .md, .html, .pdf, .jsonl, MedQuAD .xml, PubMedQA .json), or "),
    el("label", { for: "upload-input", text: "choose files" }), " ", input);
  drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => { event.preventDefault(); drop.classList.remove("over"); upload(event.dataTransfer.files, tier.value, jobs, list); });
  show(el("h2", { text: "Documents" }),
    el("section", { class: "panel" }, el("h3", { text: "Upload" }), el("div", { class: "row" }, el("div", {}, el("label", { for: "upload-tier", text: "Into" }), tier)), drop, jobs),
    list);
  await listDocuments(list);
}

async function listDocuments(box) {
  try {
    const documents = await api("/v1/documents?limit=500");
    if (!documents.length) { box.replaceChildren(el("p", { class: "muted", text: "No documents yet." })); return; }
    box.replaceChildren(el("table", { id: "documents" },
      el("thead", {}, el("tr", {}, ["Title", "Tier", "Chunks", "Entities", "Source", ""].map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, documents.map((d) => el("tr", {},
        el("td", {}, el("a", { href: `#/documents/${encodeURIComponent(d.doc_id)}`, text: d.title || d.doc_id })),
        el("td", { text: d.tier }), el("td", { text: d.chunks ?? "" }), el("td", { text: d.entities ?? "" }), el("td", { text: d.source }),
        el("td", {}, el("button", { type: "button", class: "danger", "aria-label": `Delete ${d.title}`, onclick: () => deleteDocument(d, box), text: "Delete" })))))));
  } catch (error) { box.replaceChildren(failure(error)); }
}

async function deleteDocument(doc, box) {
  if (!window.confirm(`Delete "${doc.title}" and what only it supports?`)) return;
  try { await api(`/v1/documents/${encodeURIComponent(doc.doc_id)}`, { method: "DELETE" }); } catch (error) { box.prepend(failure(error)); return; }
  await listDocuments(box);
}

async function upload(files, tier, jobsBox, list) {
  for (const file of Array.from(files)) {
    const row = el("div", { class: "job", "data-file": file.name }, el("strong", { text: file.name }), " ", el("span", { class: "job-status", text: "uploading" }));
    jobsBox.append(row);
    const form = new FormData();
    form.append("file", file);
    form.append("tier", tier);
    try {
      const job = await api("/v1/documents", { method: "POST", body: form });
      follow(job.job_id, row, list);
    } catch (error) { row.append(failure(error)); }
  }
}

async function follow(jobId, row, list) {
  const status = row.querySelector(".job-status");
  const stages = el("span", { class: "stages" });
  row.append(" ", stages);
  for (;;) {
    let job;
    try { job = await api(`/v1/jobs/${encodeURIComponent(jobId)}`); } catch (error) { row.append(failure(error)); return; }
    status.textContent = job.status;
    row.dataset.status = job.status;
    stages.replaceChildren(...Object.entries(job.progress || {}).map(([stage, p]) =>
      el("span", {}, ` ${stage} `, el("progress", { max: Math.max(p.total, 1), value: p.done, "aria-label": `${stage} ${p.done} of ${p.total}` }))));
    if (job.status === "done" || job.status === "failed") {
      if (job.error) row.append(el("span", { class: "error", text: ` ${job.error}` }));
      if (job.report) row.append(el("span", { class: "muted", text: ` ${job.report.documents_written} written, ${job.report.chunks_written} chunks, ${job.report.entities} entities` }));
      await listDocuments(list);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function documentPage(docId) {
  show(el("p", { class: "muted", text: "Loading…" }));
  try {
    const [detail, text] = await Promise.all([api(`/v1/documents/${encodeURIComponent(docId)}`), api(`/v1/documents/${encodeURIComponent(docId)}/text`)]);
    const d = detail.document;
    const legend = el("p", {}, "Mentions: ", ["affirmed", ...STATUSES].map((s) => el("span", {}, statusBadge(s), " ")));
    const entities = el("table", { id: "entities" },
      el("thead", {}, el("tr", {}, ["Entity", "Type", "Concept", "Mentions", "Not the patient's", "Tier links"].map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, detail.entities.map((e) => el("tr", {},
        el("td", { text: e.name }), el("td", { text: e.type }),
        el("td", {}, e.concept_id ? el("a", { href: `#/concepts/${encodeURIComponent(e.concept_id)}`, text: `${e.concept_name || e.concept_id}` }) : "—"),
        el("td", { text: e.mentions }),
        el("td", {}, STATUSES.filter((s) => e[s]).map((s) => el("span", {}, statusBadge(s), ` ${e[s]} `))),
        el("td", { text: (e.references || []).map((r) => `${r.name} (${r.tier}, ${r.method})`).join("; ") })))));
    show(el("h2", { text: d.title || docId }),
      el("p", { class: "muted", text: `${d.tier} document · ${detail.chunks} chunks · ${detail.relations} relations · ${d.source}` }),
      legend, documentText(text, null), el("h3", { text: "Entities" }), el("div", { class: "table-wrap" }, entities));
  } catch (error) { show(failure(error)); }
}

// ---- Concepts -----------------------------------------------------------------------------

function conceptsPage(query) {
  const input = el("input", { id: "concept-query", type: "search", value: query || "", required: true, placeholder: "e.g. heart attack" });
  const results = el("div", { id: "concept-results", "aria-live": "polite" });
  const form = el("form", { onsubmit: (event) => { event.preventDefault(); location.hash = `#/concepts?q=${encodeURIComponent(input.value)}`; } },
    el("label", { for: "concept-query", text: "Find a concept" }), el("div", { class: "row" }, input, el("button", { type: "submit", text: "Search" })));
  show(el("h2", { text: "Concepts" }), form, results);
  input.focus();
  if (query) searchConcepts(query, results);
}

async function searchConcepts(query, box) {
  box.replaceChildren(el("p", { class: "muted", text: "Searching…" }));
  try {
    const matches = await api(`/v1/concepts?q=${encodeURIComponent(query)}&k=15`);
    box.replaceChildren(matches.length ? el("ol", {}, matches.map((m) => el("li", {},
      el("a", { href: `#/concepts/${encodeURIComponent(m.concept_id)}`, text: m.name }),
      el("span", { class: "muted", text: ` ${m.concept_id} · ${m.method} on "${m.matched}" · score ${m.score.toFixed(2)} · ${m.sources.join(", ")}` }))))
      : el("p", { class: "muted", text: "No concept found." }));
  } catch (error) { box.replaceChildren(failure(error)); }
}

function conceptCard(detail) {
  const c = detail.concept;
  const ref = (r) => el("li", {}, el("a", { href: `#/concepts/${encodeURIComponent(r.concept_id)}`, text: r.name }), el("span", { class: "muted", text: ` ${r.concept_id}` }));
  return el("div", { class: "concept" },
    el("h3", { class: "concept-name", text: c.name }),
    el("p", { class: "muted", text: [c.concept_id, c.cui, ...(c.xrefs || [])].filter(Boolean).join(" · ") }),
    el("p", { text: c.definition || "No definition." }),
    (c.synonyms || []).length ? el("p", {}, el("strong", { text: "Also called: " }), c.synonyms.slice(0, 20).join("; ")) : null,
    el("p", { class: "muted", text: `Types: ${(c.semantic_types || []).join(", ") || "—"} · Sources: ${(c.sources || []).join(", ")}` }),
    el("div", { class: "columns" },
      el("div", {}, el("h4", { text: "Parents" }), el("ul", {}, detail.parents.map(ref))),
      el("div", {}, el("h4", { text: `Children (${detail.child_count})` }), el("ul", {}, detail.children.map(ref)))));
}

async function conceptPage(conceptId) {
  show(el("p", { class: "muted", text: "Loading…" }));
  try {
    const detail = await api(`/v1/concepts/${encodeURIComponent(conceptId)}`);
    const documents = el("div", { id: "concept-documents" }, el("p", { class: "muted", text: "Looking for documents…" }));
    show(el("p", {}, el("a", { href: "#/concepts", text: "← Concepts" })), conceptCard(detail), el("h3", { text: "Documents that mention it" }), documents);
    const result = await postJson("/v1/cypher/queries/concept-documents", { parameters: { concept_id: conceptId } });
    documents.replaceChildren(resultTable(result, { linkDocuments: true }));
  } catch (error) { main.append(failure(error)); }
}

// ---- Explore ------------------------------------------------------------------------------

async function explorePage() {
  const saved = el("div", { id: "saved" }, el("p", { class: "muted", text: "Loading the saved queries…" }));
  const query = el("textarea", { id: "cypher", placeholder: "MATCH (c:Concept)<-[:DEFINITION_OF]-(e:Entity) RETURN c, e LIMIT 25" });
  const output = el("div", { id: "cypher-result", "aria-live": "polite" });
  const form = el("form", { id: "cypher-form", onsubmit: async (event) => {
    event.preventDefault();
    output.replaceChildren(el("p", { class: "muted", text: "Running…" }));
    try { output.replaceChildren(...resultViews(await postJson("/v1/cypher", { query: query.value }))); } catch (error) { output.replaceChildren(failure(error)); }
  } }, el("label", { for: "cypher", text: "Read-only Cypher" }), query, el("div", { class: "row" }, el("button", { type: "submit", text: "Run" })));
  show(el("h2", { text: "Explore" }), el("section", { class: "panel" }, el("h3", { text: "Saved queries" }), saved), el("section", { class: "panel" }, form), output);
  try {
    const queries = await api("/v1/cypher/queries");
    saved.replaceChildren(...queries.map((q) => savedQueryForm(q, output)));
  } catch (error) { saved.replaceChildren(failure(error)); }
}

function savedQueryForm(query, output) {
  const fields = query.parameters.map((p) => {
    const id = `q-${query.name}-${p.name}`;
    const input = p.type === "boolean"
      ? el("input", { id, name: p.name, type: "checkbox", checked: p.default === true })
      : el("input", { id, name: p.name, type: p.type === "integer" || p.type === "float" ? "number" : "text", step: p.type === "float" ? "any" : null, value: p.default ?? "", required: p.required });
    return el("div", {}, el("label", { for: id, text: p.name }), input);
  });
  return el("form", { class: "saved-query", "data-name": query.name, onsubmit: async (event) => {
    event.preventDefault();
    const parameters = {};
    for (const p of query.parameters) {
      const input = event.target.elements[p.name];
      if (p.type === "boolean") parameters[p.name] = input.checked;
      else if (input.value !== "") parameters[p.name] = p.type === "integer" ? parseInt(input.value, 10) : p.type === "float" ? parseFloat(input.value) : input.value;
    }
    output.replaceChildren(el("p", { class: "muted", text: `Running ${query.name}…` }));
    try { output.replaceChildren(el("h3", { text: query.name }), ...resultViews(await postJson(`/v1/cypher/queries/${encodeURIComponent(query.name)}`, { parameters }))); } catch (error) { output.replaceChildren(failure(error)); }
  } }, el("h4", { text: query.name }), el("p", { class: "muted", text: query.description }), el("div", { class: "row" }, fields, el("button", { type: "submit", text: "Run" })));
}

function cellText(value) {
  if (value === null || value === undefined) return "";
  if (typeof value !== "object") return String(value);
  if (value.labels) return `(${value.labels.join(":")} ${value.properties.name || value.properties.title || value.properties.concept_id || value.element_id})`;
  if (value.type && value.start) return `[:${value.type}]`;
  return JSON.stringify(value);
}

function resultTable(result, options) {
  if (!result.rows.length) return el("p", { class: "muted", text: "No rows." });
  const docColumn = options && options.linkDocuments ? result.columns.indexOf("doc_id") : -1;
  return el("div", { class: "table-wrap" }, el("table", { class: "result" },
    el("thead", {}, el("tr", {}, result.columns.map((c) => el("th", { scope: "col", text: c })))),
    el("tbody", {}, result.rows.map((row) => el("tr", {}, row.map((value, i) => el("td", {},
      i === docColumn ? el("a", { href: `#/documents/${encodeURIComponent(value)}`, text: value }) : cellText(value))))))),
    el("p", { class: "muted", text: `${result.rows.length} rows${result.truncated ? " (cut)" : ""}, ${Math.round(result.milliseconds)} ms` }));
}

function resultViews(result) {
  const graph = resultGraph(result);
  return graph ? [resultTable(result), el("h4", { text: "As a graph" }), graph] : [resultTable(result)];
}

// The nodes and relationships of a result drawn in a circle: enough to see what links to what.
function resultGraph(result) {
  const nodes = new Map();
  const links = [];
  const visit = (value) => {
    if (!value || typeof value !== "object") return;
    if (Array.isArray(value)) { value.forEach(visit); return; }
    if (value.labels && value.element_id) nodes.set(value.element_id, value);
    else if (value.type && value.start && value.end) links.push(value);
    else if (value.nodes) { value.nodes.forEach(visit); value.relationships.forEach(visit); }
  };
  result.rows.forEach(visit);
  if (!nodes.size) return null;
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("class", "results");
  svg.setAttribute("viewBox", "0 0 800 400");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `${nodes.size} nodes and ${links.length} relationships`);
  const ids = [...nodes.keys()].slice(0, 150);
  const at = new Map(ids.map((id, i) => [id, [400 + 170 * Math.cos((2 * Math.PI * i) / ids.length) * (i % 2 ? 1 : 1.9), 200 + 170 * Math.sin((2 * Math.PI * i) / ids.length)]]));
  const shape = (tag, attrs, text) => { const n = document.createElementNS(ns, tag); for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v); if (text) n.textContent = text; svg.append(n); return n; };
  for (const link of links) {
    const a = at.get(link.start), b = at.get(link.end);
    if (!a || !b) continue;
    shape("line", { x1: a[0], y1: a[1], x2: b[0], y2: b[1], stroke: "#9aa5b8" });
    shape("text", { x: (a[0] + b[0]) / 2, y: (a[1] + b[1]) / 2, "font-size": 9, fill: "#5b6577" }, link.type);
  }
  for (const id of ids) {
    const node = nodes.get(id), [x, y] = at.get(id);
    shape("circle", { cx: x, cy: y, r: 7, fill: node.labels.includes("Concept") ? "#2e7d32" : node.labels.includes("Entity") ? "#1f5fbf" : "#a15c00" });
    shape("text", { x: x + 9, y: y + 4, "font-size": 10 }, cellText(node).slice(0, 40));
  }
  return svg;
}

// ---- routing ------------------------------------------------------------------------------

function route() {
  const [path, search] = (location.hash.slice(1) || "/ask").split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const page = parts[0] || "ask";
  for (const link of document.querySelectorAll("nav a")) {
    if (link.dataset.page === page) link.setAttribute("aria-current", "page"); else link.removeAttribute("aria-current");
  }
  const params = new URLSearchParams(search || "");
  if (page === "documents" && parts[1]) documentPage(parts[1]);
  else if (page === "documents") documentsPage();
  else if (page === "concepts" && parts[1]) conceptPage(parts[1]);
  else if (page === "concepts") conceptsPage(params.get("q"));
  else if (page === "explore") explorePage();
  else askPage();
  document.title = `${page[0].toUpperCase()}${page.slice(1)} · medgraphrag`;
}

window.addEventListener("hashchange", route);
route();
api("/v1/documents?limit=1").catch(() => { /* a 401 has asked for a key; other errors show where they happen */ });
