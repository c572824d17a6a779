// Tables on a phone: under 576 px (static/site.css) each row of a table of three columns or more is a card of
// "heading: value" lines, a row's header (th) its title. Each cell's label is its column's heading, copied here
// into data-label; without this script the table scrolls sideways in its box as before. ARIA roles keep the
// table's meaning for screen readers once CSS has made its rows blocks (some browsers then drop it).
(function () {
  var text = function (el) { return el.textContent.replace(/\s+/g, " ").trim(); };

  // Each column's heading, from top to bottom where headings are grouped (colspan, rowspan).
  function columnLabels(head) {
    var labels = [], taken = [];
    Array.prototype.forEach.call(head.rows, function (row, r) {
      var col = 0;
      Array.prototype.forEach.call(row.cells, function (cell) {
        while (taken[r] && taken[r][col]) col++;
        for (var dr = 0; dr < cell.rowSpan; dr++) {
          for (var dc = 0; dc < cell.colSpan; dc++) {
            (taken[r + dr] = taken[r + dr] || [])[col + dc] = true;
          }
        }
        var words = text(cell);
        for (var c = col; c < col + cell.colSpan; c++) {
          labels[c] = labels[c] && words && labels[c] !== words ? labels[c] + " " + words : labels[c] || words;
        }
        col += cell.colSpan;
      });
    });
    return labels;
  }

  function label(table, labels) {
    table.setAttribute("role", "table");
    Array.prototype.forEach.call(table.querySelectorAll(":scope > thead, :scope > tbody, :scope > tfoot"), function (group) {
      group.setAttribute("role", "rowgroup");
      Array.prototype.forEach.call(group.rows, function (row) {
        row.setAttribute("role", "row");
        var col = 0;
        Array.prototype.forEach.call(row.cells, function (cell) {
          var header = cell.tagName === "TH";
          var role = !header ? "cell" : group.tagName === "THEAD" || cell.scope === "col" ? "columnheader" : "rowheader";
          cell.setAttribute("role", role);
          if (!header && cell.colSpan === 1 && labels[col]) {
            cell.setAttribute("data-label", labels[col]);
          }
          col += cell.colSpan;
        });
      });
    });
    table.classList.add("table-cards");
  }

  Array.prototype.forEach.call(document.querySelectorAll("main table"), function (table) {
    if (!table.tHead) return;
    var labels = columnLabels(table.tHead);
    if (labels.length >= 3) label(table, labels);  // two columns fit a phone as they are
  });
})();
