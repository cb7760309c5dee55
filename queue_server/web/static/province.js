// The province's live table: the rows of /ws/province replace the offices' rows (the
// server renders them, as for the page), the sort chosen is kept, and between rows the
// longest waits keep growing and an office is marked once a wait passes its target.
import { makeSortable, sortRows } from "/static/sortable.js";

const table = document.getElementById("province-offices");
if (table) {
  const live = document.getElementById("live");
  const liveText = document.getElementById("live-text");
  const heartbeatS = Number(table.dataset.heartbeat) || 10;
  // Server time minus this browser's: waits are measured on the server's clock.
  let skew = Number(table.dataset.now) - Date.now();
  let socket = null;
  let backoff = 500;
  let lastMessageAt = 0;

  makeSortable(table);

  function setOnline(online) {
    live.classList.toggle("on", online);
    liveText.textContent = online ? table.dataset.online : table.dataset.offline;
  }

  function waitText(seconds) {
    if (seconds < 60) return table.dataset.underMinute;
    return `${Math.floor(seconds / 60)} ${table.dataset.minutes}`;
  }

  function tick() {
    const now = Date.now() + skew;
    for (const row of table.tBodies[0].rows) {
      const longest = row.querySelector("[data-col=longest][data-since]");
      if (longest) {
        const seconds = Math.max(0, Math.floor((now - Number(longest.dataset.since)) / 1000));
        longest.dataset.value = String(seconds);
        longest.textContent = waitText(seconds);
      }
      const at = Number(row.dataset.overdueAt);
      const overdue = Boolean(at) && now > at;
      row.classList.toggle("pv-overdue", overdue);
      row.querySelector("[data-mark]").hidden = !overdue;
    }
  }

  function apply(message) {
    const template = document.createElement("template");
    template.innerHTML = message.html.trim();
    const fresh = template.content.firstElementChild;
    const old = table.querySelector(`tbody tr[data-office="${CSS.escape(message.row.office)}"]`);
    if (old) old.replaceWith(fresh);
    else table.tBodies[0].append(fresh);
  }

  function receive(message) {
    if (message.now_ms) skew = message.now_ms - Date.now();
    if (message.type === "snapshot") {
      const seen = new Set(message.rows.map((m) => m.row.office));
      for (const row of [...table.tBodies[0].rows]) {
        if (!seen.has(row.dataset.office)) row.remove();
      }
      message.rows.forEach(apply);
    } else if (message.type === "office") {
      apply(message);
    } else {
      return;
    }
    tick();
    sortRows(table);
    table.dataset.updated = String(Date.now());
  }

  function connect() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${proto}//${location.host}/ws/province`);
    socket = ws;
    lastMessageAt = Date.now();
    ws.onmessage = (e) => {
      if (ws !== socket) return;
      lastMessageAt = Date.now();
      backoff = 500;
      setOnline(true);
      receive(JSON.parse(e.data));
    };
    ws.onclose = (e) => {
      if (ws !== socket) return;
      socket = null;
      setOnline(false);
      // Logged out or no longer an admin: the page itself says why.
      if (e.code === 4401 || e.code === 4403) { location.reload(); return; }
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 10000);
    };
    ws.onerror = () => ws.close();
  }

  setInterval(() => {
    if (socket && socket.readyState === WebSocket.OPEN) {
      const silent = Date.now() - lastMessageAt;
      if (silent > heartbeatS * 2500) {
        // A dead network often leaves the socket "open": drop it and reconnect.
        const dead = socket;
        socket = null;
        setOnline(false);
        dead.close();
        setTimeout(connect, backoff);
      } else if (silent > heartbeatS * 1000) {
        socket.send('{"type":"ping"}');
      }
    }
  }, 1000);
  setInterval(() => { tick(); sortRows(table); }, 15_000);
  tick();
  connect();
}
