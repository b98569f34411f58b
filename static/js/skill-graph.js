// The skill-graph explorer: cytoscape.js over GET /api/v1/skills/graph. The page (server-side)
// says who knows the chosen skill; this draws either that skill with its neighbours (readable)
// or, on "Show the whole graph", every skill. Clicking a skill goes to its page.
// All user-provided text reaches cytoscape as data, never as HTML.
"use strict";

(async function () {
  const container = document.getElementById("graph");
  if (!container) return;
  const focus = container.dataset.focus;

  const response = await fetch("/api/v1/skills/graph", { credentials: "same-origin" });
  if (!response.ok) {
    container.textContent = "The skill graph could not be loaded.";
    return;
  }
  const data = await response.json();
  let nodes = data.nodes;
  let edges = data.edges;
  if (focus) {
    // The skill and everything one relation away: a handful of nodes one can read.
    const near = new Set([Number(focus)]);
    for (const e of edges) {
      if (e.source === Number(focus)) near.add(e.target);
      if (e.target === Number(focus)) near.add(e.source);
    }
    nodes = nodes.filter((n) => near.has(n.id));
    edges = edges.filter((e) => near.has(e.source) && near.has(e.target));
  }

  const palette = ["#5b3fd6", "#0e7490", "#b45309", "#be123c", "#15803d", "#4338ca", "#a21caf", "#0369a1", "#92400e", "#475569"];
  const categories = [...new Set(data.nodes.map((n) => n.category || "Other"))].sort();
  const colour = (category) => palette[categories.indexOf(category || "Other") % palette.length];

  const cy = cytoscape({
    container,
    elements: [
      ...nodes.map((n) => ({
        data: { id: String(n.id), label: n.name, experts: n.experts, color: colour(n.category) },
      })),
      ...edges.map((e) => ({
        data: { id: `e${e.id}`, source: String(e.source), target: String(e.target), kind: e.kind },
      })),
    ],
    style: [
      { selector: "node", style: {
        "background-color": "data(color)", label: "data(label)", "font-size": focus ? 12 : 9, color: "#1d2330",
        "text-valign": "bottom", "text-margin-y": 3,
        width: "mapData(experts, 0, 12, 10, 34)", height: "mapData(experts, 0, 12, 10, 34)" } },
      { selector: "edge[kind = 'is_a']", style: {
        width: 1.6, "line-color": "#9aa4b5", "target-arrow-shape": "triangle",
        "target-arrow-color": "#9aa4b5", "curve-style": "bezier" } },
      { selector: "edge[kind = 'related_to']", style: {
        width: 1, "line-color": "#c7b8ff", "line-style": "dashed" } },
      { selector: "node.focus", style: { "border-width": 3, "border-color": "#221b3d", "font-weight": "bold" } },
    ],
    layout: focus
      ? { name: "concentric", concentric: (n) => (n.id() === focus ? 2 : 1), levelWidth: () => 1, minNodeSpacing: 70, animate: false }
      : { name: "cose", animate: false, randomize: false, nodeRepulsion: 9000, idealEdgeLength: 60 },
    wheelSensitivity: 0.3,
  });
  if (focus) cy.getElementById(focus).addClass("focus");
  container.dataset.nodes = String(cy.nodes().length);
  container.dataset.edges = String(cy.edges().length);

  cy.on("tap", "node", (event) => {
    if (event.target.id() !== focus) window.location.assign(`/skills?skill=${encodeURIComponent(event.target.id())}`);
  });
})();
