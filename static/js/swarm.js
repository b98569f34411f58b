// Swarm pages: small progressive enhancements; every page works without this file.
"use strict";

// Show <time datetime="…"> in the reader's own time zone, with a relative hint.
function localiseTimes(root) {
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
  const units = [["day", 86400], ["hour", 3600], ["minute", 60]];
  for (const el of root.querySelectorAll("time[datetime]")) {
    const at = new Date(el.getAttribute("datetime"));
    if (Number.isNaN(at.getTime())) continue;
    const seconds = (at.getTime() - Date.now()) / 1000;
    let relative = rtf.format(Math.round(seconds), "second");
    for (const [unit, size] of units) {
      if (Math.abs(seconds) >= size) { relative = rtf.format(Math.round(seconds / size), unit); break; }
    }
    el.title = at.toLocaleString();
    el.textContent = `${at.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" })} (${relative})`;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  localiseTimes(document);
  // Ask before a change that is hard to undo.
  for (const button of document.querySelectorAll("button.danger")) {
    button.addEventListener("click", (event) => {
      if (!window.confirm(`${button.getAttribute("aria-label") || button.textContent}?`)) event.preventDefault();
    });
  }
});
