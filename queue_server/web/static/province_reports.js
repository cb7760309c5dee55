// The province's month report: its table sorts by any column.
import { makeSortable } from "/static/sortable.js";

const table = document.getElementById("province-report");
if (table) makeSortable(table);
