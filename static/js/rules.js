// The rule form (templates/admin/rule_form.html): each action row shows only the fields of
// the action chosen in it. Without JavaScript every field shows and the server reads only
// those the chosen action takes.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  for (const row of document.querySelectorAll("[data-action-row]")) {
    const type = row.querySelector("[data-action-type]");
    const show = () => {
      for (const part of row.querySelectorAll("[data-for]")) {
        part.hidden = part.dataset.for !== type.value;
      }
    };
    type.addEventListener("change", show);
    show();
  }
});
