/* Working a lead without full reloads: forms marked data-swap are posted with fetch;
   the answer (the lead page after the redirect, or the page with the errors and a
   4xx status) replaces the page's content in place (smk.postAndSwap, js/swap.js).
   Without JS the forms post normally. */
(function () {
  "use strict";
  if (window.smkWork) return;
  window.smkWork = true;

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("form[data-swap]") || !document.querySelector("[data-lead-actions]")) return;
    event.preventDefault();
    window.smk.postAndSwap(form, function (response, html, landed) {
      if (response.ok && landed.pathname !== location.pathname) {
        location.assign(landed.href); // the lead left this page (e.g. not yours any more)
        return;
      }
      window.smk.swapMain(html);
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
