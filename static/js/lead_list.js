/* The lead list's bulk assignment: "select all" checks every lead of the page, and the
   bar says how many are selected. Without JS the checkboxes post all the same. */
(function () {
  "use strict";
  var form = document.querySelector("[data-bulk-assign]");
  if (!form) return;
  var all = document.querySelector("[data-select-all]");
  var count = form.querySelector("[data-selected-count]");
  function boxes() { return Array.prototype.slice.call(document.querySelectorAll("[data-select-lead]")); }
  function update() {
    var checked = boxes().filter(function (b) { return b.checked; }).length;
    count.textContent = checked ? (form.dataset.selectedWords || "") + " " + checked : "";
    if (all) {
      all.checked = checked > 0 && checked === boxes().length;
      all.indeterminate = checked > 0 && checked < boxes().length;
    }
  }
  if (all) {
    all.addEventListener("change", function () {
      boxes().forEach(function (b) { b.checked = all.checked; });
      update();
    });
  }
  boxes().forEach(function (b) { b.addEventListener("change", update); });
  update();
})();
