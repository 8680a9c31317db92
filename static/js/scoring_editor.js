/* Scoring model editors: add and remove rule rows without reloading the page.
 *
 * A table [data-rows="fit|interest"] has a <template id="KIND-row-template"> row
 * whose input names hold "__prefix__"; adding a row clones it with the next free
 * number (the server reads rows in the order of that number, gaps allowed).
 * In fit rows the operator select follows the field's type, yes/no fields get a
 * select instead of a text box, and list values show as chips.
 * Config (operators per type, field types, hints): #scoring-editor-config (JSON).
 */
(function () {
  "use strict";

  var configNode = document.getElementById("scoring-editor-config");
  var config = configNode ? JSON.parse(configNode.textContent) : { operators: {}, fieldTypes: {}, hints: {} };

  function rowType(row) {
    var field = row.querySelector('[data-cell="field"]');
    return field ? config.fieldTypes[field.value] || "" : "";
  }

  function isList(type, operator) {
    return type === "text" && (operator === "in" || operator === "not_in");
  }

  function hintFor(type, operator) {
    if (type === "number") return operator === "between" ? config.hints.between : config.hints.number;
    if (type === "text") return isList(type, operator) ? config.hints.list : config.hints.text;
    return "";
  }

  function splitList(text) {
    return text.split(/[,，;；\n]/).map(function (s) { return s.trim(); }).filter(Boolean);
  }

  function renderChips(row) {
    var box = row.querySelector("[data-chips]");
    var value = row.querySelector('[data-cell="value"]');
    var operator = row.querySelector('[data-cell="operator"]');
    if (!box || !value || !operator) return;
    box.textContent = "";
    if (!isList(rowType(row), operator.value)) return;
    splitList(value.value).forEach(function (item) {
      var chip = document.createElement("span");
      chip.className = "chip-item";
      chip.textContent = item;
      box.appendChild(chip);
    });
  }

  function refreshValue(row) {
    var type = rowType(row);
    var operator = row.querySelector('[data-cell="operator"]');
    var text = row.querySelector('[data-cell="value"]');
    var yesNo = row.querySelector('[data-cell="value_bool"]');
    text.hidden = type === "bool";
    yesNo.hidden = type !== "bool";
    text.placeholder = hintFor(type, operator.value);
    renderChips(row);
  }

  // The operator select offers what fits the field's type, keeping the choice when it still fits.
  function refreshOperators(row) {
    var select = row.querySelector('[data-cell="operator"]');
    var current = select.value;
    var choices = config.operators[rowType(row)] || [];
    select.textContent = "";
    if (!choices.length) {
      select.appendChild(new Option("—", ""));
    }
    choices.forEach(function (pair) {
      select.appendChild(new Option(pair[1], pair[0], false, pair[0] === current));
    });
    refreshValue(row);
  }

  function clearErrors(cell) {
    if (!cell) return;
    cell.classList.remove("has-error");
    cell.querySelectorAll(".field-error").forEach(function (node) { node.remove(); });
  }

  function setUpTable(table) {
    var kind = table.dataset.rows;
    var body = table.tBodies[0];
    var template = document.getElementById(kind + "-row-template");
    var next = Number(table.dataset.nextIndex || body.rows.length);
    var empty = document.querySelector('[data-empty-for="' + kind + '"]');
    var add = document.querySelector('[data-add-row="' + kind + '"]');

    function showEmpty() {
      if (empty) empty.hidden = body.rows.length > 0;
      table.hidden = body.rows.length === 0;
    }

    add.addEventListener("click", function () {
      var html = template.innerHTML.split("__prefix__").join(String(next));
      next += 1;
      table.dataset.nextIndex = String(next);
      body.insertAdjacentHTML("beforeend", html.trim());
      var row = body.rows[body.rows.length - 1];
      if (kind === "fit") refreshOperators(row);
      showEmpty();
      var first = row.querySelector("select, input");
      if (first) first.focus();
    });

    table.addEventListener("click", function (event) {
      var button = event.target.closest("[data-remove-row]");
      if (!button) return;
      button.closest("tr").remove();
      showEmpty();
      add.focus();
    });

    table.addEventListener("change", function (event) {
      var row = event.target.closest("tr");
      clearErrors(event.target.closest("td"));
      if (kind !== "fit" || !row) return;
      if (event.target.matches('[data-cell="field"]')) refreshOperators(row);
      else if (event.target.matches('[data-cell="operator"]')) refreshValue(row);
    });

    table.addEventListener("input", function (event) {
      if (kind === "fit" && event.target.matches('[data-cell="value"]')) renderChips(event.target.closest("tr"));
    });

    showEmpty();
  }

  document.querySelectorAll("table[data-rows]").forEach(setUpTable);
  document.documentElement.dataset.scoringEditor = "ready";
})();
