// Manager dashboard: draws the charts (Chart.js, static/vendor/chartjs) from the report the page
// embeds. A filter, a live change (Socket.IO `metrics_changed`) or the minute's re-read fetches
// the page again with the same address and swaps every [data-section]: the server words every
// figure, the script only draws. Arms differ by pattern, dash and marker as well as by colour.
"use strict";

(function () {
  const REREAD_MS = 60000;
  const DEBOUNCE_MS = 800;
  const ARMS = ["swarm", "tiered"];
  const BUCKETS = ["0", "1", "2", "3+"];
  const INK = "#1d2330";
  const MUTED = "#5d6675";
  const STYLE = {
    swarm: { color: "#5b3fd6", band: "rgba(91, 63, 214, .16)", dash: [], point: "circle" },
    tiered: { color: "#c2410c", band: "rgba(194, 65, 12, .14)", dash: [7, 4], point: "triangle" },
  };
  const charts = {};
  // Printed charts are a third of a page wide: smaller type keeps their labels apart.
  const printing = window.matchMedia("print");
  const labelFont = (weight) => `${weight} ${printing.matches ? 8 : 11}px system-ui, sans-serif`;
  let labels = { swarm: "Swarming", tiered: "Tiered" };

  function readData(root) {
    const node = root.getElementById("dashboard-data");
    const data = JSON.parse(node.textContent);
    labels = data.arm_labels || labels;
    return data.report;
  }

  // Diagonal stripes in the arm's colour: tiered bars read apart from swarm bars in grey print.
  function stripes(color) {
    const tile = document.createElement("canvas");
    tile.width = tile.height = 8;
    const g = tile.getContext("2d");
    g.fillStyle = "#fff";
    g.fillRect(0, 0, 8, 8);
    g.strokeStyle = color;
    g.lineWidth = 2.5;
    g.beginPath();
    g.moveTo(-2, 10); g.lineTo(10, -2);
    g.moveTo(-2, 2); g.lineTo(2, -2);
    g.moveTo(6, 10); g.lineTo(10, 6);
    g.stroke();
    return g.createPattern(tile, "repeat");
  }

  function fill(arm) {
    return arm === "tiered" ? stripes(STYLE.tiered.color) : STYLE.swarm.color;
  }

  const pct = (v) => (v === null || v === undefined || Number.isNaN(v) ? "—" : `${Math.round(v * 100)} %`);
  const hrs = (v) => (v === null || v === undefined || Number.isNaN(v) ? "—" : `${v.toFixed(1)} h`);

  // Direct labels: the value above each bar, so no one has to match colours to a legend.
  const barValues = {
    id: "barValues",
    afterDatasetsDraw(chart, _args, options) {
      if (!options || !options.format) return;
      const ctx = chart.ctx;
      ctx.save();
      ctx.font = labelFont(400);
      ctx.fillStyle = INK;
      ctx.textAlign = "center";
      ctx.textBaseline = "bottom";
      chart.data.datasets.forEach((dataset, i) => {
        const meta = chart.getDatasetMeta(i);
        if (meta.hidden || meta.type !== "bar") return;
        meta.data.forEach((bar, j) => {
          const value = dataset.data[j];
          if (value === null || value === undefined) return;
          ctx.fillText(options.format(value), bar.x, bar.y - 2);
        });
      });
      ctx.restore();
    },
  };

  // Direct labels right of each line's end, for the arm it belongs to; kept 14 px apart so
  // that two lines ending close together keep readable names.
  const lineEnds = {
    id: "lineEnds",
    afterDatasetsDraw(chart, _args, options) {
      if (!options || !options.enabled) return;
      const ends = [];
      chart.data.datasets.forEach((dataset, i) => {
        const meta = chart.getDatasetMeta(i);
        if (meta.hidden || meta.type !== "line" || !dataset.endLabel) return;
        const last = [...meta.data].reverse().find((p) => !p.skip && Number.isFinite(p.y));
        if (last) ends.push({ text: dataset.endLabel, color: dataset.borderColor, y: last.y });
      });
      ends.sort((a, b) => a.y - b.y);
      for (let i = 1; i < ends.length; i++) ends[i].y = Math.max(ends[i].y, ends[i - 1].y + 14);
      const ctx = chart.ctx;
      ctx.save();
      ctx.font = labelFont(600);
      ctx.textAlign = "left";
      ctx.textBaseline = "middle";
      for (const end of ends) {
        ctx.fillStyle = end.color;
        ctx.fillText(end.text, chart.chartArea.right + 4, end.y);
      }
      ctx.restore();
    },
  };

  const LINE_LEGEND = { usePointStyle: false, color: INK, boxWidth: 26, boxHeight: 3 };
  const END_ROOM = { padding: { right: 68 } };

  function baseOptions(extra) {
    return Object.assign(
      {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: {
          legend: { labels: { usePointStyle: true, color: INK, boxWidth: 28 } },
          tooltip: { mode: "index", intersect: false },
        },
        scales: {},
      },
      extra
    );
  }

  function arms(report) {
    return ARMS.filter((arm) => report.arms && report.arms[arm]);
  }

  // ------------------------------------------------------------------ each chart's data

  function handoffData(report) {
    return {
      labels: BUCKETS.map((b) => (b === "1" ? "1 hand-off" : `${b} hand-offs`)),
      datasets: arms(report).map((arm) => ({
        label: labels[arm],
        data: BUCKETS.map((b) => report.arms[arm].handoffs.share[b] ?? 0),
        backgroundColor: fill(arm),
        borderColor: STYLE[arm].color,
        borderWidth: 1.5,
      })),
    };
  }

  // Knowledge (Tier 0): per arm, the share of resolved tickets that reused an article and
  // the share of tickets classified as known issues when they opened.
  function knowledgeData(report) {
    const kn = report.knowledge || { arms: {} };
    const present = ARMS.filter((arm) => kn.arms[arm]);
    return {
      labels: ["Reused an article", "Known issue at opening"],
      datasets: present.map((arm) => ({
        label: labels[arm],
        data: [kn.arms[arm].reuse.rate, kn.arms[arm].known.rate],
        backgroundColor: fill(arm),
        borderColor: STYLE[arm].color,
        borderWidth: 1.5,
      })),
    };
  }

  function ttrByHandoffData(report) {
    return {
      labels: BUCKETS.map((b) => (b === "1" ? "1 hand-off" : `${b} hand-offs`)),
      datasets: arms(report).map((arm) => ({
        label: labels[arm],
        data: BUCKETS.map((b) => {
          const cell = report.arms[arm].by_handoffs[b];
          return cell && cell.ttr_median_hours !== null ? cell.ttr_median_hours : null;
        }),
        backgroundColor: fill(arm),
        borderColor: STYLE[arm].color,
        borderWidth: 1.5,
      })),
    };
  }

  function survivalData(report) {
    const datasets = [];
    arms(report).forEach((arm) => {
      const s = report.arms[arm].survival;
      const points = (ys) => s.hours.map((x, i) => ({ x, y: ys[i] }));
      const style = STYLE[arm];
      datasets.push({
        label: `${labels[arm]} lower bound`, band: true, data: points(s.lo), stepped: "before",
        borderWidth: 0, pointRadius: 0, fill: false,
      });
      datasets.push({
        label: `${labels[arm]} interval`, band: true, data: points(s.hi), stepped: "before",
        borderWidth: 0, pointRadius: 0, fill: "-1", backgroundColor: style.band,
      });
      datasets.push({
        label: labels[arm], data: points(s.resolved_share), stepped: "before",
        borderColor: style.color, backgroundColor: style.color, borderDash: style.dash,
        borderWidth: 2.5, pointRadius: 0, pointStyle: style.point, fill: false,
        endLabel: labels[arm],
      });
    });
    return { datasets };
  }

  function weekLabel(point) {
    return point.start.slice(5, 10);
  }

  function volumeData(report) {
    const points = report.timeseries.points;
    const datasets = [];
    arms(report).forEach((arm) => {
      datasets.push({
        type: "bar", label: `${labels[arm]} opened`,
        data: points.map((p) => (p[arm] ? p[arm].created : 0)),
        backgroundColor: fill(arm), borderColor: STYLE[arm].color, borderWidth: 1, order: 2,
      });
    });
    arms(report).forEach((arm) => {
      datasets.push({
        type: "line", label: `${labels[arm]} resolved`,
        data: points.map((p) => (p[arm] ? p[arm].resolved : 0)),
        borderColor: arm === "swarm" ? INK : "#7c2d12", backgroundColor: "#fff",
        borderDash: STYLE[arm].dash, pointStyle: STYLE[arm].point, pointRadius: 4, borderWidth: 2,
        order: 1,
      });
    });
    return { labels: points.map(weekLabel), datasets };
  }

  function weeklyTtrData(report) {
    const points = report.timeseries.points;
    return {
      labels: points.map(weekLabel),
      datasets: arms(report).map((arm) => ({
        label: labels[arm],
        data: points.map((p) => (p[arm] ? p[arm].ttr_median_hours : null)),
        borderColor: STYLE[arm].color, backgroundColor: STYLE[arm].color,
        borderDash: STYLE[arm].dash, pointStyle: STYLE[arm].point, pointRadius: 4, borderWidth: 2.5,
        spanGaps: true, endLabel: labels[arm],
      })),
    };
  }

  // The page's JSON comes with sorted keys: put the known age bands back in age order.
  const AGES = ["<1d", "1-3d", "3-7d", ">7d"];

  function backlogData(report) {
    const keys = Object.keys(report.backlog.by_age);
    const ages = AGES.filter((a) => keys.includes(a)).concat(keys.filter((k) => !AGES.includes(k)));
    return {
      labels: ages,
      datasets: [{
        label: "Open tickets",
        data: ages.map((a) => report.backlog.by_age[a]),
        backgroundColor: ages.map((_a, i) => (i < 2 ? "#98a2b3" : stripes("#475467"))),
        borderColor: "#475467", borderWidth: 1.5,
      }],
    };
  }

  // ------------------------------------------------------------------ drawing

  const DEFINITIONS = {
    "chart-knowledge": {
      type: "bar", data: knowledgeData,
      options: () => baseOptions({
        plugins: {
          legend: { labels: { color: INK } },
          tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${pct(c.raw)}` } },
          barValues: { format: pct },
        },
        scales: { y: { beginAtZero: true, max: 1, ticks: { callback: pct, color: MUTED }, title: { display: true, text: "share of tickets" } } },
      }),
    },
    "chart-handoffs": {
      type: "bar", data: handoffData,
      options: () => baseOptions({
        plugins: {
          legend: { labels: { color: INK } },
          tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${pct(c.raw)}` } },
          barValues: { format: pct },
        },
        scales: { y: { beginAtZero: true, max: 1, ticks: { callback: pct, color: MUTED }, title: { display: true, text: "share of tickets" } } },
      }),
    },
    "chart-ttr-handoffs": {
      type: "bar", data: ttrByHandoffData,
      options: () => baseOptions({
        plugins: {
          legend: { labels: { color: INK } },
          tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${hrs(c.raw)}` } },
          barValues: { format: hrs },
        },
        scales: { y: { beginAtZero: true, grace: "12%", ticks: { color: MUTED }, title: { display: true, text: "median hours to resolve" } } },
      }),
    },
    "chart-survival": {
      type: "line", data: survivalData,
      options: () => baseOptions({
        layout: END_ROOM,
        plugins: {
          legend: { labels: { ...LINE_LEGEND, filter: (item, data) => !data.datasets[item.datasetIndex].band } },
          tooltip: { mode: "nearest", intersect: false, filter: (item) => !item.dataset.band,
            callbacks: { label: (c) => `${c.dataset.label}: ${pct(c.raw.y)} by ${hrs(c.raw.x)}` } },
          lineEnds: { enabled: true },
        },
        scales: {
          x: { type: "linear", beginAtZero: true, ticks: { color: MUTED }, title: { display: true, text: "hours since opened" } },
          y: { beginAtZero: true, max: 1, ticks: { callback: pct, color: MUTED }, title: { display: true, text: "share resolved" } },
        },
      }),
    },
    "chart-volume": {
      type: "bar", data: volumeData,
      options: () => baseOptions({
        scales: { y: { beginAtZero: true, ticks: { color: MUTED }, title: { display: true, text: "tickets" } }, x: { ticks: { color: MUTED } } },
      }),
    },
    "chart-weekly-ttr": {
      type: "line", data: weeklyTtrData,
      options: () => baseOptions({
        layout: END_ROOM,
        plugins: {
          legend: { labels: { usePointStyle: true, color: INK } },
          tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${hrs(c.raw)}` } },
          lineEnds: { enabled: true },
        },
        scales: { y: { beginAtZero: true, ticks: { color: MUTED }, title: { display: true, text: "median hours" } }, x: { ticks: { color: MUTED } } },
      }),
    },
    "chart-backlog": {
      type: "bar", data: backlogData,
      options: () => baseOptions({
        plugins: { legend: { display: false }, barValues: { format: (v) => String(v) } },
        scales: { y: { beginAtZero: true, grace: "12%", ticks: { precision: 0, color: MUTED }, title: { display: true, text: "open tickets" } } },
      }),
    },
  };

  function draw(report) {
    for (const [id, def] of Object.entries(DEFINITIONS)) {
      const canvas = document.getElementById(id);
      if (!canvas) {
        if (charts[id]) { charts[id].destroy(); delete charts[id]; }
        continue;
      }
      const data = def.data(report);
      const existing = charts[id];
      if (existing && existing.canvas === canvas) {
        existing.data = data;
        existing.update();
      } else {
        if (existing) existing.destroy();
        charts[id] = new Chart(canvas, { type: def.type, data, options: def.options(), plugins: [barValues, lineEnds] });
      }
    }
  }

  // ------------------------------------------------------------------ re-reading the page

  const status = () => document.querySelector("[data-live-status]");
  let reading = null;

  // Swap each [data-section] for the fetched page's; a section that appeared or went away
  // (no arms, say) means the page's structure changed: take the whole dashboard.
  function swap(fresh) {
    const oldSections = [...document.querySelectorAll("[data-section]")].map((n) => n.id);
    const newSections = [...fresh.querySelectorAll("[data-section]")].map((n) => n.id);
    const sameShape = oldSections.length === newSections.length && oldSections.every((id, i) => id === newSections[i]);
    if (!sameShape) {
      document.querySelector(".dashboard").replaceWith(fresh.querySelector(".dashboard"));
      return;
    }
    for (const node of fresh.querySelectorAll("[data-section]")) {
      const here = document.getElementById(node.id);
      if (node.tagName === "DETAILS") node.open = here.open;
      here.replaceWith(node);
    }
  }

  async function reread(url, why) {
    if (reading) reading.abort();
    const controller = new AbortController();
    reading = controller;
    try {
      const response = await fetch(url, { headers: { Accept: "text/html" }, signal: controller.signal });
      const text = await response.text();
      const fresh = new DOMParser().parseFromString(text, "text/html");
      if (!response.ok || !fresh.getElementById("dashboard-data")) {
        const detail = fresh.querySelector(".error-detail");
        status().textContent = detail ? detail.textContent : "The dashboard could not be read; showing the last figures.";
        return;
      }
      swap(fresh);
      draw(readData(document));
      bindForm();
      bindPrint();
      status().textContent = `${why} at ${new Date().toLocaleTimeString()}.`;
    } catch (error) {
      if (error.name !== "AbortError") status().textContent = "No answer from the server; showing the last figures.";
    } finally {
      if (reading === controller) reading = null;
    }
  }

  function bindForm() {
    const form = document.querySelector(".dash-filters");
    if (!form || form.dataset.bound) return;
    form.dataset.bound = "1";
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const params = new URLSearchParams(new FormData(form));
      for (const [key, value] of [...params.entries()]) if (!value) params.delete(key);
      const query = params.toString();
      const url = `${form.action}${query ? `?${query}` : ""}`;
      history.pushState(null, "", url);
      reread(url, "Filtered");
    });
  }

  function bindPrint() {
    const print = document.querySelector("[data-print]");
    if (!print || !print.hidden) return;
    print.hidden = false;
    print.addEventListener("click", () => window.print());
  }

  // Printing lays the page out anew; the charts follow their boxes' new sizes and type.
  function resizeAll() {
    Chart.defaults.font.size = printing.matches ? 8 : 12;
    for (const chart of Object.values(charts)) {
      chart.resize();
      chart.update();
    }
  }

  function live() {
    const socket = window.swarmSocket;
    let pending = null;
    const later = () => {
      clearTimeout(pending);
      pending = setTimeout(() => reread(window.location.href, "Updated"), DEBOUNCE_MS);
    };
    setInterval(() => { if (!document.hidden) reread(window.location.href, "Re-read"); }, REREAD_MS);
    window.addEventListener("popstate", () => reread(window.location.href, "Filtered"));
    if (!socket) return;
    const watch = () => socket.emit("watch_dashboard", {}, (ack) => {
      if (ack && ack.ok) status().dataset.watching = "1";
      else status().textContent = ack ? ack.error.message : "Live updates are off.";
    });
    socket.on("connect", () => { watch(); later(); });
    if (socket.connected) watch();
    socket.on("metrics_changed", later);
  }

  document.addEventListener("DOMContentLoaded", () => {
    if (!document.getElementById("dashboard-data") || typeof Chart === "undefined") return;
    Chart.defaults.font.family = "system-ui, -apple-system, 'Segoe UI', Roboto, Ubuntu, sans-serif";
    draw(readData(document));
    bindForm();
    bindPrint();
    live();
    printing.addEventListener("change", resizeAll);
    window.addEventListener("beforeprint", resizeAll);
    window.addEventListener("afterprint", resizeAll);
  });
})();
