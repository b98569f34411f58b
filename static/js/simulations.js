// What-if runs: each run's progress as the server relays it (simulation_progress to the managers'
// room), and the dashboard link once a run is done. Text goes in with textContent only.
"use strict";

(function () {
  const table = document.querySelector(".sim-runs");
  const socket = window.swarmSocket;
  if (!socket) return;

  const labels = { queued: "Waiting to start", running: "Running", done: "Done", failed: "Failed" };
  const number = (n) => Number(n).toLocaleString("en");

  function update(run) {
    const row = table && table.querySelector(`tr[data-run="${Number(run.id)}"]`);
    if (!row) {
      // A run started elsewhere: the page as the server words it has it.
      if (run.state === "done" || run.state === "queued") window.location.reload();
      return;
    }
    row.dataset.state = run.state;
    const bar = row.querySelector("[data-progress]");
    bar.value = run.state === "done" ? 1 : Number(run.progress) || 0;
    row.querySelector("[data-state-label]").textContent = labels[run.state] || run.state;
    if (run.total) {
      const done = run.state === "done" ? run.total : run.done;
      row.querySelector("[data-count]").textContent = `${number(done)} of ${number(run.total)} tickets`;
    }
    const result = row.querySelector("[data-result]");
    if (run.state === "done") {
      result.replaceChildren();
      const link = document.createElement("a");
      link.href = `/dashboard?dataset=${encodeURIComponent(run.dataset)}`;
      link.textContent = "Open in the dashboard";
      result.appendChild(link);
      const arms = (run.summary && run.summary.arms) || {};
      for (const [arm, figures] of Object.entries(arms)) {
        const line = document.createElement("span");
        line.className = "muted small";
        line.textContent = `${arm === "swarm" ? "Swarming" : "Tiered"}: ${number(figures.resolved)} of ${number(figures.tickets)} resolved`;
        result.append(document.createElement("br"), line);
      }
    } else if (run.state === "failed") {
      result.replaceChildren();
      const error = document.createElement("span");
      error.className = "field-error";
      error.textContent = run.error || "The run failed.";
      result.appendChild(error);
    }
  }

  const watch = () => socket.emit("watch_dashboard", {}, () => {});
  socket.on("connect", watch);
  if (socket.connected) watch();
  socket.on("simulation_progress", update);
})();
