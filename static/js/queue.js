/* The SDR queue, made for speed: live countdowns (every second, from each lead's
   deadline), j/k selection, n = next lead, a = accept, t = log a touch, Enter = open.
   Forms are posted with fetch and the queue part of the page is swapped in place;
   without JS every form posts normally. */
(function () {
  "use strict";
  var root = document.querySelector("[data-queue]");
  if (!root) return;

  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function tick() {
    var now = Date.now();
    var overdue = document.querySelector("[data-i18n-overdue]").dataset.i18nOverdue;
    document.querySelectorAll("time[data-deadline]").forEach(function (el) {
      var left = Math.round((Date.parse(el.dataset.deadline) - now) / 1000);
      var late = left < 0;
      var s = Math.abs(left);
      var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
      var text = h + ":" + pad(m) + ":" + pad(s % 60);
      el.textContent = late ? "−" + text + " " + overdue : text;
      // amber from the clock's warning point, red from its deadline (the SLA's own)
      var warn = el.dataset.warn ? Date.parse(el.dataset.warn) <= now : left < 3600;
      el.classList.toggle("overdue", late);
      el.classList.toggle("soon", !late && warn);
      var row = el.closest("tr");
      if (row) {
        row.classList.toggle("sla-breached", late);
        row.classList.toggle("sla-warning", !late && warn);
      }
    });
  }

  function rows() { return Array.prototype.slice.call(root.querySelectorAll("[data-queue-lead]")); }
  function selected() { return root.querySelector("[data-queue-lead].selected"); }
  function select(row) {
    rows().forEach(function (r) { r.classList.remove("selected"); r.removeAttribute("aria-selected"); });
    if (row) {
      row.classList.add("selected");
      row.setAttribute("aria-selected", "true");
      row.scrollIntoView({ block: "nearest" });
      root.dataset.selected = row.dataset.queueLead;
    }
  }
  function move(step) {
    var all = rows(), current = all.indexOf(selected());
    if (!all.length) return;
    select(all[Math.max(0, Math.min(all.length - 1, current + step))]);
  }

  function swap(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.querySelector("[data-queue]");
    if (!fresh) return false;
    ["[data-queue-region]", ".page-head .actions"].forEach(function (sel) {
      var a = root.querySelector(sel), b = fresh.querySelector(sel);
      if (a && b) a.innerHTML = b.innerHTML;
    });
    var messages = document.querySelector("main.content > .messages");
    var freshMessages = doc.querySelector("main.content > .messages");
    if (messages) messages.remove();
    if (freshMessages) document.querySelector("main.content").prepend(freshMessages);
    var want = fresh.dataset.selected;
    select(root.querySelector('[data-queue-lead="' + want + '"]') || rows()[0]);
    tick();
    return true;
  }

  function errorsOf(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var found = doc.querySelectorAll("[data-work-error], .field-error");
    return Array.prototype.map.call(found, function (el) { return el.textContent.trim(); }).join(" ");
  }

  function post(form, onError) {
    return fetch(form.action, {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
    }).then(function (response) {
      return response.text().then(function (html) {
        if (response.ok && swap(html)) return true;
        onError(errorsOf(html) || response.statusText);
        return false;
      });
    });
  }

  function flash(text) {
    var box = document.createElement("ul");
    box.className = "messages";
    box.innerHTML = '<li class="msg msg-error" role="alert"></li>';
    box.firstChild.textContent = text;
    var old = document.querySelector("main.content > .messages");
    if (old) old.remove();
    document.querySelector("main.content").prepend(box);
  }

  var dialog = root.querySelector("[data-touch-dialog]");
  var touchForm = dialog.querySelector("form");
  function openTouch() {
    var row = selected();
    if (!row) return;
    touchForm.action = row.dataset.touchUrl;
    touchForm.querySelector("[name=next]").value = location.pathname + "?selected=" + row.dataset.queueLead;
    dialog.querySelector("[data-touch-lead]").textContent = row.querySelector("strong").textContent;
    dialog.querySelector("[data-touch-error]").hidden = true;
    touchForm.reset();
    dialog.showModal();
    touchForm.querySelector("select").focus();
  }
  dialog.querySelector("[data-touch-cancel]").addEventListener("click", function () { dialog.close(); });

  root.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("[data-queue-form]")) return;
    event.preventDefault();
    if (form === touchForm) {
      post(form, function (text) {
        var err = dialog.querySelector("[data-touch-error]");
        err.textContent = text; err.hidden = false;
      }).then(function (ok) { if (ok) dialog.close(); });
    } else {
      if (form.matches("[data-queue-form=next]")) {
        // claim: land on the new lead (the redirect says which)
      }
      post(form, flash);
    }
  });

  root.addEventListener("click", function (event) {
    var row = event.target.closest("[data-queue-lead]");
    if (row && !event.target.closest("a, button, form")) select(row);
  });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || dialog.open) return;
    if (event.target.closest("input, textarea, select, [contenteditable]")) return;
    var row = selected(), button;
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "n":
        button = root.querySelector("[data-action=next]");
        if (button && !button.disabled) button.click();
        break;
      case "a":
        button = row && row.querySelector("[data-action=accept]");
        if (button) button.click();
        break;
      case "t": openTouch(); break;
      case "Enter": if (row) location.assign(row.dataset.leadUrl); break;
      default: return;
    }
    event.preventDefault();
  });

  select(root.querySelector('[data-queue-lead="' + root.dataset.selected + '"]') || rows()[0]);
  tick();
  setInterval(tick, 1000);
})();
