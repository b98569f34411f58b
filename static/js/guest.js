// A guest link's page: one Socket.IO connection authenticated by the link (no account, no
// cookie), used by the room (room.js), and a banner while it reconnects. When the link ends the
// server refuses the connection, and the page says so instead of retrying for ever.
"use strict";

(function () {
  const room = document.getElementById("room");
  if (!room || typeof io === "undefined") return;
  document.body.dataset.userId = room.dataset.guestId;

  const socket = io({
    auth: { guest: room.dataset.guestLink },
    transports: ["websocket", "polling"],
    reconnectionDelayMax: 5000,
  });
  window.swarmSocket = socket;
  // The room listens for this, as on the app's own pages (live.js).
  socket.on("ticket_event", (event) => {
    document.dispatchEvent(new CustomEvent("swarm:event", { detail: event }));
  });

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
  socket.on("disconnect", (reason) => {
    document.body.dataset.live = "reconnecting";
    banner.textContent = "Connection lost — reconnecting… Nothing you write is lost.";
    banner.hidden = !everConnected;
    // The server ends a guest's connection when their link is revoked or runs out.
    if (reason === "io server disconnect") socket.connect();
  });
  socket.on("connect_error", () => {
    document.body.dataset.live = "reconnecting";
    if (!socket.active) { // refused by the server, which the client does not retry
      document.body.dataset.live = "ended";
      banner.textContent = "This guest link has ended. Ask the support team for a new one.";
      banner.hidden = false;
      for (const control of document.querySelectorAll("#room-form textarea, #room-form button")) {
        control.disabled = true;
      }
      return;
    }
    if (everConnected) {
      banner.textContent = "Reconnecting…";
      banner.hidden = false;
    }
  });
})();
