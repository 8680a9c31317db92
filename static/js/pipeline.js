/* The pipeline page without full reloads: its forms (data-pipeline-form) are posted
   with fetch; the answer (the page after the redirect, or the page with the errors
   and a 4xx status) replaces the page's content in place. Without JS the forms post
   normally. */
(function () {
  "use strict";
  if (window.smkPipeline) return;
  window.smkPipeline = true;

  function swap(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.querySelector("main.content");
    var here = document.querySelector("main.content");
    if (!fresh || !here || !fresh.querySelector("[data-pipeline]")) return false;
    here.innerHTML = fresh.innerHTML;
    var focus = here.querySelector("[data-pipeline-error], .has-error input, .messages");
    if (focus && focus.scrollIntoView) focus.scrollIntoView({ block: "nearest" });
    document.dispatchEvent(new CustomEvent("smk:swapped"));
    return true;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("form[data-pipeline-form]")) return;
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
    }).catch(function () {
      form.submit();
    });
  });
})();
