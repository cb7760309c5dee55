// A table sorted by a click on a column header, for any page: each `th[data-sort]`
// ("num" or "text") of the head gets a button; the sorted column's header carries
// aria-sort ("ascending" / "descending"), so a screen reader says how the rows are ordered.
// Cells are compared by their `data-value` (else their text); an empty value sorts last
// either way. `sortRows(table)` sorts again, e.g. after a row was replaced.

export function makeSortable(table) {
  const headers = [...table.tHead.rows[0].cells];
  headers.forEach((th, index) => {
    if (!th.dataset.sort) return;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "sort-btn";
    button.append(...th.childNodes);
    th.append(button);
    button.addEventListener("click", () => {
      const current = table.dataset.sortColumn === String(index) ? table.dataset.sortDir : null;
      // Numbers start from the largest (the longest wait first), names from A.
      const first = th.dataset.sort === "num" ? "descending" : "ascending";
      const dir = current === null ? first : current === "ascending" ? "descending" : "ascending";
      table.dataset.sortColumn = String(index);
      table.dataset.sortDir = dir;
      for (const other of headers) other.removeAttribute("aria-sort");
      th.setAttribute("aria-sort", dir);
      sortRows(table);
    });
  });
}

function cellValue(row, index, kind) {
  const cell = row.cells[index];
  if (!cell) return null;
  const raw = cell.dataset.value ?? cell.textContent.trim();
  if (raw === "") return null;
  if (kind === "num") {
    const n = Number(raw);
    return Number.isNaN(n) ? null : n;
  }
  return raw;
}

export function sortRows(table) {
  const index = Number(table.dataset.sortColumn);
  if (table.dataset.sortColumn === undefined || Number.isNaN(index)) return;
  const kind = table.tHead.rows[0].cells[index].dataset.sort;
  const sign = table.dataset.sortDir === "descending" ? -1 : 1;
  const collator = new Intl.Collator(document.documentElement.lang || "vi");
  const body = table.tBodies[0];
  const rows = [...body.rows];
  rows.sort((a, b) => {
    const x = cellValue(a, index, kind);
    const y = cellValue(b, index, kind);
    if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
    const order = kind === "num" ? x - y : collator.compare(x, y);
    return sign * order;
  });
  // Appending moves each row: the table ends up in the new order without a copy.
  for (const row of rows) body.append(row);
}
