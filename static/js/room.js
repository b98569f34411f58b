// A ticket's live conversations: the swarm room (staff and invited guests: chat, notes,
// solutions) and the conversation with the requester (replies). Each page shows the panes its
// reader may see — staff both, the requester the conversation, a guest the swarm room — and the
// server sends each reader only their own messages. Messages are replayed from the last id seen
// after every reconnect; sends carry a client_id, so a retry after a lost acknowledgement never
// duplicates; a message's kind says which conversation it belongs to, for ever.
"use strict";

(function () {
  const root = document.getElementById("room");
  const socket = window.swarmSocket;
  if (!root || !socket) return;
  const ticketId = Number(root.dataset.ticketId);
  const me = Number(document.body.dataset.userId);
  window.swarmRoomTicket = ticketId;

  // One pane per conversation present on the page.
  function pane(prefix, name, kinds) {
    const list = document.getElementById(`${prefix}-messages`);
    if (!list) return null;
    return {
      name,
      kinds,
      list,
      form: document.getElementById(`${prefix}-form`),
      input: document.getElementById(`${prefix}-input`),
      kind: document.getElementById(`${prefix}-kind`),
      typing: document.getElementById(`${prefix}-typing`),
      status: document.getElementById(`${prefix}-status`),
    };
  }
  const panes = [
    pane("room", "swarm", ["chat", "note", "solution"]),
    pane("conv", "requester", ["reply"]),
  ].filter(Boolean);
  const paneFor = (kind) => panes.find((p) => p.kinds.includes(kind));
  const people = document.getElementById("room-people");
  const status = (panes[0] && panes[0].status) || document.createElement("p");
  const leaveButton = document.getElementById("leave-swarm");

  let lastId = 0;
  const shown = new Set();
  const outbox = new Map(); // client_id -> {body, kind, element, pane}

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
    if (message.kind === "note" || message.kind === "solution") {
      const tag = document.createElement("span");
      tag.className = "chip";
      tag.textContent = message.kind;
      head.append(" ", tag);
    }
    if (message.author && message.author.automatic) {
      // A rule's canned reply: the support team's, sent without a person (docs/rules.md).
      const tag = document.createElement("span");
      tag.className = "chip";
      tag.textContent = "automatic reply";
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
    const where = paneFor(message.kind);
    if (!where) return; // not a conversation this page shows
    const pending = message.client_id && outbox.get(message.client_id);
    const element = render(message, false);
    element.dataset.messageId = String(message.id);
    if (pending && pending.element && pending.element.isConnected) {
      pending.element.replaceWith(element);
      outbox.delete(message.client_id);
    } else {
      where.list.appendChild(element);
    }
    where.list.scrollTop = where.list.scrollHeight;
  }

  function showPeople(participants) {
    if (!people) return;
    people.replaceChildren();
    for (const p of participants) {
      const li = document.createElement("li");
      li.textContent = p.name;
      li.className = p.here ? "here" : "away";
      if (p.role !== "guest") { // a guest's name already says so
        const role = document.createElement("span");
        role.className = "muted small";
        role.textContent = ` ${p.role}${p.here ? "" : " · away"}`;
        li.appendChild(role);
      }
      people.appendChild(li);
    }
    root.dataset.present = participants.filter((p) => p.here).map((p) => p.id).join(",");
    root.dataset.swarm = participants.filter((p) => p.role === "owner" || p.role === "helper").map((p) => p.id).join(",");
    if (leaveButton) leaveButton.hidden = !participants.some((p) => p.id === me && p.role === "helper");
  }

  function join() {
    const payload = lastId ? { ticket_id: ticketId, since: lastId } : { ticket_id: ticketId };
    socket.emit("join_ticket", payload, (ack) => {
      if (!ack || !ack.ok) {
        status.textContent = ack ? ack.error.message : "The room did not answer.";
        // Busy, restarting or the database away: nothing is wrong with the join; try again
        // in a few seconds (spread out, so that a busy server is not asked by all at once).
        if (ack && ack.error.code === "unavailable") {
          setTimeout(() => { if (socket.connected) join(); }, 3000 + Math.random() * 4000);
        }
        return;
      }
      status.textContent = "";
      ack.messages.forEach(add);
      showPeople(ack.participants);
      root.dataset.joined = "true";
      for (const [clientId, item] of outbox) send(clientId, item); // resend unacknowledged
    });
  }

  function send(clientId, item) {
    socket.emit("send_message", { ticket_id: ticketId, body: item.body, client_id: clientId, kind: item.kind }, (ack) => {
      if (ack && ack.ok) {
        add(ack.message);
      } else if (ack && ack.error.code === "unavailable" && outbox.has(clientId)) {
        // The database is out of reach or this server is restarting: nothing was stored. Kept
        // in the outbox, sent again (same client_id: stored once) in a while or on rejoin.
        item.element.querySelector(".msg-head .muted").textContent = "not sent yet: trying again…";
        setTimeout(() => { if (outbox.has(clientId) && socket.connected) send(clientId, item); }, 5000);
      } else if (ack && outbox.has(clientId)) {
        item.element.querySelector(".msg-head .muted").textContent = `not sent: ${ack.error.message}`;
        item.element.classList.add("failed");
        if (!item.pane.input.value) item.pane.input.value = item.body; // nothing typed is lost
        outbox.delete(clientId);
      }
    });
  }

  for (const p of panes) {
    if (!p.form) continue;
    p.form.addEventListener("submit", (event) => {
      event.preventDefault();
      const body = p.input.value;
      if (!body.trim()) return;
      const clientId = (crypto.randomUUID && crypto.randomUUID()) || `${Date.now()}-${Math.random()}`;
      const messageKind = p.kind ? p.kind.value : p.kinds[0];
      const element = render({ author: { id: me, name: "You" }, body, kind: messageKind }, true);
      element.classList.add("pending");
      p.list.appendChild(element);
      p.list.scrollTop = p.list.scrollHeight;
      const item = { body, kind: messageKind, element, pane: p };
      outbox.set(clientId, item);
      p.input.value = "";
      if (socket.connected) send(clientId, item);
    });

    let lastTyping = 0;
    p.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        p.form.requestSubmit();
        return;
      }
      const now = Date.now();
      if (now - lastTyping > 2500 && socket.connected) {
        lastTyping = now;
        socket.emit("typing", { ticket_id: ticketId, to: p.name }, () => {});
      }
    });
  }

  function systemLine(text, extra) {
    const where = paneFor("chat");
    if (!where) return;
    const line = document.createElement("li");
    line.className = "msg msg-system muted small";
    line.textContent = text;
    if (extra) line.append(" ", extra);
    where.list.appendChild(line);
    where.list.scrollTop = where.list.scrollHeight;
  }

  const JOINED = {
    invitation: "accepted an invitation and joined the swarm", offer: "joined the swarm (offer accepted)",
    added: "was added to the swarm", message: "joined the swarm by writing in it",
    note: "joined the swarm with a note", was_owner: "stays on as a helper after handing over",
  };
  const LEFT = {
    left: "left the swarm", idle: "stopped helping (away and silent)",
    resolved: "— the swarm ended with the resolution", became_owner: "now owns the ticket",
  };

  const typingTimers = new Map();
  // An event can reach this page twice: through the ticket's room and through the person's
  // own room (an offer of help to its owner, a "no, thanks" to whoever offered). Show it once.
  const seenEvents = new Set();
  document.addEventListener("swarm:event", (e) => {
    const event = e.detail;
    if (event.ticket_id !== ticketId) return;
    if (event.id && event.type !== "message") {
      if (seenEvents.has(event.id)) return;
      seenEvents.add(event.id);
    }
    if (event.type === "message" && event.message) {
      const prev = event.message.prev_id;
      // A message whose predecessor we never saw means live delivery dropped something
      // (a restarted Redis, a flaky network) — or the predecessor is in a conversation this
      // reader does not see. Replay from the database instead of guessing: it answers both.
      if (prev && !shown.has(prev) && prev > lastId) join();
      else add(event.message);
    }
    else if (event.type === "presence") showPeople(event.participants);
    else if (event.type === "typing" && event.actor) {
      const where = panes.find((p) => p.name === event.to) || panes[0];
      if (!where || !where.typing) return;
      where.typing.textContent = `${event.actor.name} is typing…`;
      clearTimeout(typingTimers.get(where.name));
      typingTimers.set(where.name, setTimeout(() => { where.typing.textContent = ""; }, 3000));
    } else if (event.type === "help_offered" && event.agent_id && me === Number(root.dataset.owner || 0)) {
      // The owner answers: add them to the swarm, or no, thanks (the offer leaves the inbox).
      const answers = document.createElement("span");
      answers.className = "offer-answers";
      const accept = document.createElement("button");
      accept.type = "button";
      accept.className = "small";
      accept.textContent = "Add to the swarm";
      const decline = document.createElement("button");
      decline.type = "button";
      decline.className = "small";
      decline.textContent = "No, thanks";
      const answer = (eventName, done, button) => {
        accept.disabled = decline.disabled = true;
        socket.emit(eventName, { ticket_id: ticketId, agent_id: event.agent_id }, (ack) => {
          if (ack && ack.ok) {
            button.textContent = done;
          } else {
            accept.disabled = decline.disabled = false;
            status.textContent = ack ? ack.error.message : "No answer.";
          }
        });
      };
      accept.addEventListener("click", () => answer("add_helper", "Added", accept));
      decline.addEventListener("click", () => answer("decline_offer", "Declined", decline));
      answers.append(accept, " ", decline);
      systemLine(`${event.actor ? event.actor.name : "Someone"} offers help`, answers);
    } else if (["helper_joined", "helper_left", "helper_invited", "invitation_declined", "hand_raised", "help_offered", "offer_declined", "assigned", "status_changed", "resolved", "satisfaction_rated"].includes(event.type)) {
      const who = event.actor ? event.actor.name : "Swarm";
      let what = {
        helper_joined: JOINED[event.via] || "joined the swarm",
        helper_left: LEFT[event.reason] || "left the swarm",
        helper_invited: "invited a helper", invitation_declined: "declined an invitation",
        hand_raised: "raised a hand: help wanted", help_offered: "offers help",
        offer_declined: "said no, thanks, to an offer of help",
        assigned: "changed the owner", status_changed: `set the status to ${event.to}`,
        resolved: "resolved the ticket",
        satisfaction_rated: `rated the help ${event.score} of 5`,
      }[event.type];
      if (event.type === "helper_left" && event.lost) what = "left the swarm (connection lost)";
      systemLine(`${who} ${what}`);
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
  for (const [id, eventName] of [["raise-hand", "raise_hand"], ["offer-help", "offer_help"], ["leave-swarm", "leave_swarm"]]) {
    const button = document.getElementById(id);
    if (!button) continue;
    button.addEventListener("click", () => {
      socket.emit(eventName, { ticket_id: ticketId }, (ack) => {
        const done = {
          raise_hand: () => `Asked ${ack.notified.length} suggested expert(s) for help.`,
          offer_help: () => "The owner knows you offer help.",
          leave_swarm: () => "You left the swarm.",
        }[eventName];
        status.textContent = ack && ack.ok ? done() : (ack ? ack.error.message : "No answer.");
      });
    });
  }

  socket.on("connect", join);
  if (socket.connected) join();
  // Belt and braces: a quiet resync now and then catches a loss that no later message reveals.
  setInterval(() => { if (socket.connected) join(); }, 30000);
})();
