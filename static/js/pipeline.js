/* The pipeline page without full reloads: its forms (data-pipeline-form) are posted
   with fetch; the answer (the page after the redirect, or the page with the errors
   and a 4xx status) replaces the page's content in place (smk.postAndSwap, js/swap.js).
   Without JS the forms post normally. */
(function () {
  "use strict";
  if (window.smkPipeline) return;
  window.smkPipeline = true;

  function swap(html) {
    if (!window.smk.swapMain(html, "[data-pipeline]")) return false;
    var here = document.querySelector("main.content");
    var focus = here.querySelector("[data-pipeline-error], .has-error input, .messages");
    if (focus && focus.scrollIntoView) focus.scrollIntoView({ block: "nearest" });
    return true;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("form[data-pipeline-form]")) return;
    event.preventDefault();
    window.smk.postAndSwap(form, function (response, html, landed) {
      if (landed.pathname !== location.pathname || !swap(html)) {
        // not this page (a 403 / 404 page, or elsewhere): show it as a normal post would
        if (response.ok) location.assign(landed.href);
        else form.submit();
        return;
      }
      if (response.ok && landed.search !== location.search) {
        history.replaceState(null, "", landed.pathname + landed.search);
      }
    });
  });
})();
