// The TV board: the current call of each counter, the last calls, and a highlighted,
// announced call. Runs for days without a reload: every list is bounded, every DOM node is
// reused or removed, and the stream reconnects and catches up by itself.
//
// It follows the manager's changes live: on `office.config_changed` (and after every
// snapshot, which may follow an outage that hid one) it fetches /board/{office}/layout and
// adds, renames or removes counter tiles and the fields they serve, without a reload.
//
// Diagnostics for tests and for a technician with a remote console: `window.__board`
// ({announced, started, stream}) and the DOM events "board:start" / "board:announced".

import { OfficeStream, compareIds } from "/static/realtime.js";
import { Announcer, audioContext, isSuspended, onAudioStateChange, unlock } from "./voice.js";

const settings = JSON.parse(document.getElementById("board-settings").textContent);
const texts = JSON.parse(document.getElementById("board-texts").textContent);

// A call that reaches the board later than this (after a long disconnection) is shown but
// not announced: the citizen has gone to the counter or given up, and a stale voice call
// would send the next person to the wrong place.
const FRESH_MS = 60_000;
// A board switched on or reloaded just after a call still says it to the hall: a call of
// the snapshot it opens with is announced when it is younger than this and its citizen has
// not reached the counter yet (the counter still calls that number). 30 s is about the time
// a called citizen takes to get up and walk to the counter; an older call has been said by
// the other boards and the counter recalls it if nobody came. Never twice on one board:
// `heard` (and, across a reload of the same tab, sessionStorage) keeps the calls it queued.
const OPENING_MS = 30_000;
const HOLD_MS = 1500; // the strip stays lit this long after the last announcement
const SILENT_MS = 6000; // how long a call is highlighted when the board does not speak
const SILENT_BACKLOG_MS = 300;
const SILENT_QUEUE = 10;
const SAY_CACHE = 64;
const SAY_TTL_MS = 10 * 60_000;
const LOG_LIMIT = 100;
const DONE = new Set(["done", "no_show", "cancelled"]);

// null: every counter of the office, also one the manager adds while the board is open.
const subset = settings.subset ? new Set(settings.subset) : null;
const shows = (counter) => !subset || subset.has(counter);
const board = { announced: [], started: [], stream: null, announcer: null };
window.__board = board;

// The page carries the server's time: the clock and the freshness test use it, so a board
// whose own clock is wrong still shows the right time and announces live calls.
let clockOffset = settings.nowMs - Date.now();
const serverNow = () => Date.now() + clockOffset;
const eventMs = (id) => Number(String(id).split("-")[0]);

// ---- counters -----------------------------------------------------------------------

// Every counter's state, also of one without a tile (yet): a tile added later shows it.
const states = new Map();
function stateOf(counter) {
  if (!states.has(counter)) states.set(counter, { status: "closed", current: null, ticketStatus: null });
  return states.get(counter);
}

const tiles = new Map();
const countersEl = document.getElementById("counters");

function tileOf(el) {
  const part = (name) => el.querySelector(`.${name}`);
  return {
    el,
    name: part("tile-name"),
    fields: part("tile-fields"),
    number: part("tile-number"),
    status: part("tile-status"),
  };
}

for (const el of document.querySelectorAll(".tile")) tiles.set(Number(el.dataset.counter), tileOf(el));

function newTile(counter) {
  const el = document.createElement("article");
  el.className = "tile";
  el.dataset.counter = String(counter);
  el.dataset.state = "closed";
  const p = (tag, className) => Object.assign(document.createElement(tag), { className });
  el.append(p("h2", "tile-name"), p("p", "tile-fields"), p("p", "tile-number empty"), p("p", "tile-status"));
  return tileOf(el);
}

function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

function renderTile(counter) {
  const tile = tiles.get(counter);
  if (!tile) return;
  const { status, current, ticketStatus } = stateOf(counter);
  let state = status;
  if (status === "open" && current) state = ticketStatus === "serving" ? "serving" : "called";
  tile.el.dataset.state = state;
  setText(tile.number, current || texts["board.none"]);
  tile.number.classList.toggle("empty", !current);
  setText(tile.status, texts[`board.status.${state}`] ?? "");
}

function updateTile(counter, change) {
  Object.assign(stateOf(counter), change);
  renderTile(counter);
}

// ---- the office's layout, as the manager has it now ----------------------------------

const officeName = document.querySelector(".office-name");

/** Tiles are kept by counter number and only their texts change; a counter added gets a
 * tile in the office's order, a counter removed loses its tile; the grid follows. */
function applyLayout(layout) {
  setText(officeName, layout.office);
  const old = new Map(tiles);
  tiles.clear();
  layout.counters.forEach((c, i) => {
    const tile = old.get(c.number) || newTile(c.number);
    old.delete(c.number);
    tiles.set(c.number, tile);
    setText(tile.name, c.name);
    setText(tile.fields, c.fields);
    if (countersEl.children[i] !== tile.el) countersEl.insertBefore(tile.el, countersEl.children[i] || null);
    renderTile(c.number);
  });
  for (const tile of old.values()) tile.el.remove();
  countersEl.style.setProperty("--cols", String(layout.cols));
  countersEl.style.setProperty("--rows", String(layout.rows));
}

let layoutTimer = null;
function scheduleLayout(delay = 0) {
  clearTimeout(layoutTimer);
  layoutTimer = setTimeout(fetchLayout, delay);
}

async function fetchLayout() {
  const query = new URLSearchParams({ lang: settings.lang });
  if (subset) query.set("counters", settings.subset.join(","));
  try {
    const response = await fetch(`/board/${encodeURIComponent(settings.office)}/layout?${query}`);
    if (!response.ok) throw new Error(`layout: ${response.status}`);
    applyLayout(await response.json());
  } catch (error) {
    console.warn("board layout:", error);
    scheduleLayout(5000);
  }
}

// ---- last calls ---------------------------------------------------------------------

const recentList = document.getElementById("recent-list");

function recentItem(call) {
  const li = document.createElement("li");
  li.className = "recent-item";
  li.dataset.key = call.key;
  const number = document.createElement("span");
  number.className = "recent-number";
  number.textContent = call.number;
  const counter = document.createElement("span");
  counter.className = "recent-counter";
  counter.textContent = `${texts["board.counter"]} ${call.counter}`;
  li.append(number, counter);
  if (call.recall) {
    const tag = document.createElement("span");
    tag.className = "recent-recall";
    tag.textContent = texts["board.recall"];
    li.append(tag);
  }
  return li;
}

function addRecent(call) {
  recentList.prepend(recentItem(call));
  while (recentList.children.length > settings.recent) recentList.lastElementChild.remove();
}

function resetRecent(calls) {
  recentList.replaceChildren(...calls.slice(0, settings.recent).map(recentItem));
}

// ---- the highlighted call -----------------------------------------------------------

const strip = document.getElementById("call-strip");
const stripNumber = document.getElementById("strip-number");
const stripCounter = document.getElementById("strip-counter");
let idleTimer = null;

function highlight(call) {
  clearTimeout(idleTimer);
  stripNumber.textContent = call.number;
  stripCounter.textContent = `${texts["board.counter"]} ${call.counter}`;
  strip.dataset.state = "call";
  // Restart the flash for every call, also for the same number called again.
  strip.classList.remove("flash");
  void strip.offsetWidth;
  strip.classList.add("flash");
  for (const el of document.querySelectorAll(".calling")) el.classList.remove("calling");
  tiles.get(call.counter)?.el.classList.add("calling");
  recentList.querySelector(`[data-key="${CSS.escape(call.key)}"]`)?.classList.add("calling");
}

function unhighlightSoon() {
  clearTimeout(idleTimer);
  idleTimer = setTimeout(() => {
    strip.dataset.state = "idle";
    strip.classList.remove("flash");
    for (const el of document.querySelectorAll(".calling")) el.classList.remove("calling");
  }, HOLD_MS);
}

function log(list, entry, type) {
  entry.t = performance.now();
  list.push(entry);
  if (list.length > LOG_LIMIT) list.shift();
  document.dispatchEvent(new CustomEvent(type, { detail: entry }));
}

// ---- announcing ---------------------------------------------------------------------

const announcer =
  settings.voice === "off"
    ? null
    : new Announcer({ chime: settings.chime, preferBrowserVoice: settings.voice === "browser" });
board.announcer = announcer;
const startScreen = document.getElementById("start-screen");

if (announcer) {
  announcer.addEventListener("start", (e) => {
    highlight(e.detail.call);
    log(board.started, { ...e.detail.call.info, mode: e.detail.mode }, "board:start");
  });
  announcer.addEventListener("end", (e) => {
    const { call, mode, ok } = e.detail;
    log(board.announced, { ...call.info, mode, ok }, "board:announced");
    // `pending` still counts the call that just ended.
    if (announcer.pending <= 1) unhighlightSoon();
  });
  announcer.addEventListener("blocked", showStartScreen);
  announcer.addEventListener("error", (e) => console.warn("board voice:", e.detail.error));
}

const sayCache = new Map();

function fetchSay(number, counter) {
  const key = `${number}|${counter}`;
  const hit = sayCache.get(key);
  if (hit && serverNow() - hit.at < SAY_TTL_MS) return hit.promise;
  const query = new URLSearchParams({ number, counter: String(counter) });
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 4000);
  const promise = fetch(`/voice/${encodeURIComponent(settings.office)}/say?${query}`, {
    signal: controller.signal,
  })
    .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
    .then((said) => {
      clockOffset = said.now - Date.now();
      if (announcer && said.chime) announcer.chime = said.chime;
      return said;
    })
    .finally(() => clearTimeout(timer));
  // Without the words the call still gets its chime and highlight; ask again next time.
  const safe = promise.catch(() => {
    if (sayCache.get(key)?.promise === safe) sayCache.delete(key);
    return null;
  });
  sayCache.delete(key);
  sayCache.set(key, { at: serverNow(), promise: safe });
  if (sayCache.size > SAY_CACHE) sayCache.delete(sayCache.keys().next().value);
  return safe;
}

// Fetches start at once and run in parallel; enqueueing waits in line, so calls are
// announced in the order they arrived even when a later fetch answers first.
let voiceLine = Promise.resolve();
const silentQueue = [];
let silentRunning = false;

const HEARD_KEY = `sothutu.board.heard.${settings.office}`;
const heard = new Set();
let lastHeard = sessionStorage.getItem(HEARD_KEY) || "0-0";

function markHeard(key) {
  heard.add(key);
  if (heard.size > 100) heard.delete(heard.values().next().value);
  if (compareIds(key, lastHeard) > 0) {
    lastHeard = key;
    sessionStorage.setItem(HEARD_KEY, key);
  }
}

function announce(call) {
  if (heard.has(call.key)) return;
  markHeard(call.key);
  const info = { number: call.number, counter: call.counter, recall: call.recall, key: call.key };
  if (!announcer || startScreenShown) {
    silentQueue.push(info);
    // Without a voice the highlight is only a pointer to the list, which keeps every call:
    // a board that falls far behind skips old highlights rather than queue them for hours.
    const excess = silentQueue.length - SILENT_QUEUE;
    if (excess > 0) silentQueue.splice(0, excess);
    if (!silentRunning) runSilent();
    return;
  }
  const said = fetchSay(call.number, call.counter);
  voiceLine = voiceLine.then(async () => {
    const words = await said;
    announcer.enqueue({
      number: call.number,
      counter: call.counter,
      key: call.key,
      info,
      words: words?.clips ?? [],
      text: words?.speech ?? "",
    });
  });
}

async function runSilent() {
  silentRunning = true;
  while (silentQueue.length > 0) {
    const info = silentQueue.shift();
    highlight(info);
    log(board.started, { ...info, mode: "silent" }, "board:start");
    // A silent board behind by several calls shows each briefly; they are all listed anyway.
    const ms = silentQueue.length > 2 ? SILENT_BACKLOG_MS : SILENT_MS;
    await new Promise((resolve) => setTimeout(resolve, ms));
    log(board.announced, { ...info, mode: "silent", ok: true }, "board:announced");
  }
  silentRunning = false;
  unhighlightSoon();
}

async function preloadClips(attempt = 0) {
  if (!announcer || settings.voice !== "clips") return;
  try {
    const response = await fetch(`/voice/${encodeURIComponent(settings.office)}/manifest.json`);
    const manifest = await response.json();
    if (manifest.ready) {
      const urls = Object.values(manifest.clips).map((c) => c.url);
      await announcer.preload([manifest.chime.url, ...urls]);
      return;
    }
  } catch (error) {
    console.warn("board voice: no manifest yet", error);
  }
  // The server builds the default clips at its start: look again a little later.
  if (attempt < 40) setTimeout(() => preloadClips(attempt + 1), 15_000);
}

// ---- sound without a touch ----------------------------------------------------------

let startScreenShown = false;

function showStartScreen() {
  if (startScreenShown) return;
  startScreenShown = true;
  startScreen.hidden = false;
  startScreen.focus();
}

function hideStartScreen() {
  startScreenShown = false;
  startScreen.hidden = true;
}

async function onStartTouch() {
  if (await unlock()) hideStartScreen();
}

startScreen.addEventListener("click", onStartTouch);
startScreen.addEventListener("keydown", onStartTouch);
onAudioStateChange((state) => {
  if (state === "running") hideStartScreen();
});

async function checkAudio() {
  if (!announcer) return;
  const ctx = audioContext();
  if (ctx && ctx.state !== "running") {
    await Promise.race([ctx.resume(), new Promise((resolve) => setTimeout(resolve, 500))]);
  }
  if (isSuspended()) showStartScreen();
}

// ---- the event stream ---------------------------------------------------------------

function onSnapshot(data) {
  const seen = new Set();
  for (const c of data.counters) {
    const number = Number(c.number);
    seen.add(number);
    updateTile(number, {
      status: c.status,
      current: c.current_number || null,
      ticketStatus: c.current_status || null,
    });
  }
  for (const number of states.keys()) {
    if (!seen.has(number)) updateTile(number, { status: "closed", current: null });
  }
  const calls = data.recent_calls
    .map((c) => ({
      key: c.event,
      number: c.number,
      counter: Number(c.counter),
      recall: Boolean(c.recall),
      at: Number(c.at) || eventMs(c.event),
    }))
    .filter((c) => shows(c.counter));
  resetRecent(calls);
  // The message up now: a board that (re)loads gets it here, not from an old event.
  showMessage(data.message || {});
  announceOpening(calls, data.counters);
  // A manager's change made while this board was away or loading comes with no event.
  scheduleLayout();
}

/** The calls a board opening now still announces (OPENING_MS), oldest first: the newest
 * call of each counter that still calls that number, unless this board said it already. */
function announceOpening(calls, snapshotCounters) {
  const now = serverNow();
  const counters = new Map(snapshotCounters.map((c) => [Number(c.number), c]));
  const due = new Map();
  for (const call of calls) {
    if (due.has(call.counter)) continue; // newest first: an older call of that counter
    const counter = counters.get(call.counter);
    due.set(
      call.counter,
      now - call.at < OPENING_MS &&
        !heard.has(call.key) &&
        compareIds(call.key, lastHeard) > 0 &&
        counter?.current_number === call.number &&
        counter?.current_status === "called"
        ? call
        : null,
    );
  }
  const fresh = [...due.values()].filter(Boolean);
  fresh.sort((a, b) => compareIds(a.key, b.key));
  for (const call of fresh) announce(call);
}

function onEvent(msg) {
  const d = msg.data || {};
  switch (msg.type) {
    case "ticket.called":
    case "ticket.recalled": {
      const counter = Number(d.counter);
      if (!shows(counter)) return;
      if (!tiles.has(counter)) scheduleLayout(); // a counter added a moment ago
      const recall = msg.type === "ticket.recalled";
      const call = { key: msg.id, number: d.number, counter, recall };
      updateTile(counter, { status: "open", current: d.number, ticketStatus: "called" });
      addRecent(call);
      if (serverNow() - eventMs(msg.id) < FRESH_MS) announce(call);
      return;
    }
    case "ticket.started":
      for (const [counter, state] of states) {
        if (state.current === d.number) updateTile(counter, { ticketStatus: "serving" });
      }
      return;
    case "ticket.finished":
    case "ticket.no_show":
    case "ticket.cancelled":
    case "ticket.transferred":
      // A transferred ticket waits again elsewhere; the others have left the counter.
      if (!DONE.has(d.status) && msg.type !== "ticket.transferred") return;
      for (const [counter, state] of states) {
        if (state.current !== d.number) continue;
        updateTile(counter, { current: null, ticketStatus: null });
      }
      return;
    case "counter.opened":
    case "counter.paused":
    case "counter.closed":
      updateTile(Number(d.number), {
        status: d.status,
        current: d.current_number || null,
        ticketStatus: d.current_status || null,
      });
      return;
    case "office.day_started":
      for (const [number] of states) updateTile(number, { current: null, ticketStatus: null });
      resetRecent([]);
      return;
    case "board.message":
      showMessage(d);
      return;
    case "office.config_changed":
      scheduleLayout();
      return;
    default:
  }
}

// ---- the manager's message (console: /manage/{office}) --------------------------------
// A band under the header until `until_ms` (server time); an empty text takes it down.
// It comes in the snapshot (`message`, null when none is up) and as `board.message` events.

let messageTimer = null;
function showMessage(d) {
  let el = document.getElementById("board-message");
  clearTimeout(messageTimer);
  const left = Number(d.until_ms || 0) - serverNow();
  const show = Boolean(d.text) && left > 0;
  if (!el && !show) return;
  if (!el) {
    el = document.createElement("div");
    el.id = "board-message";
    el.setAttribute("role", "status");
    Object.assign(el.style, {
      alignItems: "center", justifyContent: "center", padding: "0 3vh", fontSize: "3.6vh",
      fontWeight: "700", background: "#b3261e", color: "#fff", overflow: "hidden",
    });
    document.querySelector(".board-head").after(el);
  }
  setText(el, show ? d.text : "");
  el.style.display = show ? "flex" : "none";
  document.body.style.gridTemplateRows = show ? "11vh 8vh 1fr 23vh" : "";
  if (show) messageTimer = setTimeout(() => showMessage({}), Math.min(left, 2 ** 31 - 1));
}

const offline = document.getElementById("offline");
const stream = new OfficeStream(settings.office, {
  onSnapshot,
  onEvent,
  onStatus: (online) => {
    offline.hidden = online;
  },
  heartbeatS: settings.heartbeatS,
  token: settings.token || undefined,
});
board.stream = stream;
stream.start();
// A board started while the server is down never hears "online": show the mark anyway.
setTimeout(() => {
  if (!stream.online) offline.hidden = false;
}, 3000);

// ---- clock --------------------------------------------------------------------------

const clockTime = document.getElementById("clock-time");
const clockDate = document.getElementById("clock-date");
const weekdays = texts["board.weekdays"].split(",");
const WEEKDAY_INDEX = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };
const clockFormat = new Intl.DateTimeFormat("en-GB", {
  timeZone: settings.timezone,
  hourCycle: "h23",
  hour: "2-digit",
  minute: "2-digit",
  day: "2-digit",
  month: "2-digit",
  year: "numeric",
  weekday: "short",
});

function tickClock() {
  const parts = Object.fromEntries(
    clockFormat.formatToParts(new Date(serverNow())).map((p) => [p.type, p.value]),
  );
  setText(clockTime, `${parts.hour}:${parts.minute}`);
  const weekday = weekdays[WEEKDAY_INDEX[parts.weekday]];
  setText(clockDate, `${weekday}, ${parts.day}/${parts.month}/${parts.year}`);
}

tickClock();
setInterval(tickClock, 1000);
checkAudio();
preloadClips();
