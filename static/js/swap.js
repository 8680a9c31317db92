/* Posting a form without a full reload, shared by the lead page (work.js) and the
   pipeline page (pipeline.js); load this file before them.
   smk.postAndSwap(form, onLanded): posts the form with fetch (its submit button
   disabled) and calls onLanded(response, html, landed) with the answer and the URL
   it landed on after any redirect; when that fails the form posts normally.
   smk.swapMain(html, mark): puts the answer's main.content in place of this page's
   (only if the answer's holds `mark`, when given) and says whether it did. */
(function () {
  "use strict";
  var smk = (window.smk = window.smk || {});
  if (smk.postAndSwap) return;

  smk.swapMain = function (html, mark) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.querySelector("main.content");
    var here = document.querySelector("main.content");
    if (!fresh || !here || (mark && !fresh.querySelector(mark))) return false;
    here.innerHTML = fresh.innerHTML;
    document.dispatchEvent(new CustomEvent("smk:swapped"));
    return true;
  };

  smk.postAndSwap = function (form, onLanded) {
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
    }).then(function (response) {
      return response.text().then(function (html) {
        onLanded(response, html, new URL(response.url, location.href));
      });
    }).catch(function () {
      form.submit();
    });
  };
})();
