// "Show earlier" on the ticket page's timeline: the page shows the newest entries, and the link
// reads the stretch before them. Without JavaScript the link opens that stretch as a page; here
// it fetches the stretch alone (/tickets/<id>/timeline?before=…, rendered by the server in the
// reader's language and audience) and adds its entries above the ones shown, in place, with the
// control for the stretch before that. Nothing is built from text: the server's HTML is parsed
// inert (DOMParser runs no script) and its nodes moved in.
"use strict";

(function () {
  const section = document.getElementById("timeline");
  const list = section && section.querySelector("[data-timeline]");
  if (!list) return;
  const status = section.querySelector("[data-timeline-status]");

  async function showEarlier(control, link) {
    link.setAttribute("aria-busy", "true");
    link.classList.add("loading");
    let stretch;
    try {
      const answer = await fetch(link.dataset.fragment, {
        credentials: "same-origin",
        headers: { Accept: "text/html" },
      });
      if (!answer.ok) throw new Error(String(answer.status));
      const doc = new DOMParser().parseFromString(await answer.text(), "text/html");
      stretch = doc.querySelector("[data-timeline-stretch]");
      if (!stretch) throw new Error("no stretch");
    } catch (error) {
      // Signed out, offline or refused: the link's own page says why.
      window.location.assign(link.href);
      return;
    }
    const entries = stretch.querySelectorAll("ol.timeline > li");
    const shown = new Set([...list.children].map((li) => li.dataset.eventId));
    const fragment = document.createDocumentFragment();
    for (const entry of entries) {
      // The stretch ends before the first entry shown; the check only guards a double click.
      if (!shown.has(entry.dataset.eventId)) fragment.appendChild(document.adoptNode(entry));
    }
    // Times in the reader's zone, as swarm.js wrote the page's own.
    if (typeof localiseTimes === "function") localiseTimes(fragment);
    list.insertBefore(fragment, list.firstChild);
    const next = stretch.querySelector("[data-timeline-earlier]");
    const focused = document.activeElement === link;
    if (next) {
      control.replaceWith(document.adoptNode(next));
      // The control stays where it was, so the keyboard can go on reading back.
      const nextLink = section.querySelector("[data-timeline-earlier] a");
      if (nextLink && focused) nextLink.focus();
    } else {
      control.remove();
      if (list.firstElementChild) {
        list.firstElementChild.tabIndex = -1;
        list.firstElementChild.focus();
      }
    }
    if (status && section.dataset.shownLabel) {
      status.textContent = section.dataset.shownLabel.replace("{n}", String(entries.length));
    }
  }

  // One listener for every control this page will hold (each stretch brings the next one).
  section.addEventListener("click", (event) => {
    const link = event.target.closest("[data-timeline-earlier] a[data-fragment]");
    if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    event.preventDefault();
    if (link.getAttribute("aria-busy") === "true") return;
    showEarlier(link.closest("[data-timeline-earlier]"), link);
  });
})();
