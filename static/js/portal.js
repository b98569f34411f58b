// The portal's new-ticket form: as the requester types (after a pause), published public
// articles matching the draft appear beside it (POST /api/v1/articles/suggest). The event log
// is evidence, so the page reports only what a person saw or did: the suggestions it actually
// put on the screen (article_suggested, once per article and visit), an article opened
// (article_viewed), and "this solved it" (a deflection). Rendering the page reports nothing.
// "Still need help" is the form's own submit: it carries the ids shown, and the server keeps
// only those it was told were displayed.
"use strict";

(() => {
  const PAUSE_MS = 400;
  const MIN_CHARS = 4;
  const form = document.getElementById("portal-form");
  if (!form) return;
  const reporting = form.dataset.reporting === "true";
  const list = document.getElementById("suggestions");
  const status = document.getElementById("suggest-status");
  const solved = document.getElementById("portal-solved");
  const shownBox = document.getElementById("portal-shown");
  const visitInput = document.getElementById("portal-visit");
  const submit = document.getElementById("portal-submit");
  const subject = document.getElementById("subject");
  const body = document.getElementById("body");
  const shown = new Set();
  let visit = "";
  let timer = null;
  let latest = 0;

  function newVisit() {
    const bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    visit = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    visitInput.value = visit;
    shown.clear();
    shownBox.replaceChildren();
  }

  async function post(url, payload) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(payload),
    });
    const data = await response.json().catch(() => ({}));
    return { ok: response.ok, data };
  }

  function report(type, ids) {
    if (!reporting || !ids.length) return Promise.resolve();
    return post("/api/v1/portal/events", { visit, type, article_ids: ids }).catch(() => {});
  }

  function remember(ids) {
    for (const id of ids) {
      if (shown.has(id)) continue;
      shown.add(id);
      const input = document.createElement("input");
      input.type = "hidden";
      input.name = "shown";
      input.value = String(id);
      shownBox.appendChild(input);
    }
  }

  function card(item) {
    const li = document.createElement("li");
    li.className = "portal-suggestion";
    li.dataset.articleId = String(item.id);
    const h = document.createElement("h3");
    // title_html and snippet_html are escaped text whose only markup is <mark> (the server's).
    h.innerHTML = item.title_html;
    const snippet = document.createElement("p");
    snippet.className = "kb-snippet";
    snippet.innerHTML = item.snippet_html;
    const reader = document.createElement("div");
    reader.className = "article-body portal-reader";
    reader.hidden = true;
    const actions = document.createElement("div");
    actions.className = "portal-actions";
    const read = document.createElement("button");
    read.type = "button";
    read.textContent = "Read it";
    read.setAttribute("aria-expanded", "false");
    const yes = document.createElement("button");
    yes.type = "button";
    yes.className = "primary";
    yes.textContent = "This solved it";
    read.addEventListener("click", () => toggle(item.id, reader, read));
    yes.addEventListener("click", () => deflect(item.id, yes));
    actions.append(read, yes);
    li.append(h, snippet, reader, actions);
    return li;
  }

  async function toggle(id, reader, button) {
    const opening = reader.hidden;
    if (opening && !reader.dataset.loaded) {
      const response = await fetch(`/api/v1/articles/${id}`, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) { reader.textContent = "This article is not available any more."; reader.hidden = false; return; }
      const data = await response.json();
      reader.innerHTML = data.html; // sanitised by the server (swarm/knowledge/render.py)
      reader.dataset.loaded = "1";
    }
    reader.hidden = !opening;
    button.setAttribute("aria-expanded", String(opening));
    button.textContent = opening ? "Hide" : "Read it";
    if (opening) report("article_viewed", [id]);
  }

  async function deflect(id, button) {
    button.disabled = true;
    if (reporting) {
      const { ok, data } = await post("/api/v1/portal/deflections", { visit, article_id: id });
      if (!ok) {
        button.disabled = false;
        status.textContent = data.error ? data.error.message : "That did not work; try again.";
        return;
      }
    }
    list.replaceChildren();
    subject.value = "";
    body.value = "";
    status.textContent = "";
    solved.hidden = false;
    solved.textContent = "Glad that helped. No ticket was opened; ask again any time.";
    newVisit();
  }

  async function suggest() {
    const text = `${subject.value}\n${body.value}`.trim();
    const asked = ++latest;
    if (text.length < MIN_CHARS) {
      list.replaceChildren();
      status.textContent = "As you describe the problem, matching help articles appear here.";
      return;
    }
    try {
      const { ok, data } = await post("/api/v1/articles/suggest", { text, limit: 5 });
      if (asked !== latest) return; // a later keystroke's answer will follow
      if (!ok) { status.textContent = "Suggestions are not available right now."; return; }
      const items = data.items || [];
      list.replaceChildren(...items.map(card));
      status.textContent = items.length
        ? `${items.length} article${items.length === 1 ? "" : "s"} may answer it. If none does, open a ticket: they will be attached to it.`
        : "No article matches yet. Open a ticket and we will help.";
      submit.textContent = items.length ? "Still need help: open a ticket" : "Open a ticket";
      // On screen now: these, and only these, were suggested to the requester.
      const ids = items.map((i) => i.id).filter((id) => !shown.has(id));
      remember(ids);
      report("article_suggested", ids);
    } catch {
      if (asked === latest) status.textContent = "Suggestions are not available (offline?).";
    }
  }

  function typed() {
    solved.hidden = true;
    clearTimeout(timer);
    timer = setTimeout(suggest, PAUSE_MS);
  }

  newVisit();
  subject.addEventListener("input", typed);
  body.addEventListener("input", typed);
  if (`${subject.value}${body.value}`.trim()) suggest();
})();
