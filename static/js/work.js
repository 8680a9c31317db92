/* Working a lead without full reloads: forms marked data-swap are posted with fetch;
   the answer (the lead page after the redirect, or the page with the errors and a
   4xx status) replaces the page's content in place. Without JS the forms post
   normally. */
(function () {
  "use strict";
  if (window.smkWork) return;
  window.smkWork = true;

  function swapFrom(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.querySelector("main.content");
    var here = document.querySelector("main.content");
    if (fresh && here) here.innerHTML = fresh.innerHTML;
    document.dispatchEvent(new CustomEvent("smk:swapped"));
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("form[data-swap]") || !document.querySelector("[data-lead-actions]")) return;
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
    }).then(function (response) {
      return response.text().then(function (html) {
        var landed = new URL(response.url, location.href);
        if (response.ok && landed.pathname !== location.pathname) {
          location.assign(landed.href); // the lead left this page (e.g. not yours any more)
          return;
        }
        swapFrom(html);
      });
    }).catch(function () {
      form.submit();
    });
  });

  // On the lead page: "a" accepts, "t" opens the touch form (the queue page has its own).
  document.addEventListener("keydown", function (event) {
    if (document.querySelector("[data-queue]")) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest("input, textarea, select, [contenteditable]")) return;
    if (event.key === "a") {
      var accept = document.querySelector("[data-work-form=accept] button");
      if (accept) { event.preventDefault(); accept.click(); }
    } else if (event.key === "t") {
      var box = document.querySelector("details[data-box=touch]");
      if (box) { event.preventDefault(); box.open = true; box.querySelector("select").focus(); }
    }
  });
})();
