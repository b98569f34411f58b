// The skill-graph explorer: cytoscape.js over GET /api/v1/skills/graph, details from
// GET /api/v1/skills/<id>. All user-provided text is inserted with textContent, never as HTML.
"use strict";

(async function () {
  const container = document.getElementById("graph");
  const title = document.getElementById("panel-title");
  const hint = document.getElementById("panel-hint");
  const body = document.getElementById("panel-body");
  const search = document.getElementById("skill-search");
  const list = document.getElementById("skill-names");

  const response = await fetch("/api/v1/skills/graph", { credentials: "same-origin" });
  if (!response.ok) {
    container.textContent = "The skill graph could not be loaded.";
    return;
  }
  const data = await response.json();
  const byName = new Map();
  for (const node of data.nodes) {
    byName.set(node.name.toLowerCase(), node.id);
    const option = document.createElement("option");
    option.value = node.name;
    list.appendChild(option);
  }

  const palette = ["#5b3fd6", "#0e7490", "#b45309", "#be123c", "#15803d", "#4338ca", "#a21caf", "#0369a1", "#92400e", "#475569"];
  const categories = [...new Set(data.nodes.map((n) => n.category || "Other"))].sort();
  const colour = (category) => palette[categories.indexOf(category || "Other") % palette.length];

  const cy = cytoscape({
    container,
    elements: [
      ...data.nodes.map((n) => ({
        data: { id: String(n.id), label: n.name, experts: n.experts, color: colour(n.category) },
      })),
      ...data.edges.map((e) => ({
        data: { id: `e${e.id}`, source: String(e.source), target: String(e.target), kind: e.kind },
      })),
    ],
    style: [
      { selector: "node", style: {
        "background-color": "data(color)", label: "data(label)", "font-size": 9, color: "#1d2330",
        "text-valign": "bottom", "text-margin-y": 3,
        width: "mapData(experts, 0, 12, 10, 34)", height: "mapData(experts, 0, 12, 10, 34)" } },
      { selector: "edge[kind = 'is_a']", style: {
        width: 1.6, "line-color": "#9aa4b5", "target-arrow-shape": "triangle",
        "target-arrow-color": "#9aa4b5", "curve-style": "bezier" } },
      { selector: "edge[kind = 'related_to']", style: {
        width: 1, "line-color": "#c7b8ff", "line-style": "dashed" } },
      { selector: ".faded", style: { opacity: 0.15 } },
      { selector: "node:selected", style: { "border-width": 3, "border-color": "#221b3d" } },
    ],
    layout: { name: "cose", animate: false, randomize: false, nodeRepulsion: 9000, idealEdgeLength: 60 },
    wheelSensitivity: 0.3,
  });
  container.dataset.nodes = String(cy.nodes().length);
  container.dataset.edges = String(cy.edges().length);

  function person(entry) {
    const li = document.createElement("li");
    const name = document.createElement("strong");
    name.textContent = entry.agent.name;
    const detail = document.createElement("span");
    detail.className = "muted";
    detail.textContent = entry.wants_to_learn && entry.proficiency < 3
      ? ` — learning (level ${entry.proficiency})`
      : ` — level ${entry.proficiency}/5, ${entry.evidence} resolved`;
    li.append(name, detail);
    return li;
  }

  async function show(id) {
    const node = cy.getElementById(String(id));
    cy.elements().addClass("faded");
    node.closedNeighborhood().removeClass("faded");
    cy.$(":selected").unselect();
    node.select();
    cy.animate({ fit: { eles: node.closedNeighborhood(), padding: 90 }, duration: 300 });
    const detail = await fetch(`/api/v1/skills/${id}`, { credentials: "same-origin" });
    if (!detail.ok) return;
    const info = await detail.json();
    title.textContent = info.skill.name;
    hint.textContent = [info.skill.category, ...(info.skill.aliases.length ? [`also: ${info.skill.aliases.join(", ")}`] : [])]
      .filter(Boolean).join(" · ");
    body.replaceChildren();
    const experts = info.people.filter((p) => p.proficiency >= 1);
    const learners = info.people.filter((p) => p.wants_to_learn);
    for (const [heading, people] of [["Who knows it", experts], ["Who is learning it", learners]]) {
      const h = document.createElement("h3");
      h.textContent = `${heading} (${people.length})`;
      const ul = document.createElement("ul");
      ul.className = "people";
      people.slice(0, 15).forEach((p) => ul.appendChild(person(p)));
      body.append(h, ul);
    }
  }

  cy.on("tap", "node", (event) => show(event.target.id()));
  cy.on("tap", (event) => { if (event.target === cy) cy.elements().removeClass("faded"); });
  function go() {
    const id = byName.get(search.value.trim().toLowerCase());
    if (id !== undefined) show(id);
  }
  document.getElementById("skill-go").addEventListener("click", go);
  search.addEventListener("keydown", (event) => { if (event.key === "Enter") { event.preventDefault(); go(); } });
})();
