// The article editor's live preview: as the text changes (after a short pause), the server
// renders it exactly as the article page will — Markdown, then the sanitiser — and the
// answer replaces the preview. The HTML comes from POST /api/v1/articles/preview, which only
// ever returns sanitised markup (swarm/knowledge/render.py).
"use strict";

(() => {
  const PAUSE_MS = 300;

  function attach(textarea) {
    const preview = document.getElementById(textarea.dataset.preview);
    if (!preview) return;
    let timer = null;
    let latest = 0;

    async function render() {
      const asked = ++latest;
      try {
        const response = await fetch("/api/v1/articles/preview", {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", Accept: "application/json" },
          body: JSON.stringify({ body: textarea.value }),
        });
        const data = await response.json();
        if (asked !== latest) return; // a later keystroke's answer will follow
        if (response.ok) {
          preview.innerHTML = data.html;
        } else {
          preview.textContent = data.error ? data.error.message : "The preview is not available.";
        }
      } catch {
        if (asked === latest) preview.textContent = "The preview is not available (offline?).";
      }
    }

    textarea.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(render, PAUSE_MS);
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("textarea[data-preview]").forEach(attach);
  });
})();
