// The ticket's swarm room: messages (replayed from the last id seen after every reconnect),
// composer (Enter sends, Shift+Enter new line), presence, typing, invitations, raise hand,
// offer help. Sends carry a client_id, so a retry after a lost acknowledgement never duplicates.
"use strict";

(function () {
  const root = document.getElementById("room");
  const socket = window.swarmSocket;
  if (!root || !socket) return;
  const ticketId = Number(root.dataset.ticketId);
  const me = Number(document.body.dataset.userId);
  window.swarmRoomTicket = ticketId;

  const list = document.getElementById("room-messages");
  const form = document.getElementById("room-form");
  const input = document.getElementById("room-input");
  const kind = document.getElementById("room-kind");
  const people = document.getElementById("room-people");
  const typingLine = document.getElementById("room-typing");
  const status = document.getElementById("room-status");
  let lastId = 0;
  const shown = new Set();
  const outbox = new Map(); // client_id -> {body, kind, element}

  function timeOf(iso) {
    return new Date(iso).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  }

  function render(message, pending) {
    const li = document.createElement("li");
    li.className = `msg msg-${message.kind}` + (message.author && message.author.id === me ? " mine" : "");
    const head = document.createElement("div");
    head.className = "msg-head";
    const who = document.createElement("strong");
    who.textContent = message.author ? message.author.name : "";
    const when = document.createElement("span");
    when.className = "muted small";
    when.textContent = pending ? "sending…" : timeOf(message.at);
    head.append(who, " ", when);
    if (message.kind !== "chat") {
      const tag = document.createElement("span");
      tag.className = "chip";
      tag.textContent = message.kind;
      head.append(" ", tag);
    }
    const body = document.createElement("div");
    body.className = "body-text";
    body.textContent = message.body;
    li.append(head, body);
    return li;
  }

  function add(message) {
    if (shown.has(message.id)) return;
    shown.add(message.id);
    lastId = Math.max(lastId, message.id);
    const pending = message.client_id && outbox.get(message.client_id);
    const element = render(message, false);
    element.dataset.messageId = String(message.id);
    if (pending && pending.element && pending.element.isConnected) {
      pending.element.replaceWith(element);
      outbox.delete(message.client_id);
    } else {
      list.appendChild(element);
    }
    list.scrollTop = list.scrollHeight;
  }

  function showPeople(participants) {
    people.replaceChildren();
    for (const p of participants) {
      const li = document.createElement("li");
      li.textContent = p.name;
      if (p.role !== "guest") { // a guest's name already says so
        const role = document.createElement("span");
        role.className = "muted small";
        role.textContent = ` ${p.role}`;
        li.appendChild(role);
      }
      people.appendChild(li);
    }
    root.dataset.present = participants.map((p) => p.id).join(",");
  }

  function join() {
    const payload = lastId ? { ticket_id: ticketId, since: lastId } : { ticket_id: ticketId };
    socket.emit("join_ticket", payload, (ack) => {
      if (!ack || !ack.ok) {
        status.textContent = ack ? ack.error.message : "The room did not answer.";
        return;
      }
      status.textContent = "";
      ack.messages.forEach(add);
      showPeople(ack.participants);
      root.dataset.joined = "true";
      for (const [clientId, item] of outbox) send(clientId, item.body, item.kind); // resend unacknowledged
    });
  }

  function send(clientId, body, messageKind) {
    socket.emit("send_message", { ticket_id: ticketId, body, client_id: clientId, kind: messageKind }, (ack) => {
      const item = outbox.get(clientId);
      if (ack && ack.ok) {
        add(ack.message);
      } else if (ack && item) {
        item.element.querySelector(".msg-head .muted").textContent = `not sent: ${ack.error.message}`;
        item.element.classList.add("failed");
        if (!input.value) input.value = body; // nothing typed is lost
        outbox.delete(clientId);
      }
    });
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const body = input.value;
    if (!body.trim()) return;
    const clientId = (crypto.randomUUID && crypto.randomUUID()) || `${Date.now()}-${Math.random()}`;
    const messageKind = kind ? kind.value : "chat";
    const element = render({ author: { id: me, name: "You" }, body, kind: messageKind }, true);
    element.classList.add("pending");
    list.appendChild(element);
    list.scrollTop = list.scrollHeight;
    outbox.set(clientId, { body, kind: messageKind, element });
    input.value = "";
    if (socket.connected) send(clientId, body, messageKind);
  });

  let lastTyping = 0;
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
      return;
    }
    const now = Date.now();
    if (now - lastTyping > 2500 && socket.connected) {
      lastTyping = now;
      socket.emit("typing", { ticket_id: ticketId }, () => {});
    }
  });

  let typingTimer = null;
  document.addEventListener("swarm:event", (e) => {
    const event = e.detail;
    if (event.ticket_id !== ticketId) return;
    if (event.type === "message" && event.message) {
      const prev = event.message.prev_id;
      // A message whose predecessor we never saw means live delivery dropped something
      // (a restarted Redis, a flaky network): replay from the database instead of guessing.
      if (prev && !shown.has(prev) && prev > lastId) join();
      else add(event.message);
    }
    else if (event.type === "presence") showPeople(event.participants);
    else if (event.type === "typing" && event.actor) {
      typingLine.textContent = `${event.actor.name} is typing…`;
      clearTimeout(typingTimer);
      typingTimer = setTimeout(() => { typingLine.textContent = ""; }, 3000);
    } else if (["helper_joined", "helper_left", "helper_invited", "invitation_declined", "hand_raised", "help_offered", "assigned", "status_changed", "resolved"].includes(event.type)) {
      const line = document.createElement("li");
      line.className = "msg msg-system muted small";
      const who = event.actor ? event.actor.name : "Swarm";
      const what = {
        helper_joined: "joined the swarm", helper_left: "left the swarm",
        helper_invited: "invited a helper", invitation_declined: "declined an invitation",
        hand_raised: "raised a hand: help wanted", help_offered: "offers help",
        assigned: "changed the owner", status_changed: `set the status to ${event.to}`,
        resolved: "resolved the ticket",
      }[event.type];
      let how = "";
      if (event.type === "helper_left" && event.lost) how = " (connection lost)";
      if (event.type === "helper_left" && event.became_owner) how = ": now owns the ticket";
      if (event.type === "helper_joined" && event.was_owner) how = ": stays on to help";
      line.textContent = `${who} ${what}${how}`;
      list.appendChild(line);
      list.scrollTop = list.scrollHeight;
    }
  });

  for (const button of document.querySelectorAll("[data-invite]")) {
    button.addEventListener("click", () => {
      button.disabled = true;
      socket.emit("invite", { ticket_id: ticketId, agent_id: Number(button.dataset.invite) }, (ack) => {
        button.textContent = ack && ack.ok ? "Invited" : "Invite";
        if (ack && ack.ok) status.textContent = ack.message || "Invitation sent.";
        if (!(ack && ack.ok)) {
          button.disabled = false;
          status.textContent = ack ? ack.error.message : "No answer.";
        }
      });
    });
  }
  const picker = document.getElementById("invite-picker");
  if (picker) {
    picker.addEventListener("submit", (event) => {
      event.preventDefault();
      const agent = Number(document.getElementById("invite-agent").value);
      socket.emit("invite", { ticket_id: ticketId, agent_id: agent }, (ack) => {
        status.textContent = ack && ack.ok ? (ack.message || "Invitation sent.") : (ack ? ack.error.message : "No answer.");
      });
    });
  }
  for (const [id, eventName] of [["raise-hand", "raise_hand"], ["offer-help", "offer_help"]]) {
    const button = document.getElementById(id);
    if (!button) continue;
    button.addEventListener("click", () => {
      socket.emit(eventName, { ticket_id: ticketId }, (ack) => {
        status.textContent = ack && ack.ok
          ? (eventName === "raise_hand" ? `Asked ${ack.notified.length} suggested expert(s) for help.` : "The owner knows you offer help.")
          : (ack ? ack.error.message : "No answer.");
      });
    });
  }

  socket.on("connect", join);
  if (socket.connected) join();
  // Belt and braces: a quiet resync now and then catches a loss that no later message reveals.
  setInterval(() => { if (socket.connected) join(); }, 30000);
})();
