/* Ballot ranking: drag the items (mouse, pen or finger, by the grip), or move them with the "Move up" / "Move down"
   buttons (keyboard), and the rank selectors of the plain form follow the order of the list. Without this script
   the selectors work alone. Dragging uses Pointer Events, so it works the same on a phone's touch screen. */
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
  var EDGE = 64;  /* px from the top or bottom of the window where a drag scrolls the page */
  var drag = null;  /* {li, pointerId, y, scrolling, edgeSince, from} while an item is being dragged */

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

  /* Place the dragged item before the first other item whose middle is below the pointer. */
  function placeAt(clientY) {
    var others = items().filter(function (li) { return li !== drag.li; });
    var after = others.find(function (li) {
      var box = li.getBoundingClientRect();
      return clientY < box.top + box.height / 2;
    });
    if (after) { if (drag.li.nextSibling !== after) { list.insertBefore(drag.li, after); } }
    else if (list.lastElementChild !== drag.li) { list.appendChild(drag.li); }
  }

  /* While the pointer rests near the top or bottom of the window, scroll and keep placing the item: faster the
     closer it is to the edge, and faster the longer it stays there (a long ballot is many screens tall). */
  function autoScroll(now) {
    if (!drag) { return; }
    var depth = drag.y < EDGE ? drag.y - EDGE : Math.max(0, drag.y - (window.innerHeight - EDGE));
    if (depth) {
      drag.edgeSince = drag.edgeSince || now;
      var boost = Math.min(4, 1 + (now - drag.edgeSince) / 1000);
      window.scrollBy(0, Math.round(Math.max(-1, Math.min(1, depth / EDGE)) * 20 * boost));
      placeAt(drag.y);
    } else {
      drag.edgeSince = 0;
    }
    drag.scrolling = window.requestAnimationFrame(autoScroll);
  }

  function isControl(target) { return !!target.closest("select, input, button, label, a, summary"); }

  function startDrag(li, event) {
    if (drag || event.button > 0) { return; }
    /* A finger drags by the grip only, so that it can still scroll the page over the cards. */
    if (event.pointerType !== "mouse" && !event.target.closest(".drag-handle")) { return; }
    if (isControl(event.target)) { return; }
    event.preventDefault();
    drag = { li: li, pointerId: event.pointerId, y: event.clientY, scrolling: 0, edgeSince: 0,
             from: items().indexOf(li) };
    li.classList.add("dragging");
    list.setPointerCapture(event.pointerId);  /* the list, not the item: moving the item in the page drops capture */
    drag.scrolling = window.requestAnimationFrame(autoScroll);
  }

  function endDrag(event) {
    if (!drag || event.pointerId !== drag.pointerId) { return; }
    var li = drag.li;
    window.cancelAnimationFrame(drag.scrolling);
    li.classList.remove("dragging");
    if (list.hasPointerCapture(event.pointerId)) { list.releasePointerCapture(event.pointerId); }
    var moved = items().indexOf(li) !== drag.from;
    drag = null;
    if (moved) { renumber(); say(li); }  /* a press without a move keeps the positions (and their ties) */
  }

  items().forEach(function (li) {
    var box = document.createElement("div");
    box.className = "move-buttons";
    box.appendChild(makeButton("move-up", "↑ " + upLabel, li, -1));
    box.appendChild(makeButton("move-down", "↓ " + downLabel, li, 1));
    li.querySelector(".ballot-item-controls").appendChild(box);
    var grip = document.createElement("span");
    grip.className = "drag-handle";
    grip.setAttribute("aria-hidden", "true");  /* keyboard and screen-reader users have the Move buttons */
    grip.textContent = "⠿";
    li.insertBefore(grip, li.firstChild);
    li.addEventListener("pointerdown", function (event) { startDrag(li, event); });
    select(li).addEventListener("change", sortBySelects);
  });

  list.addEventListener("pointermove", function (event) {
    if (!drag || event.pointerId !== drag.pointerId) { return; }
    event.preventDefault();
    drag.y = event.clientY;
    placeAt(event.clientY);
  });
  list.addEventListener("pointerup", endDrag);
  list.addEventListener("pointercancel", endDrag);

  Array.prototype.forEach.call(document.querySelectorAll(".js-only"), function (el) { el.hidden = false; });
  list.classList.add("sortable");
  sortBySelects();
}());
