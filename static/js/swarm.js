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

// The main nav at narrow widths: the links fold behind the Menu button (CSS decides the width;
// without this script the nav simply wraps). Escape or a click elsewhere closes it and "More".
function foldNav(nav) {
  const button = nav.querySelector(".menu-button");
  if (!button) return;
  nav.dataset.enhanced = "";
  const setOpen = (open) => {
    nav.classList.toggle("open", open);
    button.setAttribute("aria-expanded", String(open));
  };
  button.addEventListener("click", () => setOpen(!nav.classList.contains("open")));
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    const more = nav.querySelector("details[open]");
    if (more) { more.open = false; more.querySelector("summary").focus(); }
    else if (nav.classList.contains("open")) { setOpen(false); button.focus(); }
  });
  document.addEventListener("click", (event) => {
    if (nav.contains(event.target)) return;
    setOpen(false);
    const more = nav.querySelector("details[open]");
    if (more) more.open = false;
  });
}

document.addEventListener("DOMContentLoaded", () => {
  localiseTimes(document);
  const nav = document.querySelector(".mainnav");
  if (nav) foldNav(nav);
  // A link to copy (a new guest link) is selected whole when focused.
  for (const input of document.querySelectorAll("input[data-select-on-focus]")) {
    input.addEventListener("focus", () => input.select());
  }
  // Ask before a change that is hard to undo (unless the page itself is the question).
  for (const button of document.querySelectorAll("button.danger:not([data-confirmed])")) {
    button.addEventListener("click", (event) => {
      if (!window.confirm(`${button.getAttribute("aria-label") || button.textContent}?`)) event.preventDefault();
    });
  }
});

// The live connection's state for people and tests: body[data-live] is connected, reconnecting
// or (when ``refused`` says the server will not take the connection back) ended, and a banner
// says so while it is not connected. Used by live.js (the app) and guest.js (guest links).
window.swarmWatchConnection = function (socket, refused) {
  const banner = document.createElement("div");
  banner.className = "connection-banner";
  banner.setAttribute("role", "status");
  banner.hidden = true;
  document.body.appendChild(banner);
  let everConnected = false;
  socket.on("connect", () => {
    banner.hidden = true;
    document.body.dataset.live = "connected";
    everConnected = true;
  });
  socket.on("disconnect", () => {
    document.body.dataset.live = "reconnecting";
    banner.textContent = "Connection lost — reconnecting… Nothing you write is lost.";
    banner.hidden = !everConnected;
  });
  socket.on("connect_error", () => {
    document.body.dataset.live = "reconnecting";
    const message = refused && !socket.active ? refused() : null;
    if (message) {
      document.body.dataset.live = "ended";
      banner.textContent = message;
      banner.hidden = false;
    } else if (everConnected) {
      banner.textContent = "Reconnecting…";
      banner.hidden = false;
    }
  });
};
