/* Ballot ranking: drag the items, or move them with the "Move up" / "Move down" buttons (keyboard), and the
   rank selectors of the plain form follow the order of the list. Without this script the selectors work alone. */
(function () {
  "use strict";
  /* The cast form: a second click must not send the ballot twice (the receipt would be shown to a lost request). */
  var castForm = document.getElementById("cast-form");
  if (castForm) {
    castForm.addEventListener("submit", function (event) {
      if (castForm.getAttribute("data-sent")) { event.preventDefault(); return; }
      castForm.setAttribute("data-sent", "1");
    });
    window.addEventListener("pageshow", function () { castForm.removeAttribute("data-sent"); });
  }
  var list = document.getElementById("ballot-list");
  if (!list) { return; }
  var announcer = document.getElementById("ballot-announce");
  var template = list.getAttribute("data-moved-template") || "{item}: {position}/{total}";
  var upLabel = list.getAttribute("data-up-label") || "Up";
  var downLabel = list.getAttribute("data-down-label") || "Down";
  var dragged = null;

  function items() { return Array.prototype.slice.call(list.querySelectorAll(".ballot-item")); }
  function select(li) { return li.querySelector(".rank-select"); }
  function title(li) { return li.querySelector(".ballot-item-title").textContent.trim(); }

  function say(li) {
    var all = items();
    var text = template.replace("{item}", title(li)).replace("{position}", String(all.indexOf(li) + 1))
      .replace("{total}", String(all.length));
    announcer.textContent = "";
    window.setTimeout(function () { announcer.textContent = text; }, 50);
  }

  /* After a move the list order is the ranking: positions 1..n, in order. */
  function renumber() {
    items().forEach(function (li, index) { select(li).value = String(index + 1); });
    refresh();
  }

  /* Put the list in the order of the selectors (ties keep their order; "not ranked" go last). */
  function sortBySelects() {
    var all = items();
    var keyed = all.map(function (li, index) {
      var value = parseInt(select(li).value, 10);
      return { li: li, key: isNaN(value) ? 1e6 : value, index: index };
    });
    keyed.sort(function (a, b) { return a.key - b.key || a.index - b.index; });
    keyed.forEach(function (entry) { list.appendChild(entry.li); });
    refresh();
  }

  function refresh() {
    var all = items();
    all.forEach(function (li, index) {
      li.querySelector(".move-up").disabled = index === 0;
      li.querySelector(".move-down").disabled = index === all.length - 1;
    });
  }

  function move(li, delta, button) {
    var all = items();
    var index = all.indexOf(li) + delta;
    if (index < 0 || index >= all.length) { return; }
    if (delta < 0) { list.insertBefore(li, all[index]); } else { list.insertBefore(li, all[index].nextSibling); }
    renumber();
    say(li);
    if (button.disabled) { (delta < 0 ? li.querySelector(".move-down") : li.querySelector(".move-up")).focus(); }
    else { button.focus(); }
  }

  function makeButton(className, label, li, delta) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "small " + className;
    button.textContent = label;
    var hidden = document.createElement("span");
    hidden.className = "visually-hidden";
    hidden.textContent = ": " + title(li);
    button.appendChild(hidden);
    button.addEventListener("click", function () { move(li, delta, button); });
    return button;
  }

  items().forEach(function (li) {
    var box = document.createElement("div");
    box.className = "move-buttons";
    box.appendChild(makeButton("move-up", "↑ " + upLabel, li, -1));
    box.appendChild(makeButton("move-down", "↓ " + downLabel, li, 1));
    li.querySelector(".ballot-item-controls").appendChild(box);
    li.setAttribute("draggable", "true");
    li.addEventListener("dragstart", function (event) {
      dragged = li;
      li.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", li.getAttribute("data-item"));
    });
    li.addEventListener("dragend", function () {
      li.classList.remove("dragging");
      if (dragged) { renumber(); say(li); }
      dragged = null;
    });
    select(li).addEventListener("change", sortBySelects);
  });

  list.addEventListener("dragover", function (event) {
    if (!dragged) { return; }
    event.preventDefault();
    var after = items().filter(function (li) { return li !== dragged; }).find(function (li) {
      var box = li.getBoundingClientRect();
      return event.clientY < box.top + box.height / 2;
    });
    if (after) { list.insertBefore(dragged, after); } else { list.appendChild(dragged); }
  });
  list.addEventListener("drop", function (event) { event.preventDefault(); });

  Array.prototype.forEach.call(document.querySelectorAll(".js-only"), function (el) { el.hidden = false; });
  list.classList.add("sortable");
  sortBySelects();
}());
