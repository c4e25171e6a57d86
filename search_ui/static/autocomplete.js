/* unioncat autocomplete: progressive enhancement of the search box (ARIA 1.2 combobox with a listbox).
 *
 * Without this script the form is a plain GET form and works as before. With it, inputs carrying
 * data-autocomplete ("all", "title", "author", "subject") get suggestions from /autocomplete.json:
 * arrow keys move through them (aria-activedescendant), Enter on a suggestion opens it, Escape closes
 * the list, and a polite live region says how many there are. Typing and Enter without choosing still
 * submit the form as typed.
 */
(function () {
  "use strict";
  var DELAY = 120;
  var MIN_CHARS = 2;

  function enhance(input, n) {
    var kind = input.getAttribute("data-autocomplete") || "all";
    var listId = "ac-list-" + n;
    var list = document.createElement("ul");
    list.id = listId;
    list.className = "ac-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Suggestions");
    list.hidden = true;
    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    var wrap = document.createElement("div");
    wrap.className = "ac-wrap";
    input.parentNode.insertBefore(wrap, input);
    wrap.appendChild(input);
    wrap.appendChild(list);
    wrap.appendChild(status);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);
    input.setAttribute("autocomplete", "off");

    var timer = null, active = -1, items = [], asked = "", controller = null;

    function close() {
      list.hidden = true;
      list.innerHTML = "";
      items = [];
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function highlight(index) {
      items.forEach(function (li, i) { li.setAttribute("aria-selected", i === index ? "true" : "false"); });
      active = index;
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", items[index].id);
        items[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function show(data) {
      close();
      var found = data.suggestions || [];
      status.textContent = found.length ? found.length + " suggestions, use the arrow keys to choose" : "";
      if (!found.length) return;
      found.forEach(function (s, i) {
        var li = document.createElement("li");
        li.id = listId + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.setAttribute("data-url", s.url);
        var badge = document.createElement("span");
        badge.className = "badge";
        badge.textContent = s.label;
        var count = document.createElement("span");
        count.className = "muted";
        count.textContent = " (" + s.count + ")";
        li.appendChild(badge);
        li.appendChild(document.createTextNode(" " + s.value));
        li.appendChild(count);
        li.addEventListener("mousedown", function (e) { e.preventDefault(); go(i); });
        list.appendChild(li);
        items.push(li);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function go(index) {
      var url = items[index] && items[index].getAttribute("data-url");
      if (url) window.location.assign(url);
    }

    function ask() {
      var text = input.value.trim();
      if (text.length < MIN_CHARS) { close(); status.textContent = ""; return; }
      if (text === asked) return;
      asked = text;
      if (controller) controller.abort();
      controller = window.AbortController ? new AbortController() : null;
      var url = "/autocomplete.json?" + new URLSearchParams({ q: text, field: kind === "all" ? "" : kind });
      fetch(url, { signal: controller ? controller.signal : undefined, headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
        .then(function (data) { if (input.value.trim() === text) show(data); })
        .catch(function () { /* offline or aborted: the plain form still works */ });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      asked = asked === input.value.trim() ? asked : "";
      timer = setTimeout(ask, DELAY);
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown" && items.length) { e.preventDefault(); highlight((active + 1) % items.length); }
      else if (e.key === "ArrowUp" && items.length) { e.preventDefault(); highlight(active <= 0 ? items.length - 1 : active - 1); }
      else if (e.key === "Enter" && active >= 0) { e.preventDefault(); go(active); }
      else if (e.key === "Escape" && !list.hidden) { e.preventDefault(); close(); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  var inputs = document.querySelectorAll("input[data-autocomplete]");
  for (var i = 0; i < inputs.length; i++) enhance(inputs[i], i);
})();
