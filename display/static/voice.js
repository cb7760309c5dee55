// The board's announcer: a chime, then "Mời công dân có số A 0 1 2 đến quầy số 3", either as
// per-word clips joined back to back with WebAudio, or spoken by a Vietnamese browser voice
// when the device has one and the office prefers it.
//
//   import { Announcer, unlock, isSuspended } from "/static/display/voice.js";
//   const announcer = new Announcer({ chime: "/voice/chime.wav", preferBrowserVoice: false });
//   announcer.addEventListener("start", (e) => highlight(e.detail.call));
//   announcer.addEventListener("end", (e) => unhighlight(e.detail.call));
//   const { started, ended } = announcer.enqueue({ number: "A012", counter: 3, words, text });
//
// Calls play strictly in the order they were enqueued, each one to its end: several calls
// arriving together wait their turn, and a recall is simply enqueued again. Nothing is ever
// dropped unless the page calls clear().

const VIETNAMESE = /^vi(?:[-_]|$)/i;

const audioEvents = new EventTarget();
let sharedContext = null;

/** The page's one AudioContext, or null where the browser has no WebAudio. */
export function audioContext() {
  if (sharedContext === null) {
    const Context = globalThis.AudioContext ?? globalThis.webkitAudioContext;
    if (!Context) return null;
    sharedContext = new Context({ latencyHint: "playback" });
    sharedContext.addEventListener("statechange", () => {
      audioEvents.dispatchEvent(new CustomEvent("statechange", { detail: sharedContext.state }));
    });
  }
  return sharedContext;
}

/** True while the browser's autoplay policy keeps audio from playing (no user gesture yet).
 *  A board shows a "Chạm để bật âm thanh" (touch to enable sound) overlay while it is. */
export function isSuspended() {
  const ctx = audioContext();
  return ctx !== null && ctx.state !== "running";
}

/** Call `listener(state)` whenever the audio state changes ("running", "suspended", …).
 *  Returns a function that removes the listener. */
export function onAudioStateChange(listener) {
  const handler = (event) => listener(event.detail);
  audioEvents.addEventListener("statechange", handler);
  return () => audioEvents.removeEventListener("statechange", handler);
}

/** Lift the autoplay block. Call it from a user gesture (a tap or key press on a start
 *  screen): it resumes the AudioContext, plays one silent sample, and primes speech
 *  synthesis, all of which browsers only allow inside a gesture. Resolves to true when
 *  audio can play. */
export async function unlock() {
  const ctx = audioContext();
  if (globalThis.speechSynthesis && globalThis.SpeechSynthesisUtterance) {
    const silent = new SpeechSynthesisUtterance(" ");
    silent.volume = 0;
    speechSynthesis.speak(silent);
  }
  if (ctx === null) {
    audioEvents.dispatchEvent(new CustomEvent("statechange", { detail: "running" }));
    return true;
  }
  const source = ctx.createBufferSource();
  source.buffer = ctx.createBuffer(1, 1, ctx.sampleRate);
  source.connect(ctx.destination);
  source.start();
  await withTimeout(ctx.resume(), 1000);
  return ctx.state === "running";
}

/** Resolves once the browser has listed its voices (Chrome fills the list asynchronously). */
export function loadVoices(timeoutMs = 1500) {
  const synth = globalThis.speechSynthesis;
  if (!synth) return Promise.resolve([]);
  const voices = synth.getVoices();
  if (voices.length > 0) return Promise.resolve(voices);
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      synth.removeEventListener("voiceschanged", done);
      resolve(synth.getVoices());
    };
    const timer = setTimeout(done, timeoutMs);
    synth.addEventListener("voiceschanged", done);
  });
}

/** The device's Vietnamese voice, or null. A voice that needs the network (Chrome's
 *  "Google Tiếng Việt" on desktop) is only taken with `allowRemote`, since offices are
 *  often offline and such a voice then fails silently. */
export function vietnameseVoice(voices, { allowRemote = false } = {}) {
  const vi = voices.filter((v) => VIETNAMESE.test(v.lang));
  return vi.find((v) => v.localService) ?? (allowRemote ? (vi[0] ?? null) : null);
}

export class Announcer extends EventTarget {
  #queue = [];
  #running = false;
  #buffers = new Map();
  #gain = null;
  #utterance = null;
  #voice = undefined;

  /**
   * Events, each with `detail.call` (the object given to enqueue):
   *   "start"   an announcement begins (detail.mode: "clips", "speech" or "chime")
   *   "end"     it has finished playing (detail.ok: false if a clip or the voice failed)
   *   "blocked" it waits for unlock(): the browser blocks autoplay
   *   "error"   a clip could not be loaded or the voice failed (detail.url, detail.error)
   *   "idle"    the queue is empty
   */
  constructor({
    chime = null,
    preferBrowserVoice = false,
    allowRemoteVoice = false,
    volume = 1,
    gapSeconds = 0.03,
    afterChimeSeconds = 0.2,
    speechRate = 0.9,
  } = {}) {
    super();
    this.chime = chime;
    this.preferBrowserVoice = preferBrowserVoice;
    this.allowRemoteVoice = allowRemoteVoice;
    this.gapSeconds = gapSeconds;
    this.afterChimeSeconds = afterChimeSeconds;
    this.speechRate = speechRate;
    this.volume = volume;
    // A voice installed or listed late is picked up at the next call.
    globalThis.speechSynthesis?.addEventListener("voiceschanged", () => {
      this.#voice = undefined;
    });
    if (preferBrowserVoice) this.#browserVoice();
  }

  /** Announcements waiting or playing. */
  get pending() {
    return this.#queue.length;
  }

  /** The call being announced now, or null. */
  get current() {
    return this.#running && this.#queue.length > 0 ? this.#queue[0].call : null;
  }

  /**
   * Queue one announcement: `{number, counter, words, text}`, where `words` are the clip
   * URLs in order and `text` the sentence for a browser voice; either may be missing.
   * Returns `{started, ended}`, two promises that resolve when this announcement starts and
   * when it has finished (ended resolves to `{call, mode, ok}`; neither ever rejects).
   */
  enqueue(call) {
    const item = { call };
    item.started = new Promise((resolve) => (item.onStart = resolve));
    item.ended = new Promise((resolve) => (item.onEnd = resolve));
    this.#queue.push(item);
    for (const url of [this.chime, ...(call.words ?? [])]) if (url) this.#load(url);
    this.#drain();
    return { started: item.started, ended: item.ended };
  }

  /** Drop the announcements still waiting (not the one playing); their `ended` resolves
   *  with `ok: false, mode: "skipped"`. */
  clear() {
    const waiting = this.#queue.splice(this.#running ? 1 : 0);
    for (const item of waiting) item.onEnd({ call: item.call, mode: "skipped", ok: false });
  }

  /** Fetch and decode clips ahead of the first call (e.g. the whole vocabulary at start). */
  preload(urls) {
    return Promise.allSettled(urls.map((url) => this.#load(url)));
  }

  /** Forget decoded clips, so replaced recordings are fetched again. */
  forget() {
    this.#buffers.clear();
  }

  async #drain() {
    if (this.#running) return;
    this.#running = true;
    try {
      while (this.#queue.length > 0) {
        const item = this.#queue[0];
        await this.#announce(item);
        this.#queue.shift();
      }
    } finally {
      this.#running = false;
    }
    this.#emit("idle", {});
  }

  async #announce(item) {
    const { call } = item;
    const voice = call.text && this.preferBrowserVoice ? await this.#browserVoice() : null;
    const words = call.words ?? [];
    let mode = voice ? "speech" : words.length > 0 ? "clips" : "chime";
    if (mode === "chime" && call.text) {
      // No clips given: a Vietnamese voice is better than the chime alone.
      const fallback = await this.#browserVoice();
      if (fallback) mode = "speech";
    }
    await this.#audible(call);
    item.onStart(call);
    this.#emit("start", { call, mode });
    let ok = true;
    try {
      if (mode === "speech") {
        await this.#playClips([this.chime].filter(Boolean), 0);
        ok = await this.#speak(call.text, voice ?? (await this.#browserVoice()), call);
        // The voice failed (engine busy, voice removed): say it with the clips instead.
        if (!ok && words.length > 0) ok = await this.#playClips(words, 0);
      } else {
        const chime = this.chime ? [this.chime] : [];
        ok = await this.#playClips([...chime, ...words], chime.length);
      }
    } catch (error) {
      ok = false;
      this.#emit("error", { call, error });
    }
    const result = { call, mode, ok };
    this.#emit("end", result);
    item.onEnd(result);
  }

  // Wait until the browser lets audio play, telling the page so it can ask for a tap.
  async #audible(call) {
    const ctx = audioContext();
    if (ctx === null || ctx.state === "running") return;
    await withTimeout(ctx.resume(), 300);
    if (ctx.state === "running") return;
    this.#emit("blocked", { call });
    await new Promise((resolve) => {
      const stop = onAudioStateChange((state) => {
        if (state === "running") {
          stop();
          resolve();
        }
      });
    });
  }

  #load(url) {
    let promise = this.#buffers.get(url);
    if (promise === undefined) {
      const ctx = audioContext();
      promise = fetch(url)
        .then((response) => {
          if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
          return response.arrayBuffer();
        })
        .then((bytes) => (ctx ? ctx.decodeAudioData(bytes) : null));
      // A failed fetch is retried at the next call rather than remembered.
      promise.catch(() => this.#buffers.delete(url));
      this.#buffers.set(url, promise);
    }
    return promise;
  }

  // Play the clips back to back; `pauseAfter` clips (the chime) are followed by a pause.
  // Resolves true when every clip played, false when some could not be loaded.
  async #playClips(urls, pauseAfter) {
    if (urls.length === 0) return true;
    const ctx = audioContext();
    if (ctx === null) return this.#playElements(urls);
    const loaded = await Promise.all(
      urls.map((url) =>
        this.#load(url).catch((error) => {
          this.#emit("error", { url, error });
          return null;
        }),
      ),
    );
    if (this.#gain === null) {
      this.#gain = ctx.createGain();
      this.#gain.connect(ctx.destination);
    }
    this.#gain.gain.value = this.volume;
    // Scheduled on the audio clock, so clips join without the gaps of timers or events.
    let at = ctx.currentTime + 0.05;
    let last = null;
    loaded.forEach((buffer, i) => {
      if (buffer === null) return;
      const source = ctx.createBufferSource();
      source.buffer = buffer;
      source.connect(this.#gain);
      source.start(at);
      at += buffer.duration + (i === pauseAfter - 1 ? this.afterChimeSeconds : this.gapSeconds);
      last = source;
    });
    if (last !== null) await playedUntil(ctx, last, at);
    return loaded.every((buffer) => buffer !== null);
  }

  // Without WebAudio: one <audio> element after another (small gaps, but it works).
  async #playElements(urls) {
    let ok = true;
    for (const url of urls) {
      ok =
        (await new Promise((resolve) => {
          const audio = new Audio(url);
          audio.volume = this.volume;
          audio.onended = () => resolve(true);
          audio.onerror = () => {
            this.#emit("error", { url, error: audio.error });
            resolve(false);
          };
          audio.play().catch((error) => {
            this.#emit("error", { url, error });
            resolve(false);
          });
        })) && ok;
    }
    return ok;
  }

  async #browserVoice() {
    if (this.#voice === undefined) {
      this.#voice = vietnameseVoice(await loadVoices(), { allowRemote: this.allowRemoteVoice });
    }
    return this.#voice;
  }

  #speak(text, voice, call) {
    if (!voice || !globalThis.speechSynthesis) return Promise.resolve(false);
    return new Promise((resolve) => {
      const utterance = new SpeechSynthesisUtterance(text);
      utterance.voice = voice;
      utterance.lang = voice.lang;
      utterance.rate = this.speechRate;
      utterance.volume = this.volume;
      // Kept on the instance: Chrome drops the end event of an utterance it garbage-collects.
      this.#utterance = utterance;
      // Some engines never fire "end"; do not let one stuck utterance stop the queue.
      const limitMs = 4000 + text.length * 150;
      const watchdog = setTimeout(() => finish(false, new Error("speech timed out")), limitMs);
      const finish = (ok, error) => {
        clearTimeout(watchdog);
        if (this.#utterance !== utterance) return;
        this.#utterance = null;
        if (!ok) {
          speechSynthesis.cancel();
          this.#emit("error", { call, error });
        }
        resolve(ok);
      };
      utterance.onend = () => finish(true);
      utterance.onerror = (event) => finish(false, new Error(event.error));
      speechSynthesis.speak(utterance);
    });
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

// Resolves when `source` has ended, or when the audio clock has passed `endTime`: "ended"
// is not delivered reliably on every browser. The audio clock stands still while the
// context is suspended, so a call interrupted that way resumes and is not cut short.
function playedUntil(ctx, source, endTime) {
  return new Promise((resolve) => {
    const poll = setInterval(() => {
      if (ctx.state === "closed" || ctx.currentTime >= endTime + 0.1) finish();
    }, 250);
    const finish = () => {
      clearInterval(poll);
      resolve();
    };
    source.addEventListener("ended", finish, { once: true });
  });
}

function withTimeout(promise, ms) {
  return Promise.race([promise, new Promise((resolve) => setTimeout(resolve, ms))]);
}
