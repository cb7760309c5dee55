// The counter workstation. State comes from the office stream (a snapshot, then events);
// every action goes through the JSON API with its own Idempotency-Key, so a double click
// or a retried request never acts twice. The page never guesses the outcome of an action:
// it shows what the server answered and what the stream says.

import { api, newKey } from "./api.js";
import { OfficeStream, compareIds } from "./realtime.js";

const cfg = JSON.parse(document.getElementById("counter-config").textContent);
const T = JSON.parse(document.getElementById("counter-texts").textContent);
const ME = cfg.counter;
const OFFICE = encodeURIComponent(cfg.office);
const ACTIVE = new Set(["called", "serving"]);
const FIELDS = Object.fromEntries(cfg.fields.map((f) => [f.code, f]));

// Office PCs' clocks drift; waiting times are measured on the server's clock.
const clockOffset = cfg.now - Date.now();
const now = () => Date.now() + clockOffset;

const state = {
  lanes: Object.fromEntries(cfg.lanes.map((l) => [l, []])),
  status: "closed",
  current: null, // the ticket this counter holds while it is called or serving
  streak: 0, // priority calls in a row at this counter: decides the calling order
  stateId: null, // id of the last event the state includes
  pending: false, // an action is in flight
  loaded: false,
  actions: 0, // actions answered so far: a snapshot asked for before one is out of date
  queued: null, // an action asked for while another was pending: it runs next
  counters: {}, // every counter's status by number: the transfer dialog shows and warns
};

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (k === "disabled") node.disabled = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

// Formatting.

function clock(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, "0");
  const ss = String(s % 60).padStart(2, "0");
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

// Times of day in the office's zone, whatever zone the PC is set to.
const timeOfDay = new Intl.DateTimeFormat("en-GB", {
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
  timeZone: cfg.timezone,
});

function hhmm(ms) {
  return timeOfDay.format(new Date(ms));
}

function waitedMinutes(ticket) {
  return Math.max(0, Math.floor((now() - ticket.issued_at) / 60000));
}

function fieldName(code) {
  return FIELDS[code] ? FIELDS[code].name : code;
}

function priorityBadge(ticket) {
  if (ticket.class === "normal" || !ticket.priority) return null;
  const name = cfg.priorities[ticket.priority] || ticket.priority;
  if (ticket.class === "appointment") {
    const due = ticket.due_at ? ` ${hhmm(ticket.due_at)}` : "";
    return el("span", { class: "badge badge-appt", title: name }, `📅 ${name}${due}`);
  }
  return el("span", { class: "badge badge-prio", title: name }, `★ ${T["counter.priority"]} – ${name}`);
}

// What is possible now. Each returns true, or the reason it is not.

function canCall() {
  if (state.status !== "open") return T["counter.msg.not_open"];
  if (state.current) return T["counter.msg.busy"];
  return true;
}

// The order this counter will call its waiting tickets in: the rules of
// queue_server/rules/calling.py, from this counter's streak, carried across its lanes as
// the server carries it. The office snapshot orders each lane from a zero streak, which is
// right for no counter in particular.
function score(t) {
  return t.class === "appointment" && t.due_at != null ? t.due_at : t.order;
}

function callingOrder() {
  let streak = state.streak;
  const t0 = now();
  const out = {};
  for (const lane of cfg.lanes) {
    const q = { appointment: [], priority: [], normal: [] };
    for (const t of state.lanes[lane]) q[t.class].push(t);
    for (const list of Object.values(q)) {
      list.sort((a, b) => score(a) - score(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    }
    const order = [];
    for (;;) {
      const [a, p, n] = [q.appointment[0], q.priority[0], q.normal[0]];
      let klass;
      if (a && score(a) <= t0) klass = "appointment";
      else if (p && (!n || streak < cfg.interleave)) [klass, streak] = ["priority", streak + 1];
      else if (n) [klass, streak] = ["normal", 0];
      else if (a) klass = "appointment";
      else break;
      order.push(q[klass].shift());
    }
    out[lane] = order;
  }
  return out;
}

function waitingCount() {
  return cfg.lanes.reduce((n, l) => n + state.lanes[l].length, 0);
}

const CHECKS = {
  "call-next": () => {
    const ok = canCall();
    if (ok !== true) return ok;
    return waitingCount() > 0 ? true : T["counter.msg.nobody"];
  },
  recall: () => state.current?.status === "called" || null,
  start: () => state.current?.status === "called" || null,
  finish: () => ACTIVE.has(state.current?.status) || null,
  "no-show": () => state.current?.status === "called" || null,
  transfer: () => state.current?.status === "called" || null,
  // The server records a pickup for a ticket being served (or done, which the page no
  // longer holds); a called citizen may not have come to the counter yet.
  result: () => {
    if (state.current?.status === "serving") return true;
    return state.current?.status === "called" ? T["counter.msg.start_first"] : null;
  },
  open: () => state.status !== "open" || null,
  pause: () => state.status === "open" || null,
  close: () => {
    if (state.status === "closed") return null;
    return state.current ? T["counter.msg.busy"] : true;
  },
  "call-this": () => canCall(),
};

function possible(action) {
  return state.loaded && !state.pending && CHECKS[action]() === true;
}

// Messages.

let messageTimer = null;

function say(text, kind = "info") {
  const box = $("message");
  box.textContent = text;
  box.className = `message message-${kind}`;
  box.setAttribute("role", kind === "error" ? "alert" : "status");
  clearTimeout(messageTimer);
  // Errors stay until the next action: staff may look away from the screen.
  if (kind !== "error") messageTimer = setTimeout(() => (box.textContent = ""), 8000);
}

// Rendering.

function renderStatus() {
  const pill = $("counter-status");
  pill.textContent = T[`counter.status.${state.status}`];
  pill.className = `pill pill-${state.status}`;
  document.body.dataset.counterStatus = state.status;
  if (!state.current) $("current-state").textContent = noneHint();
}

// What to do next when no ticket is at the counter: "Gọi số" only once the counter is open.
function noneHint() {
  return T[`counter.none_hint.${state.status}`] || T["counter.none_hint"];
}

function renderCurrent() {
  const t = state.current;
  const box = $("current");
  box.dataset.status = t ? t.status : "none";
  $("current-number").textContent = t ? t.number : "—";
  $("current-field").textContent = t ? fieldName(t.field) : "";
  $("current-priority").replaceChildren(...(t && priorityBadge(t) ? [priorityBadge(t)] : []));
  $("current-state").textContent = t ? T[`counter.ticket.${t.status}`] : noneHint();
  $("recalls").textContent = t && t.recalls ? `${T["counter.recalls"]}: ${t.recalls}` : "";
  renderTimer();
}

function renderTimer() {
  const t = state.current;
  if (!t) {
    $("timer-label").textContent = "";
    $("timer").textContent = "";
    return;
  }
  const serving = t.status === "serving";
  $("timer-label").textContent = serving ? T["counter.since_started"] : T["counter.since_called"];
  $("timer").textContent = clock(now() - (serving ? t.started_at : t.called_at));
}

function renderButtons() {
  for (const button of document.querySelectorAll("[data-action]")) {
    button.disabled = !possible(button.dataset.action);
  }
  const callable = state.loaded && !state.pending && canCall() === true;
  for (const button of document.querySelectorAll("button[data-call]")) {
    button.disabled = !callable;
  }
}

// Rows are kept per ticket and moved, not rebuilt: an event arriving between the press and
// the release of a mouse button must not swallow the click on a row's "call" button.
const rowCache = new Map();

function ticketRow(t) {
  const sig = `${t.number}|${t.field}|${t.class}|${t.priority}`;
  const cached = rowCache.get(t.id);
  if (cached && cached.dataset.sig === sig) return cached;
  const call = el("button", { type: "button", class: "btn btn-small btn-row", dataset: { call: t.id }, title: `${T["counter.call_this"]} ${t.number}` }, T["counter.call_this"]);
  const row = el(
    "tr",
    { class: `ticket klass-${t.class}`, dataset: { id: t.id, number: t.number, sig } },
    el("td", { class: "col-pos" }),
    el("td", { class: "col-number" }, t.number),
    el("td", { class: "col-field" }, fieldName(t.field)),
    el("td", { class: "col-prio" }, priorityBadge(t)),
    el("td", { class: "col-time" }, hhmm(t.issued_at)),
    el("td", { class: "col-time col-waited" }),
    el("td", { class: "col-act" }, call),
  );
  rowCache.set(t.id, row);
  return row;
}

function renderList() {
  const table = $("waiting");
  for (const body of table.querySelectorAll("tbody")) body.remove();
  let pos = 0;
  const callable = state.loaded && !state.pending && canCall() === true;
  const ordered = callingOrder();
  const shown = new Set();
  for (const lane of cfg.lanes) {
    const tickets = ordered[lane];
    if (!tickets.length) continue;
    const title = lane.startsWith("@") ? T["counter.lane.own"] : fieldName(lane);
    const count = el("span", { class: "lane-count" }, String(tickets.length));
    const body = el("tbody", { dataset: { lane } }, el("tr", { class: "lane-head" }, el("th", { colspan: "7" }, title, count)));
    for (const t of tickets) {
      pos += 1;
      const row = ticketRow(t);
      row.querySelector(".col-pos").textContent = String(pos);
      row.querySelector("button[data-call]").disabled = !callable;
      body.append(row);
      shown.add(t.id);
    }
    table.append(body);
  }
  for (const id of rowCache.keys()) if (!shown.has(id)) rowCache.delete(id);
  tickWaited();
  $("waiting-count").textContent = String(pos);
  $("waiting-empty").hidden = pos > 0;
}

function render() {
  renderStatus();
  renderCurrent();
  renderList();
  renderButtons();
}

function tickWaited() {
  for (const row of document.querySelectorAll("#waiting tr.ticket")) {
    const t = findWaiting(row.dataset.id);
    if (!t) continue;
    const minutes = waitedMinutes(t);
    row.querySelector(".col-waited").textContent = `${minutes} ${T.minutes}`;
    const target = FIELDS[t.field]?.target_wait_minutes;
    row.classList.toggle("late", Boolean(target && minutes >= target));
  }
}

function findWaiting(id) {
  for (const lane of cfg.lanes) {
    const found = state.lanes[lane].find((t) => t.id === id);
    if (found) return found;
  }
  return null;
}

// State from the server.

function applySnapshot(snap) {
  state.lanes = Object.fromEntries(cfg.lanes.map((l) => [l, (snap.lanes[l] || []).slice()]));
  const me = snap.counters.find((c) => c.number === ME);
  state.status = me ? me.status : "closed";
  state.current = me && me.ticket && ACTIVE.has(me.ticket.status) ? me.ticket : null;
  state.streak = me ? me.streak : 0;
  state.counters = Object.fromEntries(snap.counters.map((c) => [c.number, c.status]));
  state.stateId = snap.last_event;
  state.loaded = true;
  render();
}

function removeTicket(id) {
  for (const lane of cfg.lanes) state.lanes[lane] = state.lanes[lane].filter((t) => t.id !== id);
}

function applyTicket(t) {
  removeTicket(t.id);
  if (t.status === "waiting" && state.lanes[t.lane]) state.lanes[t.lane].push(t);
  if (t.counter === ME && ACTIVE.has(t.status)) state.current = t;
  else if (state.current && state.current.id === t.id) state.current = null;
}

function applyEvent(msg) {
  if (state.stateId && compareIds(msg.id, state.stateId) <= 0) return; // already in the state
  state.stateId = msg.id;
  const data = msg.data || {};
  if (msg.type.startsWith("counter.")) noteCounter(data);
  if (msg.type.startsWith("ticket.")) {
    applyTicket(data);
    if ((msg.type === "ticket.finished" || msg.type === "ticket.no_show") && data.counter === ME) loadToday();
    // A call changes this counter's streak, which only the counter state says.
    if (msg.type === "ticket.called" && data.counter === ME) scheduleRefresh(0);
  } else if (msg.type.startsWith("counter.") && data.number === ME) {
    state.status = data.status;
    state.streak = data.streak;
  } else if (msg.type === "office.config_changed") {
    // Fields, counters and their names come with the page; the queue state lives on the
    // server, so a reload loses nothing.
    location.reload();
    return;
  } else if (msg.type === "office.day_started") {
    scheduleRefresh();
    loadToday();
  } else if (msg.type === "printer.status") {
    onPrinterStatus(data);
  }
  render();
}

let refreshTimer = null;

function scheduleRefresh(delay = 150) {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, delay);
}

async function refresh() {
  try {
    const actions = state.actions;
    const snap = await api("GET", `/api/v1/offices/${OFFICE}/queue`);
    // An older view than what the stream already applied would undo newer events; one
    // read before an action's answer was applied would undo that answer (the ticket just
    // called would vanish from the screen until the next event).
    if (
      actions !== state.actions ||
      state.pending ||
      (state.stateId && compareIds(snap.last_event, state.stateId) < 0)
    ) {
      scheduleRefresh(300);
      return;
    }
    applySnapshot(snap);
  } catch (err) {
    scheduleRefresh(2000);
  }
}

async function loadToday() {
  try {
    const s = await api("GET", `/api/v1/offices/${OFFICE}/counters/${ME}/today`);
    $("stat-served").textContent = String(s.served);
    $("stat-no-show").textContent = String(s.no_show);
    $("stat-avg").textContent = s.avg_service_s === null ? "—" : clock(s.avg_service_s * 1000);
  } catch (err) {
    // The counts are a convenience; the next finished ticket loads them again.
  }
}

// Actions.

const TICKET_STEP = { recall: "recall", start: "start", finish: "finish", "no-show": "no-show" };
const DONE_TEXT = {
  "call-next": "counter.msg.called",
  recall: "counter.msg.recalled",
  start: "counter.msg.started",
  finish: "counter.msg.finished",
  "no-show": "counter.msg.no_show",
};

async function send(path, body) {
  return api("POST", path, body, { key: newKey(`c${ME}`), retries: 2 });
}

async function run(action, work) {
  if (state.pending) return;
  const check = CHECKS[action] ? CHECKS[action]() : true;
  if (check !== true) {
    if (typeof check === "string") say(check, "error");
    return;
  }
  state.pending = true;
  renderButtons();
  try {
    await work();
  } catch (err) {
    say(err.status === 0 ? T["counter.msg.network"] : err.message, "error");
    // A refusal means this page's view was behind the server: catch up.
    if (err.status === 409) scheduleRefresh(0);
  } finally {
    state.pending = false;
    state.actions += 1;
    render();
    const next = state.queued;
    state.queued = null;
    if (next) act(next);
  }
}

function act(action) {
  // A key pressed while the previous action is on its way (F1 then N at once) runs right
  // after it, checked against the state it leaves, rather than being lost.
  if (state.pending) {
    state.queued = action;
    return;
  }
  if (action === "transfer") return openTransfer();
  if (action === "result") return openResult();
  const ticket = state.current;
  return run(action, async () => {
    if (action === "call-next") {
      const called = await send(`/api/v1/offices/${OFFICE}/counters/${ME}/call-next`);
      if (called === null) return say(T["counter.msg.nobody"], "error");
      applyTicket(called);
      say(`${T["counter.msg.called"]} ${called.number}`, "ok");
    } else if (TICKET_STEP[action]) {
      const done = await send(`/api/v1/tickets/${encodeURIComponent(ticket.id)}/${TICKET_STEP[action]}`, { counter: ME });
      applyTicket(done);
      say(`${T[DONE_TEXT[action]]} ${done.number}`, "ok");
    } else {
      await counterAction(action);
    }
  });
}

function callTicket(id) {
  return run("call-this", async () => {
    const called = await send(`/api/v1/tickets/${encodeURIComponent(id)}/call`, { counter: ME });
    applyTicket(called);
    say(`${T["counter.msg.called"]} ${called.number}`, "ok");
  });
}

// Transfer dialog.

function openTransfer() {
  if (!possible("transfer")) return;
  const t = state.current;
  const dialog = $("transfer-dialog");
  $("transfer-number").textContent = t.number;
  const fields = cfg.fields.map((f) =>
    el("button", { type: "button", class: "btn choice", dataset: { field: f.code } }, `${f.prefix} · ${f.name}`, f.code === t.field ? el("small", {}, ` (${T["counter.transfer.here"]})`) : null),
  );
  $("transfer-fields").replaceChildren(...fields);
  renderTransferCounters();
  showTransferPick();
  dialog.showModal();
}

function transferTo(target, force = false) {
  const dialog = $("transfer-dialog");
  const t = state.current;
  const status = target.counter ? counterStatus(target.counter) : "open";
  if (!force && status !== "open") return warnTransfer(target.counter, status);
  dialog.close();
  return run("transfer", async () => {
    let moved;
    try {
      moved = await send(`/api/v1/tickets/${encodeURIComponent(t.id)}/transfer`, force ? { ...target, force: true } : target);
    } catch (err) {
      // The counter closed or paused after the dialog was drawn: ask, with its state now.
      if (err.code !== "counter_closed" && err.code !== "counter_paused") throw err;
      noteCounter({ number: err.details.counter, status: err.details.status });
      renderTransferCounters();
      dialog.showModal();
      warnTransfer(err.details.counter, err.details.status);
      return;
    }
    applyTicket(moved);
    const where = target.counter ? counterName(target.counter) : fieldName(target.field);
    say(`${T["counter.msg.transferred"]} ${moved.number} → ${where}`, "ok");
  });
}

// Counters' states, for the transfer dialog: a ticket sent to a closed or paused counter
// waits until it opens, so the clerk sees each state and is asked before choosing one.

function counterStatus(number) {
  return state.counters[number] || "closed";
}

function counterName(number) {
  return cfg.counters.find((c) => c.number === number).name;
}

function noteCounter(data) {
  if (typeof data.number !== "number" || !data.status) return;
  state.counters[data.number] = data.status;
  if ($("transfer-dialog").open && !$("transfer-pick").hidden) renderTransferCounters();
}

function renderTransferCounters() {
  const counters = cfg.counters
    .filter((c) => c.number !== ME)
    .map((c) => {
      const status = counterStatus(c.number);
      return el(
        "button",
        { type: "button", class: `btn choice choice-${status}`, dataset: { counter: String(c.number), status } },
        el("span", { class: "choice-head" }, c.name, " ", el("span", { class: `pill pill-${status}` }, T[`counter.status.${status}`])),
        el("small", {}, c.fields.map(fieldName).join(", ")),
      );
    });
  $("transfer-counters").replaceChildren(...counters);
}

function showTransferPick() {
  $("transfer-pick").hidden = false;
  $("transfer-confirm").hidden = true;
}

function warnTransfer(number, status) {
  const fill = (text) => text.replace("{counter}", counterName(number)).replace("{number}", state.current?.number ?? "");
  $("transfer-warn").textContent = fill(T[`counter.transfer.warn.${status}`]);
  const yes = $("transfer-force");
  yes.textContent = fill(T["counter.transfer.anyway"]);
  yes.dataset.counter = String(number);
  $("transfer-pick").hidden = true;
  $("transfer-confirm").hidden = false;
  $("transfer-other").focus();
}

// Pausing or closing: the server refuses (409 last_counter) when this is the last open
// counter of a field with people waiting; the clerk is asked, with how many, and chooses.

async function counterAction(action, force = false) {
  let counter;
  try {
    const path = `/api/v1/offices/${OFFICE}/counters/${ME}/${action}`;
    counter = await send(path, force ? { force: true } : undefined);
  } catch (err) {
    if (err.code !== "last_counter" || force) throw err;
    askLastCounter(action, err.details);
    return;
  }
  state.status = counter.status;
  say(T[`counter.msg.${action}`], "ok");
}

function askLastCounter(action, details) {
  const lang = document.documentElement.lang === "en" ? "en" : "vi";
  const parts = [];
  if (details.fields.length) {
    const fields = details.fields.map((f) => f[`name_${lang}`]).join(", ");
    const key = details.waiting === 1 ? "counter.last.text_one" : "counter.last.text";
    parts.push(T[key].replace("{fields}", fields).replace("{n}", String(details.waiting)));
  }
  if (details.own) {
    const key = details.own === 1 ? "counter.last.own_one" : "counter.last.own";
    parts.push(T[key].replace("{n}", String(details.own)));
  }
  parts.push(T[`counter.last.${action}_q`]);
  $("counter-confirm-text").textContent = parts.join(" ");
  const yes = $("counter-confirm-yes");
  yes.textContent = T[`counter.last.${action}_yes`];
  yes.dataset.action = action;
  const dialog = $("counter-confirm");
  dialog.returnValue = "";
  dialog.showModal();
  $("counter-confirm-keep").focus();
}

function confirmLastCounter() {
  const dialog = $("counter-confirm");
  if (dialog.returnValue !== "force") return;
  const action = $("counter-confirm-yes").dataset.action;
  run(action, () => counterAction(action, true));
}

// Result pickup dialog (hẹn trả kết quả): the clerk picks the procedure received, may add
// the citizen's name and phone and a printer; the server computes the date and makes the
// slip. One pickup per ticket and procedure is the server's rule; the key below only makes
// a retried request safe.

// The rule of queue_server/services/appointments.py (normalise_phone, PHONE_RE), so that a
// typo is caught before sending; the server checks again and stays the authority.
const PHONE_RE = /^0(?:[35789]\d{8}|2\d{9})$/;

function normalisePhone(raw) {
  let digits = raw.replace(/[\s.()-]/g, "");
  if (digits.startsWith("+84")) digits = "0" + digits.slice(3);
  else if (digits.startsWith("84") && digits.length === 11) digits = "0" + digits.slice(2);
  return digits;
}

const PRINTER_MEMORY = `sothutu.result-printer.${cfg.office}.${ME}`;

const pickup = {
  ticket: null, // the ticket the open dialog records for
  body: null, // the last request sent, as JSON, and its Idempotency-Key
  key: null,
  sending: false,
};

function storedPrinter() {
  try {
    const name = localStorage.getItem(PRINTER_MEMORY) || "";
    return cfg.printers.includes(name) ? name : "";
  } catch (err) {
    return ""; // storage off (a locked-down browser): no printer by default
  }
}

function rememberPrinter(name) {
  try {
    localStorage.setItem(PRINTER_MEMORY, name);
  } catch (err) {
    // Only a convenience.
  }
}

// The fields whose procedures this counter records for a ticket: its own field first, then
// the other fields the counter serves (the rule of AppointmentService.check_handled).
function pickupFields(ticket) {
  const mine = cfg.counters.find((c) => c.number === ME)?.fields || [];
  const codes = [ticket.field, ...mine.filter((code) => code !== ticket.field)];
  return codes.map((code) => FIELDS[code]).filter((f) => f && f.procedures.length);
}

function legalTime(p) {
  if (p.legal_days === 0) return T["counter.result.same_day"];
  return `${p.legal_days} ${T["counter.result.working_days"]}`;
}

function procedureChoice(p) {
  return el(
    "label",
    { class: "proc" },
    el("input", { type: "radio", name: "procedure", value: p.code }),
    el("span", { class: "proc-name" }, p.name, el("small", {}, ` · ${p.code}`)),
    el(
      "span",
      { class: "proc-days" },
      p.no_wait ? el("span", { class: "badge badge-nowait" }, T["counter.result.no_wait"]) : null,
      legalTime(p),
    ),
  );
}

function showPickupStep(done) {
  $("result-entry").hidden = done;
  $("result-done").hidden = !done;
}

function phoneProblem() {
  const input = $("result-phone");
  const raw = input.value.trim();
  const bad = raw !== "" && !PHONE_RE.test(normalisePhone(raw));
  $("result-phone-error").textContent = bad ? T["counter.result.bad_phone"] : "";
  input.setAttribute("aria-invalid", bad ? "true" : "false");
  return bad;
}

function openResult() {
  if (!possible("result")) {
    const why = state.loaded ? CHECKS.result() : null;
    if (typeof why === "string") say(why, "error");
    return;
  }
  openResultFor(state.current);
}

// The pickup dialog for ticket `t`: the one being served, or one finished earlier today
// (from the list of served tickets).
function openResultFor(t) {
  const dialog = $("result-dialog");
  if (pickup.ticket?.id !== t.id) {
    // Name and phone belong to the citizen: kept while the dialog is for the same ticket
    // (a second dossier), cleared for the next one.
    $("result-name").value = "";
    $("result-phone").value = "";
  }
  pickup.ticket = t;
  $("result-number").textContent = t.number;
  const groups = pickupFields(t).map((f) =>
    el(
      "fieldset",
      { class: "proc-group" },
      el("legend", {}, f.name, f.code === t.field ? el("small", {}, ` (${T["counter.result.ticket_field"]})`) : null),
      ...f.procedures.map(procedureChoice),
    ),
  );
  const list = $("result-procedures");
  list.replaceChildren(...(groups.length ? groups : [el("p", { class: "empty" }, T["counter.result.no_procedures"])]));
  const radios = list.querySelectorAll("input[type=radio]");
  if (radios.length === 1) radios[0].checked = true;
  const printers = $("result-printer");
  printers.replaceChildren(printers.options[0], ...cfg.printers.map((name) => el("option", { value: name }, name)));
  printers.value = storedPrinter();
  $("result-printer-row").hidden = cfg.printers.length === 0;
  showPrinterState($("result-printer-state"), printers.value);
  loadPrinters();
  $("result-error").textContent = "";
  phoneProblem();
  $("result-submit").disabled = radios.length === 0;
  showPickupStep(false);
  dialog.showModal();
  (list.querySelector("input:checked") || radios[0] || $("result-name")).focus();
}

async function submitResult(event) {
  event.preventDefault();
  if (pickup.sending) return;
  const error = $("result-error");
  const chosen = $("result-procedures").querySelector("input:checked");
  if (!chosen) {
    error.textContent = T["counter.result.choose"];
    $("result-procedures").querySelector("input")?.focus();
    return;
  }
  if (phoneProblem()) {
    error.textContent = "";
    $("result-phone").focus();
    return;
  }
  const body = { procedure: chosen.value };
  const name = $("result-name").value.trim();
  const phone = $("result-phone").value.trim();
  const printer = $("result-printer").value;
  if (name) body.name = name;
  if (phone) body.phone = normalisePhone(phone);
  if (printer) body.printer = printer;
  const ticket = pickup.ticket;
  const json = JSON.stringify([ticket.id, body]);
  // The same request sent again (after a network error) keeps its key; a changed one is new.
  if (json !== pickup.body) [pickup.body, pickup.key] = [json, newKey(`r${ME}`)];
  pickup.sending = true;
  const submit = $("result-submit");
  submit.disabled = true;
  $("result-submit-text").textContent = T["counter.result.sending"];
  error.textContent = "";
  try {
    const made = await api("POST", `/api/v1/tickets/${encodeURIComponent(ticket.id)}/result`, body, { key: pickup.key, retries: 2 });
    rememberPrinter(printer);
    showPickup(made, printer);
    say(`${T["counter.msg.result"]} ${made.code} · ${made.date_label}`, "ok");
  } catch (err) {
    error.textContent = err.status === 0 ? T["counter.msg.network"] : err.message;
    if (err.code === "invalid_input" && phone) $("result-phone").focus();
  } finally {
    pickup.sending = false;
    submit.disabled = false;
    $("result-submit-text").textContent = T["counter.result.submit"];
  }
}

function showPickup(made, printer) {
  $("result-code").textContent = made.code;
  $("result-day").textContent = made.date_label;
  $("result-what").textContent = [made.procedure_name, made.name].filter(Boolean).join(" · ");
  showPrintOutcome($("result-print"), made, printer);
  $("result-slip").href = made.slip_page;
  showPickupStep(true);
  $("result-close").focus();
}

// Printers and what became of a slip sent to one. The page knows a printer's state from
// GET …/printers (online/offline/unknown, since when, why) and hears of each printed or
// cleared job on the office stream (`printer.status` with job_printed / job_cleared). It
// says "printed" only when the printer took the job; for an offline printer it says so at
// once and offers the slip on screen, or cancelling the job so that it does not come out
// later in front of the next citizen.

const printers = { states: {}, timer: null };
// Job ids the stream said were printed or cleared: the event may come before the answer
// of the request that sent the job.
const finishedJobs = new Map();
const trackedPrints = new Map(); // job id -> {box, printer, slipPage}
let printPoll = null;

function fill(text, values) {
  return text.replace(/\{(\w+)\}/g, (_, k) => values[k] ?? "");
}

function sinceText(ms) {
  if (!ms) return "—";
  const day = new Intl.DateTimeFormat("en-GB", { day: "2-digit", month: "2-digit", timeZone: cfg.timezone });
  const today = day.format(new Date(now()));
  const then = day.format(new Date(ms));
  return then === today ? hhmm(ms) : `${hhmm(ms)} ${then}`;
}

function reasonText(st) {
  return T[`printer.reason.${st.reason}`] || st.reason || "";
}

function printerLine(name, st) {
  if (!st || st.state === "unknown") return fill(T["counter.printer.unknown"], { printer: name });
  if (st.state === "online") return fill(T["counter.printer.online"], { printer: name });
  return fill(T["counter.printer.offline"], { printer: name, since: sinceText(st.since), reason: reasonText(st) });
}

function showPrinterState(line, name) {
  line.hidden = !name;
  if (!name) return;
  const st = printers.states[name];
  line.dataset.state = st ? st.state : "unknown";
  line.textContent = printerLine(name, st);
  // The raw error stays at hand for IT staff, not in the clerk's sentence.
  line.title = st && st.detail ? st.detail : "";
}

async function loadPrinters() {
  if (!cfg.printers.length) return;
  try {
    const answer = await api("GET", `/api/v1/offices/${OFFICE}/printers`);
    for (const p of answer.printers) printers.states[p.name] = p.availability;
  } catch (err) {
    return; // shown again at the next event or dialog
  }
  showPrinterState($("result-printer-state"), $("result-printer").value);
  showPrinterState($("postpone-printer-state"), $("postpone-printer").value);
  for (const [job, t] of trackedPrints) renderPrintOutcome(t.box, job, t);
}

function onPrinterStatus(data) {
  for (const [key, outcome] of [["job_printed", "printed"], ["job_cleared", "cleared"]]) {
    const id = data[key]?.id;
    if (!id) continue;
    finishedJobs.set(id, outcome);
    if (finishedJobs.size > 200) finishedJobs.delete(finishedJobs.keys().next().value);
    const t = trackedPrints.get(id);
    if (t) {
      t.outcome = outcome;
      renderPrintOutcome(t.box, id, t);
      trackedPrints.delete(id);
    }
  }
  // Every printed ticket sends one of these: read the printers only when a line shows them.
  if (!trackedPrints.size && !$("result-dialog").open && !$("postpone-dialog").open) return;
  clearTimeout(printers.timer);
  printers.timer = setTimeout(loadPrinters, 100);
}

function printButton(text, attrs) {
  return el(attrs.href ? "a" : "button", { class: "btn", ...attrs }, text);
}

// The outcome of job `job` in `box`: printed, cancelled, or waiting (with the printer's state
// and, when it is offline, the slip on screen and the cancel).
function renderPrintOutcome(box, job, t) {
  const st = printers.states[t.printer] || t.state || { state: "unknown" };
  const kind = t.outcome || (t.refused ? "refused" : st.state === "offline" ? "offline" : "sending");
  const lines = [];
  const actions = [];
  const values = { printer: t.printer };
  const onScreen = () => printButton(T["counter.print.open_slip"], { href: t.slipPage, target: "_blank", rel: "noopener", "data-print-slip": "" });
  if (kind === "printed") lines.push(fill(T["counter.print.printed"], values));
  else if (kind === "cleared") lines.push(T["counter.print.cancelled"]);
  else if (kind === "refused") {
    // Refused while its bytes were on the way: it may print, or go back in line when the
    // attempt fails, and then a second cancel is accepted.
    lines.push(t.refused);
    actions.push(onScreen());
    actions.push(printButton(T["counter.print.cancel"], { type: "button", "data-print-cancel": job, class: "btn btn-warn" }));
  } else if (kind === "offline") {
    lines.push(fill(T["counter.print.offline"], values));
    lines.push(fill(T["counter.print.offline_since"], { since: sinceText(st.since), reason: reasonText(st) }));
    actions.push(onScreen());
    actions.push(printButton(T["counter.print.cancel"], { type: "button", "data-print-cancel": job, class: "btn btn-warn" }));
  } else lines.push(fill(T["counter.print.sending"], values));
  box.dataset.state = kind;
  box.dataset.job = job;
  const status = el("p", { class: "print-status", role: kind === "offline" || kind === "refused" ? "alert" : "status" }, lines[0]);
  const why = lines.slice(1).map((text) => el("p", { class: "print-why" }, text));
  if (st && st.detail && kind === "offline") why[0]?.setAttribute("title", st.detail);
  box.replaceChildren(status, ...why, ...(actions.length ? [el("div", { class: "print-actions" }, ...actions)] : []));
  box.hidden = false;
}

// `made` is the answer of a request that may have sent a slip: {print_job, print_status,
// printer_state, slip_page}.
function showPrintOutcome(box, made, printer) {
  if (!made.print_job) {
    box.hidden = true;
    box.replaceChildren();
    return;
  }
  if (made.printer_state) printers.states[printer] = made.printer_state;
  const done = ["printed", "cleared"].includes(made.print_status) ? made.print_status : null;
  const t = { box, printer, slipPage: made.slip_page, state: made.printer_state, outcome: done || finishedJobs.get(made.print_job) };
  renderPrintOutcome(box, made.print_job, t);
  if (!t.outcome) {
    trackedPrints.set(made.print_job, t);
    // The stream may be down for a moment: ask now and then as well.
    if (!printPoll) printPoll = setInterval(pollPrints, 4000);
  }
}

async function pollPrints() {
  if (!trackedPrints.size) {
    clearInterval(printPoll);
    printPoll = null;
    return;
  }
  for (const [job, t] of [...trackedPrints]) {
    try {
      const s = await api("GET", `/api/v1/offices/${OFFICE}/printers/${encodeURIComponent(t.printer)}/jobs/${job}`);
      printers.states[t.printer] = s.printer_state;
      if (s.status === "printed" || s.status === "cleared") {
        t.outcome = s.status;
        trackedPrints.delete(job);
      } else if (s.status === "held" || s.status === "unknown") {
        // Out of line for a manager to decide (docs/printing.md): nothing more to follow.
        trackedPrints.delete(job);
      }
      renderPrintOutcome(t.box, job, t);
    } catch (err) {
      // Asked again at the next turn.
    }
  }
}

async function cancelPrint(job) {
  const t = trackedPrints.get(job);
  if (!t) return;
  t.refused = null;
  try {
    await api("DELETE", `/api/v1/offices/${OFFICE}/printers/${encodeURIComponent(t.printer)}/jobs/${job}`, undefined, { key: newKey(`p${ME}`), retries: 2 });
    t.outcome = "cleared";
    trackedPrints.delete(job);
  } catch (err) {
    if (err.code === "printed") {
      t.outcome = "printed";
      trackedPrints.delete(job);
    } else {
      // On the wire: it may print, and can no longer be cancelled. The server's words say so.
      t.refused = err.status === 0 ? T["counter.msg.network"] : err.message;
    }
  }
  renderPrintOutcome(t.box, job, t);
}

// Tickets served today at this counter: a clerk who pressed "Hoàn thành" before "Hẹn trả
// kết quả" still makes the citizen's pickup slip from here.

async function openServed() {
  const dialog = $("served-dialog");
  const body = $("served-list").tBodies[0];
  body.replaceChildren();
  $("served-empty").hidden = true;
  dialog.showModal();
  let answer;
  try {
    answer = await api("GET", `/api/v1/offices/${OFFICE}/counters/${ME}/served`);
  } catch (err) {
    dialog.close();
    say(err.status === 0 ? T["counter.msg.network"] : err.message, "error");
    return;
  }
  body.replaceChildren(
    ...answer.tickets.map((t) =>
      el(
        "tr",
        { dataset: { ticket: t.id } },
        el("td", { class: "col-number" }, t.number),
        el("td", {}, fieldName(t.field)),
        el("td", { class: "col-time" }, hhmm(t.finished_at)),
        el("td", {}, el("button", { type: "button", class: "btn btn-small", "aria-label": `${T["counter.served.make"]} ${t.number}`, dataset: { served: t.id, number: t.number, field: t.field } }, T["counter.served.make"])),
      ),
    ),
  );
  $("served-empty").hidden = answer.tickets.length > 0;
  body.querySelector("button")?.focus();
}

function pickupForServed(button) {
  $("served-dialog").close();
  const { served: id, number, field } = button.dataset;
  openResultFor({ id, number, field, status: "done" });
}

// Postponing a result pickup (hẹn lại ngày trả kết quả): the clerk finds the dossier by the
// code on its slip, says by how many working days and why; the server counts the days on
// the office's calendar and makes the apology slip (mẫu 04), printed or shown on screen.

const postpone = { booking: null, body: null, key: null, sending: false, preview: 0 };

function showPostponeStep(done) {
  $("postpone-entry").hidden = done;
  $("postpone-done").hidden = !done;
}

function openPostpone() {
  postpone.booking = null;
  $("postpone-code").value = "";
  $("postpone-reason").value = "";
  $("postpone-days").value = "1";
  $("postpone-found").hidden = true;
  $("postpone-error").textContent = "";
  $("postpone-reason-error").textContent = "";
  $("postpone-submit").disabled = true;
  const select = $("postpone-printer");
  select.replaceChildren(select.options[0], ...cfg.printers.map((name) => el("option", { value: name }, name)));
  select.value = storedPrinter();
  $("postpone-printer-row").hidden = cfg.printers.length === 0;
  showPrinterState($("postpone-printer-state"), select.value);
  loadPrinters();
  showPostponeStep(false);
  $("postpone-dialog").showModal();
  $("postpone-code").focus();
}

function postponeDays() {
  const n = Number($("postpone-days").value);
  return Number.isInteger(n) && n >= 1 && n <= 60 ? n : null;
}

async function findPostpone() {
  const code = $("postpone-code").value.trim();
  const error = $("postpone-error");
  error.textContent = "";
  postpone.booking = null;
  $("postpone-found").hidden = true;
  $("postpone-submit").disabled = true;
  if (!code) {
    $("postpone-code").focus();
    return;
  }
  let b;
  try {
    b = await api("GET", `/api/v1/appointments/${encodeURIComponent(code)}/pickup?working_days=${postponeDays() || 1}`);
  } catch (err) {
    error.textContent = err.status === 0 ? T["counter.msg.network"] : err.message;
    return;
  }
  $("postpone-what").textContent = [b.code, b.procedure_name, b.name].filter(Boolean).join(" · ");
  $("postpone-current").textContent = b.date_label;
  $("postpone-found").hidden = false;
  if (!b.open) {
    error.textContent = fill(T["counter.postpone.not_open"], { status: b.status_label });
    return;
  }
  postpone.booking = b;
  showPostponeDay(b.postponed_to);
  $("postpone-submit").disabled = false;
  $("postpone-days").focus();
}

function showPostponeDay(to) {
  $("postpone-to").textContent = to ? `${T["counter.postpone.to"]} ${to.date_label}` : "";
}

async function previewPostpone() {
  const b = postpone.booking;
  const n = postponeDays();
  if (!b || !n) return showPostponeDay(null);
  // Only the last answer counts when the clerk types fast.
  const asked = ++postpone.preview;
  try {
    const moved = await api("GET", `/api/v1/appointments/${encodeURIComponent(b.code)}/pickup?working_days=${n}`);
    if (asked === postpone.preview) showPostponeDay(moved.postponed_to);
  } catch (err) {
    // The submit says what is wrong.
  }
}

async function submitPostpone(event) {
  event.preventDefault();
  if (postpone.sending) return;
  if (!postpone.booking) return findPostpone();
  const error = $("postpone-error");
  const reasonInput = $("postpone-reason");
  const reason = reasonInput.value.trim();
  $("postpone-reason-error").textContent = reason ? "" : T["counter.postpone.no_reason"];
  reasonInput.setAttribute("aria-invalid", reason ? "false" : "true");
  if (!reason) return reasonInput.focus();
  const n = postponeDays();
  if (!n) return $("postpone-days").focus();
  const printer = $("postpone-printer").value;
  const body = { working_days: n, reason };
  if (printer) body.printer = printer;
  const code = postpone.booking.code;
  const json = JSON.stringify([code, body]);
  if (json !== postpone.body) [postpone.body, postpone.key] = [json, newKey(`d${ME}`)];
  postpone.sending = true;
  $("postpone-submit").disabled = true;
  error.textContent = "";
  try {
    const made = await api("POST", `/api/v1/appointments/${encodeURIComponent(code)}/postpone`, body, { key: postpone.key, retries: 2 });
    rememberPrinter(printer);
    $("postpone-done-code").textContent = made.code;
    $("postpone-done-day").textContent = made.date_label;
    $("postpone-slip").href = made.slip_page;
    showPrintOutcome($("postpone-print"), made, printer);
    showPostponeStep(true);
    $("postpone-close").focus();
    say(`${T["counter.postpone.done"]} ${made.code} · ${made.date_label}`, "ok");
  } catch (err) {
    error.textContent = err.status === 0 ? T["counter.msg.network"] : err.message;
  } finally {
    postpone.sending = false;
    $("postpone-submit").disabled = !postpone.booking;
  }
}

// Wiring.

const KEYS = { F1: "call-next", " ": "call-next", r: "recall", s: "start", f: "finish", n: "no-show", t: "transfer", h: "result" };

function dialogOpen() {
  return document.querySelector("dialog[open]") !== null;
}

function onKey(event) {
  if (event.ctrlKey || event.altKey || event.metaKey) return;
  if (dialogOpen()) return;
  const target = event.target;
  if (target instanceof HTMLElement && target.closest("input, textarea, select, [contenteditable]")) return;
  const action = KEYS[event.key.length === 1 ? event.key.toLowerCase() : event.key];
  if (!action) return;
  // Space and F1 also mean "press the focused button" and "browser help".
  event.preventDefault();
  if (event.repeat) return;
  act(action);
}

function main() {
  document.addEventListener("keydown", onKey);
  // A focused button would also take the Space that means "call next"; in a dialog, Space
  // picks a procedure or presses a button as usual.
  document.addEventListener("keyup", (e) => e.key === " " && !dialogOpen() && e.preventDefault());
  for (const button of document.querySelectorAll("[data-action]")) {
    button.addEventListener("click", () => act(button.dataset.action));
  }
  $("waiting").addEventListener("click", (e) => {
    const button = e.target.closest("button[data-call]");
    if (button) callTicket(button.dataset.call);
  });
  $("transfer-dialog").addEventListener("click", (e) => {
    if (e.target.closest("#transfer-other")) return showTransferPick();
    const force = e.target.closest("#transfer-force");
    if (force) return transferTo({ counter: Number(force.dataset.counter) }, true);
    const button = e.target.closest("button[data-field], button[data-counter]");
    if (!button) return;
    transferTo(button.dataset.field ? { field: button.dataset.field } : { counter: Number(button.dataset.counter) });
  });
  $("counter-confirm").addEventListener("close", confirmLastCounter);
  const resultDialog = $("result-dialog");
  $("result-form").addEventListener("submit", submitResult);
  $("result-printer").addEventListener("change", (e) => showPrinterState($("result-printer-state"), e.target.value));
  $("btn-served").addEventListener("click", openServed);
  $("served-dialog").addEventListener("click", (e) => {
    const button = e.target.closest("button[data-served]");
    if (button) pickupForServed(button);
  });
  const postponeDialog = $("postpone-dialog");
  $("btn-postpone").addEventListener("click", openPostpone);
  $("postpone-form").addEventListener("submit", submitPostpone);
  $("postpone-find").addEventListener("click", findPostpone);
  $("postpone-code").addEventListener("input", () => {
    postpone.booking = null;
    $("postpone-submit").disabled = true;
  });
  // Enter in the code finds the dossier (the form's own submit stays off until then).
  $("postpone-code").addEventListener("keydown", (e) => {
    if (e.key !== "Enter") return;
    e.preventDefault();
    findPostpone();
  });
  $("postpone-days").addEventListener("input", previewPostpone);
  $("postpone-printer").addEventListener("change", (e) => showPrinterState($("postpone-printer-state"), e.target.value));
  postponeDialog.addEventListener("click", (e) => {
    if (e.target.closest("[data-close]")) postponeDialog.close();
  });
  document.addEventListener("click", (e) => {
    const button = e.target.closest("button[data-print-cancel]");
    if (button) cancelPrint(button.dataset.printCancel);
  });
  $("result-phone").addEventListener("blur", phoneProblem);
  resultDialog.addEventListener("click", (e) => {
    if (e.target.closest("[data-close]")) resultDialog.close();
  });
  const stream = new OfficeStream(cfg.office, {
    heartbeatS: cfg.heartbeat_s,
    onSnapshot: (snap) => applySnapshot(snap),
    onEvent: (msg) => applyEvent(msg),
    onStatus: (online) => {
      $("online").hidden = online;
      document.body.dataset.online = online ? "1" : "0";
    },
  });
  stream.start();
  loadToday();
  setInterval(() => {
    renderTimer();
    tickWaited();
  }, 1000);
}

main();
