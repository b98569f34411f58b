// Type-ahead pickers: a <select> inside .picker[data-picker] becomes a combobox with a listbox
// (the WAI-ARIA combobox pattern). The <select> stays in the form, hidden, and holds the value,
// so the form posts exactly as it does without JavaScript, and scripts reading the select
// (room.js reads #invite-agent) keep working. A multiple select becomes a picker of several
// values, shown as removable chips.
//
// Keys: type to filter (or Down to see everyone); Down/Up move through the matches; Enter picks (in a multiple picker it
// adds or removes and stays open); Escape closes the list, or clears the typing when closed;
// Backspace on an empty multiple picker removes the last chip.
"use strict";

(() => {
  let counter = 0;

  function enhance(wrapper) {
    const select = wrapper.querySelector("select");
    const label = select && wrapper.querySelector(`label[for="${select.id}"]`);
    if (!label) return;
    const multiple = select.multiple;
    const id = `picker-${++counter}`;
    const options = Array.from(select.options).filter((o) => o.value !== "");

    const input = document.createElement("input");
    input.type = "text";
    input.id = `${select.id}-search`;
    input.autocomplete = "off";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", `${id}-list`);
    input.placeholder = multiple ? "Type to add a skill…" : (select.options[0] && select.options[0].value === "" ? select.options[0].textContent : "Type a name…");
    const list = document.createElement("ul");
    list.id = `${id}-list`;
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", label.textContent.trim());
    if (multiple) list.setAttribute("aria-multiselectable", "true");
    list.hidden = true;
    const chips = document.createElement("ul");
    chips.className = "chosen";
    chips.setAttribute("aria-label", `Chosen: ${label.textContent.trim()}`);

    // The select stays for the form; people use the combobox, so the label moves to it.
    label.htmlFor = input.id;
    select.hidden = true;
    select.setAttribute("aria-hidden", "true");
    select.setAttribute("aria-label", label.textContent.trim());
    select.tabIndex = -1;
    const required = select.required;
    select.required = false;
    if (multiple) wrapper.appendChild(chips);
    wrapper.appendChild(input);
    wrapper.appendChild(list);

    let matches = [];
    let active = -1;

    const nameOf = (option) => option.dataset.name || option.textContent.split(" · ")[0].trim();
    for (const option of options) option.dataset.name = nameOf(option);

    function validate() {
      if (!required || multiple) return;
      input.setCustomValidity(select.value ? "" : `Choose someone from the list (${label.textContent.trim()}).`);
    }

    function showChosen() {
      if (multiple) {
        chips.replaceChildren();
        for (const option of options.filter((o) => o.selected)) {
          const li = document.createElement("li");
          const button = document.createElement("button");
          button.type = "button";
          button.textContent = `${option.dataset.name} ×`;
          button.setAttribute("aria-label", `Remove ${option.dataset.name}`);
          button.addEventListener("click", () => { toggle(option); input.focus(); });
          li.appendChild(button);
          chips.appendChild(li);
        }
      } else {
        const chosen = options.find((o) => o.value === select.value);
        input.value = chosen ? chosen.dataset.name : "";
      }
      validate();
    }

    function render() {
      const words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      const single = !multiple && options.find((o) => o.value === select.value);
      // When the box shows the chosen name, list everyone again rather than that one person.
      const filtering = !(single && input.value === single.dataset.name);
      // Names that start with what was typed come first, then names containing it, then
      // people (or skills) matched only by their details ("online", "VPN", a category).
      const rank = (o) => {
        if (!filtering || !words.length) return 0;
        const name = o.dataset.name.toLowerCase();
        const text = `${name} ${(o.dataset.sub || "").toLowerCase()}`;
        if (!words.every((w) => text.includes(w))) return -1;
        if (words.every((w) => name.split(/\s+/).some((part) => part.startsWith(w)))) return 0;
        return words.every((w) => name.includes(w)) ? 1 : 2;
      };
      matches = options
        .map((o, index) => ({ o, index, r: rank(o) }))
        .filter((m) => m.r >= 0)
        .sort((a, b) => a.r - b.r || a.index - b.index)
        .map((m) => m.o);
      list.replaceChildren();
      matches.forEach((option, index) => {
        const li = document.createElement("li");
        li.id = `${id}-opt-${index}`;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", String(option.selected && option.value !== ""));
        if (option.dataset.presence) {
          const dot = document.createElement("span");
          dot.className = `presence ${option.dataset.presence}`;
          dot.setAttribute("aria-hidden", "true");
          li.appendChild(dot);
        }
        li.appendChild(document.createTextNode(option.dataset.name));
        if (option.dataset.sub) {
          const sub = document.createElement("span");
          sub.className = "sub";
          sub.textContent = option.dataset.sub;
          li.appendChild(sub);
        }
        li.addEventListener("mousedown", (event) => event.preventDefault()); // keep focus
        li.addEventListener("click", () => pick(option));
        list.appendChild(li);
      });
      if (!matches.length) {
        const li = document.createElement("li");
        li.className = "empty-option";
        li.textContent = "No match";
        list.appendChild(li);
      }
      setActive(matches.length ? Math.min(Math.max(active, 0), matches.length - 1) : -1);
    }

    function setActive(index) {
      active = index;
      list.querySelectorAll("[role=option]").forEach((li, i) => li.classList.toggle("active", i === index));
      const current = index >= 0 ? list.children[index] : null;
      if (current) {
        input.setAttribute("aria-activedescendant", current.id);
        current.scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function open() {
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      render();
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function toggle(option) {
      option.selected = !option.selected;
      select.dispatchEvent(new Event("change", { bubbles: true }));
      showChosen();
    }

    function pick(option) {
      if (multiple) {
        toggle(option);
        input.value = "";
        render();
        return;
      }
      select.value = option.value;
      select.dispatchEvent(new Event("change", { bubbles: true }));
      showChosen();
      close();
    }

    input.addEventListener("input", () => {
      if (!multiple && select.value) { select.value = ""; validate(); }
      active = 0;
      open();
    });
    // Tabbing through the page does not pop the list open; a click, typing or Down does.
    input.addEventListener("click", () => { if (list.hidden) open(); });
    input.addEventListener("blur", () => { close(); if (!multiple) showChosen(); else input.value = ""; });
    input.addEventListener("keydown", (event) => {
      const isOpen = !list.hidden;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (!isOpen) open(); else if (matches.length) setActive((active + 1) % matches.length);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        if (!isOpen) open(); else if (matches.length) setActive((active - 1 + matches.length) % matches.length);
      } else if (event.key === "Enter") {
        if (isOpen && active >= 0 && matches[active]) {
          event.preventDefault();
          pick(matches[active]);
        } else if (isOpen && multiple) {
          event.preventDefault();
        }
      } else if (event.key === "Escape") {
        if (isOpen) { event.preventDefault(); close(); } else if (input.value) { input.value = ""; if (!multiple) { select.value = ""; validate(); } }
      } else if (event.key === "Backspace" && multiple && !input.value) {
        const last = options.filter((o) => o.selected).pop();
        if (last) toggle(last);
      }
    });
    // Reset with the form (room.js and page reloads keep the select as the truth).
    select.addEventListener("change", () => { if (document.activeElement !== input) showChosen(); });
    showChosen();
  }

  document.addEventListener("DOMContentLoaded", () => {
    for (const wrapper of document.querySelectorAll(".picker[data-picker]")) enhance(wrapper);
  });
})();
