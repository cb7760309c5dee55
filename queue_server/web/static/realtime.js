// The office event stream over WebSocket, as every screen uses it.
//
// Keeps the id of the last event applied; reconnects by itself with ?since=<that id>, so
// the server sends exactly what was missed (or a fresh snapshot when that is too old).
// Heartbeat both ways: a ping every `heartbeatS`; silence for 2.5 heartbeats counts as
// offline and forces a reconnect. Events arrive in order and never twice.

export function compareIds(a, b) {
  const [am, as] = a.split("-").map(BigInt);
  const [bm, bs] = b.split("-").map(BigInt);
  if (am !== bm) return am < bm ? -1 : 1;
  if (as !== bs) return as < bs ? -1 : 1;
  return 0;
}

export class OfficeStream {
  /**
   * @param {string} office slug
   * @param {{onSnapshot: Function, onEvent: Function, onStatus?: Function,
   *          heartbeatS?: number, token?: string, path?: string}} options
   */
  constructor(office, options) {
    this.office = office;
    this.options = options;
    this.heartbeatS = options.heartbeatS || 10;
    this.lastId = null;
    this.online = false;
    this.socket = null;
    this.backoff = 500;
    this.lastMessageAt = 0;
    this.stopped = false;
    this.timer = null;
  }

  url() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const params = new URLSearchParams();
    if (this.lastId) params.set("since", this.lastId);
    if (this.options.token) params.set("token", this.options.token);
    const path = this.options.path || `/ws/offices/${encodeURIComponent(this.office)}`;
    const query = params.toString();
    return `${proto}//${location.host}${path}${query ? "?" + query : ""}`;
  }

  start() {
    this.stopped = false;
    this.connect();
    this.timer = setInterval(() => this.tick(), 1000);
  }

  stop() {
    this.stopped = true;
    clearInterval(this.timer);
    if (this.socket) this.socket.close();
  }

  setOnline(online) {
    if (online === this.online) return;
    this.online = online;
    if (this.options.onStatus) this.options.onStatus(online);
  }

  connect() {
    if (this.stopped) return;
    let socket;
    try {
      socket = new WebSocket(this.url());
    } catch (err) {
      this.retry();
      return;
    }
    this.socket = socket;
    this.lastMessageAt = Date.now();
    socket.onmessage = (e) => {
      if (socket !== this.socket) return;
      this.lastMessageAt = Date.now();
      this.backoff = 500;
      this.setOnline(true);
      this.receive(JSON.parse(e.data));
    };
    socket.onclose = () => {
      if (socket !== this.socket) return;
      this.socket = null;
      this.setOnline(false);
      this.retry();
    };
    socket.onerror = () => socket.close();
  }

  retry() {
    if (this.stopped) return;
    const wait = this.backoff;
    this.backoff = Math.min(this.backoff * 2, 10000);
    setTimeout(() => this.connect(), wait);
  }

  tick() {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return;
    const silent = Date.now() - this.lastMessageAt;
    if (silent > this.heartbeatS * 2500) {
      // A dead network often leaves the socket "open": drop it and reconnect.
      this.setOnline(false);
      this.socket = null;
      socket.close();
      this.retry();
    } else if (silent > this.heartbeatS * 1000) {
      socket.send('{"type":"ping"}');
    }
  }

  receive(msg) {
    if (msg.type === "ping" || msg.type === "pong") return;
    if (msg.type === "snapshot") {
      this.lastId = msg.id;
      this.options.onSnapshot(msg.data, msg);
      return;
    }
    if (this.lastId && compareIds(msg.id, this.lastId) <= 0) return;
    this.lastId = msg.id;
    this.options.onEvent(msg);
  }
}
