// The console's live floor: re-renders the server's floor fragment whenever the office's
// event stream moves (the session cookie makes this a staff socket), at most every 300 ms,
// and once a minute so waiting times keep growing on a quiet floor.
import { OfficeStream } from "/static/realtime.js";

const root = document.getElementById("floor");
if (root) {
  const office = root.dataset.office;
  const live = document.getElementById("live");
  const liveText = document.getElementById("live-text");
  let pending = null;
  let inFlight = false;
  let again = false;

  async function refresh() {
    if (inFlight) { again = true; return; }
    inFlight = true;
    try {
      const res = await fetch(`/manage/${encodeURIComponent(office)}/floor`, {
        credentials: "same-origin", headers: { Accept: "text/html" },
      });
      if (res.ok) {
        root.innerHTML = await res.text();
        root.dataset.updated = String(Date.now());
      } else if (res.redirected || res.status === 403) {
        location.reload();
      }
    } catch (err) {
      // The socket's status shows the outage; the next event refreshes again.
    } finally {
      inFlight = false;
      if (again) { again = false; schedule(); }
    }
  }

  function schedule() {
    if (pending) return;
    pending = setTimeout(() => { pending = null; refresh(); }, 300);
  }

  const stream = new OfficeStream(office, {
    heartbeatS: Number(root.dataset.heartbeat) || 10,
    onSnapshot: schedule,
    onEvent: schedule,
    onStatus: (online) => {
      live.classList.toggle("on", online);
      liveText.textContent = online ? root.dataset.online : root.dataset.offline;
    },
  });
  stream.start();
  setInterval(schedule, 60_000);
}
