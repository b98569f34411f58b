// One Socket.IO connection per page for signed-in agents: invitation notices anywhere in the app,
// and the connection the ticket room (room.js) uses. User text goes in with textContent only.
"use strict";

(function () {
  const me = document.body.dataset.userId;
  if (!me || typeof io === "undefined") return;

  const socket = io({ transports: ["websocket", "polling"], reconnectionDelayMax: 5000 });
  window.swarmSocket = socket;

  window.swarmWatchConnection(socket);

  const tray = document.createElement("div");
  tray.className = "notice-tray";
  tray.setAttribute("aria-live", "polite");
  document.body.appendChild(tray);

  function notice(event) {
    const box = document.createElement("section");
    box.className = "notice";
    box.setAttribute("role", "alertdialog");
    box.setAttribute("aria-label", "Invitation to help");
    const text = document.createElement("p");
    const who = document.createElement("strong");
    who.textContent = event.invitation.inviter ? event.invitation.inviter.name : "Someone";
    const link = document.createElement("a");
    link.href = `/tickets/${event.ticket_id}`;
    link.textContent = `#${event.ticket_id} ${event.invitation.ticket_subject}`;
    text.append(who, " asks for your help on ", link);
    box.appendChild(text);
    if (event.invitation.note) {
      const note = document.createElement("p");
      note.className = "muted";
      note.textContent = event.invitation.note;
      box.appendChild(note);
    }
    const actions = document.createElement("div");
    actions.className = "inline";
    const accept = document.createElement("button");
    accept.className = "primary small";
    accept.textContent = "Accept";
    const decline = document.createElement("button");
    decline.className = "small";
    decline.textContent = "Decline";
    const status = document.createElement("span");
    status.className = "muted small";
    actions.append(accept, decline, status);
    box.appendChild(actions);
    function answer(yes) {
      accept.disabled = decline.disabled = true;
      socket.emit("respond_invitation", { invitation_id: event.invitation.id, accept: yes }, (ack) => {
        if (ack && ack.ok) {
          if (yes) window.location.href = `/tickets/${event.ticket_id}`;
          else box.remove();
        } else {
          status.textContent = ack ? ack.error.message : "No answer from the server.";
          accept.disabled = decline.disabled = false;
        }
      });
    }
    accept.addEventListener("click", () => answer(true));
    decline.addEventListener("click", () => answer(false));
    tray.appendChild(box);
  }

  socket.on("ticket_event", (event) => {
    if (event.type === "helper_invited" && String(event.agent_id) === me) notice(event);
    if (event.type === "help_offered" && String(event.owner_id) === me && !window.swarmRoomTicket) {
      const box = document.createElement("section");
      box.className = "notice";
      box.setAttribute("role", "status");
      const p = document.createElement("p");
      const link = document.createElement("a");
      link.href = `/tickets/${event.ticket_id}`;
      link.textContent = `ticket #${event.ticket_id}`;
      p.append(`${event.actor ? event.actor.name : "Someone"} offers help on `, link);
      box.appendChild(p);
      tray.appendChild(box);
    }
    if (event.type === "offer_declined" && String(event.agent_id) === me && window.swarmRoomTicket !== event.ticket_id) {
      const box = document.createElement("section");
      box.className = "notice";
      box.setAttribute("role", "status");
      const p = document.createElement("p");
      const link = document.createElement("a");
      link.href = `/tickets/${event.ticket_id}`;
      link.textContent = `ticket #${event.ticket_id}`;
      p.append(`${event.actor ? event.actor.name : "The owner"} said no, thanks, to your offer on `, link);
      if (event.note) p.append(`: ${event.note}`);
      box.appendChild(p);
      tray.appendChild(box);
    }
    document.dispatchEvent(new CustomEvent("swarm:event", { detail: event }));
  });

  // A new notification of ours (docs/notifications.md): the bell counts it at once; the page
  // and the count are read from the database on the next load, so a lost emit costs nothing.
  socket.on("notification", (item) => {
    const bell = document.querySelector("[data-bell]");
    const badge = bell && bell.querySelector("[data-notification-count]");
    if (badge) {
      const unread = (parseInt(badge.textContent, 10) || 0) + 1;
      badge.textContent = String(unread);
      badge.hidden = false;
      // The page wrote the label in the reader's language, with {n} where the count goes.
      const label = bell.dataset.label || "Notifications: {n} unread";
      bell.setAttribute("aria-label", label.replace("{n}", String(unread)));
    }
    document.dispatchEvent(new CustomEvent("swarm:notification", { detail: item }));
  });
})();
