(() => {
  const svg = document.getElementById("evidence-graph");
  const viewport = document.getElementById("viewport");
  const data = JSON.parse(document.getElementById("evidence-data").textContent);
  const panel = document.getElementById("details");
  const hint = panel.innerHTML;
  const nodes = new Map();
  svg.querySelectorAll(".node").forEach(el =>
    nodes.set(el.dataset.nodeId, {el, x: +el.dataset.x, y: +el.dataset.y}));
  const edges = [...svg.querySelectorAll(".edge")];
  const view = {x: 0, y: 0, scale: 1};
  let pinned = null, drag = null;

  // The same curve as the Python layout draws.
  function curve(a, b) {
    const bow = Math.abs(a.x - b.x) < 1 ? 30 + 0.35 * Math.abs(b.y - a.y) : 0;
    return `M${a.x} ${a.y} Q${(a.x + b.x) / 2 - bow} ${(a.y + b.y) / 2} ${b.x} ${b.y}`;
  }
  function move(id) {
    const n = nodes.get(id);
    n.el.setAttribute("transform", `translate(${n.x} ${n.y})`);
    n.el.dataset.x = n.x; n.el.dataset.y = n.y;
    for (const e of edges)
      if (e.dataset.source === id || e.dataset.target === id)
        e.setAttribute("d", curve(nodes.get(e.dataset.source), nodes.get(e.dataset.target)));
  }
  function applyView() {
    viewport.setAttribute("transform", `translate(${view.x} ${view.y}) scale(${view.scale})`);
  }
  function point(ev, element) {
    const p = new DOMPoint(ev.clientX, ev.clientY).matrixTransform(element.getScreenCTM().inverse());
    return {x: p.x, y: p.y};
  }
  function show(id) {
    if (id === null) { panel.innerHTML = hint; return; }
    const node = data[id];
    panel.replaceChildren();
    const head = document.createElement("h2");
    head.textContent = `${node.kind}${node.tier ? " (" + node.tier + ")" : ""}`;
    const name = document.createElement("p");
    name.textContent = node.label;
    name.style.fontWeight = "600";
    const list = document.createElement("dl");
    for (const [key, value] of Object.entries(node.details)) {
      const dt = document.createElement("dt");
      dt.textContent = key.replaceAll("_", " ");
      const long = key === "quote" || key === "definition" || key === "answer";
      const dd = document.createElement(long ? "blockquote" : "dd");
      dd.textContent = Array.isArray(value) ? value.join(", ") : String(value);
      list.append(dt, dd);
    }
    panel.append(head, name, list);
  }
  function select(id) {
    pinned = id;
    const near = new Set(id === null ? [] : [id]);
    for (const e of edges) {
      const touches = e.dataset.source === id || e.dataset.target === id;
      if (touches) { near.add(e.dataset.source); near.add(e.dataset.target); }
      e.classList.toggle("dim", id !== null && !touches);
    }
    for (const [key, n] of nodes) {
      n.el.classList.toggle("dim", id !== null && !near.has(key));
      n.el.classList.toggle("selected", key === id);
    }
    show(id);
  }

  svg.addEventListener("pointerdown", ev => {
    const el = ev.target.closest(".node");
    if (el) {
      const n = nodes.get(el.dataset.nodeId), p = point(ev, viewport);
      drag = {id: el.dataset.nodeId, dx: p.x - n.x, dy: p.y - n.y, moved: false};
    } else {
      const p = point(ev, svg);
      drag = {id: null, x: p.x - view.x, y: p.y - view.y, moved: false};
      svg.classList.add("panning");
    }
    svg.setPointerCapture(ev.pointerId);
  });
  svg.addEventListener("pointermove", ev => {
    if (!drag) return;
    drag.moved = true;
    if (drag.id !== null) {
      const n = nodes.get(drag.id), p = point(ev, viewport);
      n.x = p.x - drag.dx; n.y = p.y - drag.dy;
      move(drag.id);
    } else {
      const p = point(ev, svg);
      view.x = p.x - drag.x; view.y = p.y - drag.y;
      applyView();
    }
  });
  svg.addEventListener("pointerup", () => {
    if (drag && !drag.moved) select(drag.id);
    drag = null;
    svg.classList.remove("panning");
  });
  svg.addEventListener("wheel", ev => {
    ev.preventDefault();
    const p = point(ev, svg);
    const scale = Math.min(8, Math.max(0.2, view.scale * Math.exp(-ev.deltaY * 0.0015)));
    const f = scale / view.scale;
    view.x = p.x - (p.x - view.x) * f; view.y = p.y - (p.y - view.y) * f; view.scale = scale;
    applyView();
  }, {passive: false});
  svg.addEventListener("dblclick", () => { view.x = 0; view.y = 0; view.scale = 1; applyView(); });
  svg.addEventListener("pointerover", ev => {
    const el = ev.target.closest(".node");
    if (el && !drag) show(el.dataset.nodeId);
  });
  svg.addEventListener("pointerout", ev => {
    if (ev.target.closest(".node") && !drag) show(pinned);
  });
  document.querySelectorAll(".citations li").forEach(li =>
    li.addEventListener("click", () => select(li.dataset.target)));
  svg.dataset.interactive = "true";
})();
