// A guest link's page: one Socket.IO connection authenticated by the link (no account, no
// cookie), used by the room (room.js), and a banner while it reconnects. When the link ends the
// server refuses the connection, and the page says so.
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

  window.swarmWatchConnection(socket, () => {
    // Refused, and the client does not retry: the link was revoked or ran out.
    for (const control of document.querySelectorAll("#room-form textarea, #room-form button")) {
      control.disabled = true;
    }
    return "This guest link has ended. Ask the support team for a new one.";
  });
  // The server ends a guest's connection when their link ends; asking again shows that.
  socket.on("disconnect", (reason) => {
    if (reason === "io server disconnect") socket.connect();
  });
})();
