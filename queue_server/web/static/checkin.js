// Kiosk check-in: a code typed on the on-screen keys or by a QR scanner (a keyboard wedge
// typing the code and Enter into the focused input) checks the appointment in.
import { api, newKey } from "/static/api.js";

const data = JSON.parse(document.getElementById("checkin-data").textContent);
const T = data.texts;
const params = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);
const input = $("code");
const message = $("message");
const choice = $("choice");
let normalField = null;
let resetTimer = null;

function keepQuery() {
  for (const link of document.querySelectorAll("a[data-keep-query]")) {
    const url = new URL(link.href, location.href);
    for (const [k, v] of params) if (!url.searchParams.has(k)) url.searchParams.set(k, v);
    link.href = url.pathname + url.search;
  }
}

function options() {
  const token = params.get("token");
  return token ? { token } : {};
}

function say(text) {
  message.textContent = text;
}

function normalise(raw) {
  // A scanned URL ends with the code; people type spaces and dashes.
  return raw.trim().split("/").pop().toUpperCase().replace(/[\s-]/g, "");
}

function showTicket(ticket, title, callNotice = "") {
  $("done-title").textContent = title;
  $("number").textContent = ticket.number;
  $("field").textContent = data.fields[ticket.field] || ticket.field;
  $("call").textContent = callNotice;
  // The same status page as the printed QR, for a citizen whose ticket did not print.
  const status = `/t/${encodeURIComponent(ticket.id)}`;
  $("status-qr").src = `${status}/qr.svg`;
  $("status-link").href = status;
  $("status").hidden = false;
  $("checkin").dataset.screen = "done";
  $("done").hidden = false;
  clearTimeout(resetTimer);
  resetTimer = setTimeout(reset, 20000);
}

function reset() {
  $("checkin").dataset.screen = "entry";
  $("done").hidden = true;
  choice.hidden = true;
  input.value = "";
  say("");
  input.focus();
}

async function checkIn(code) {
  choice.hidden = true;
  say(T["checkin.working"]);
  const body = { code };
  if (params.get("printer")) body.printer = params.get("printer");
  try {
    const answer = await api("POST", `/api/v1/offices/${data.office}/check-in`, body, {
      key: newKey("checkin"),
      retries: 3,
      ...options(),
    });
    const b = answer.booking;
    if (answer.status === "ok") {
      say(answer.again ? T["checkin.again"] : "");
      $("when").textContent = b.time_label ? `${T["checkin.at"]}: ${b.time_label}` : "";
      showTicket(answer.ticket, T["checkin.ok"], answer.call_notice);
      return;
    }
    if (b.kind === "result") {
      say(T["checkin.result_early"].replace("{day}", b.date_label));
    } else if (answer.status === "early") {
      say(T["checkin.early"].replace("{from}", answer.opens_at));
    } else {
      say(T["checkin.late"]);
    }
    normalField = b.field;
    choice.hidden = false;
  } catch (err) {
    say(err.status && err.status < 500 ? err.message : T["checkin.failed"]);
  }
}

async function takeNormal() {
  if (!normalField) return;
  choice.hidden = true;
  const body = { field: normalField };
  if (params.get("printer")) body.printer = params.get("printer");
  try {
    const placed = await api("POST", `/api/v1/offices/${data.office}/tickets`, body, {
      key: newKey("kiosk"),
      retries: 3,
      ...options(),
    });
    $("when").textContent = "";
    showTicket(placed, T["checkin.your_number"]);
  } catch (err) {
    say(err.status && err.status < 500 ? err.message : T["checkin.failed"]);
  }
}

$("keys").addEventListener("click", (event) => {
  const key = event.target.closest("[data-key]");
  if (!key) return;
  const k = key.dataset.key;
  input.value = k === "del" ? input.value.slice(0, -1) : (input.value + k).slice(0, 12);
  input.focus();
});
$("code-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const code = normalise(input.value);
  if (code) checkIn(code);
});
$("normal").addEventListener("click", takeNormal);
// The scanner types into whatever has focus: keep it on the input.
document.addEventListener("click", () => {
  if ($("checkin").dataset.screen === "entry") input.focus();
});
keepQuery();
input.focus();
