// Tier queue page: the table is re-read from GET /api/v1/queues/<tier> the moment the server
// says the queue changed (Socket.IO `queue_changed`), and every 15 s in any case.
"use strict";

const REFRESH_MS = 15000;

function duration(seconds) {
  let left = Math.abs(Math.trunc(seconds));
  const parts = [];
  for (const [unit, size] of [["d", 86400], ["h", 3600], ["min", 60], ["s", 1]]) {
    if (left >= size || (unit === "s" && parts.length === 0)) {
      parts.push(`${Math.floor(left / size)} ${unit}`);
      left %= size;
    }
  }
  return parts.slice(0, 2).join(" ");
}

function cell(row, text, className) {
  const td = row.insertCell();
  if (text instanceof Node) td.append(text); else td.textContent = text;
  if (className) td.className = className;
  return td;
}

function badge(text, className) {
  const span = document.createElement("span");
  span.className = `badge ${className}`;
  span.textContent = text;
  return span;
}

function timeLeft(item) {
  if (item.vendor) return `at ${item.vendor}${item.vendor_overdue ? " — vendor overdue" : ""}`;
  if (item.paused) return "paused";
  if (item.seconds_left === null) return "no limit";
  if (item.seconds_left <= 0) return "due now";
  return duration(item.seconds_left);
}

function render(table, queue) {
  const body = table.tBodies[0];
  const ticketUrl = table.dataset.ticketUrl.replace(/0$/, "");
  body.replaceChildren();
  for (const item of queue.items) {
    const row = body.insertRow();
    if (!item.owner) row.className = "unowned";
    cell(row, String(item.id), "mono");
    const link = document.createElement("a");
    link.href = ticketUrl + item.id;
    link.textContent = item.subject;
    cell(row, link);
    cell(row, badge(item.priority, `prio-${item.priority}`));
    cell(row, badge(item.status, `status-${item.status}`));
    cell(row, item.owner ? item.owner.name : "nobody yet");
    cell(row, duration(item.age_seconds));
    cell(row, timeLeft(item));
  }
  document.querySelector("[data-unowned]").textContent = String(queue.unowned);
  document.querySelector("[data-empty]").hidden = queue.items.length > 0;
  document.querySelector("[data-refreshed]").textContent =
    `Updated ${new Date().toLocaleTimeString()}; live, and re-read every 15 s.`;
}

async function refresh(table) {
  try {
    const response = await fetch(table.dataset.queueUrl, { headers: { Accept: "application/json" } });
    if (response.ok) render(table, await response.json());
  } catch (error) {
    // A missed refresh is retried at the next tick; the page keeps what it showed.
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const table = document.querySelector("table[data-queue-url]");
  if (!table) return;
  setInterval(() => refresh(table), REFRESH_MS);
  const socket = window.swarmSocket;
  const tier = Number(table.dataset.tier);
  if (!socket || !tier) return;
  let pending = null;
  const watch = () => socket.emit("watch_queue", { tier }, () => {});
  socket.on("connect", () => { watch(); refresh(table); });
  if (socket.connected) watch();
  socket.on("queue_changed", (event) => {
    if (event.tier !== tier) return;
    // Several changes in a burst (an escalation is three events) cost one read.
    clearTimeout(pending);
    pending = setTimeout(() => refresh(table), 150);
  });
});
