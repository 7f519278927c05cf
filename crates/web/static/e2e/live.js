// The conversation's live connection: a WebSocket that delivers new messages and says when
// something changed. The database is the source of truth: on every (re)connect the client
// asks for everything after the last sequence number it has, so nothing is missed; after a
// drop it reconnects with growing, jittered delays (1 s doubling to 30 s).
"use strict";

const MAX_DELAY_MS = 30000;
/** Closed by the server because the person is no longer in the circle. */
const NOT_IN_CIRCLE = 4403;

export class Live {
  /** `handlers`: {messages(list), changed(frame), state(text, open), gone()}; `lastSeq()`
   * tells where to resume. */
  constructor(circle, lastSeq, handlers) {
    this.circle = circle;
    this.lastSeq = lastSeq;
    this.handlers = handlers;
    this.socket = null;
    this.failures = 0;
    this.stopped = false;
    this.timer = null;
    this.queue = Promise.resolve();
  }

  url() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    return `${scheme}://${location.host}/circles/${this.circle}/conversation/live?after=${this.lastSeq()}`;
  }

  start() {
    this.stopped = false;
    this.connect();
    // A phone that wakes up or comes back online reconnects at once instead of waiting.
    window.addEventListener("online", () => this.now());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.now();
    });
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.socket) this.socket.close(1000);
  }

  /** Reconnects now if the connection is down. */
  now() {
    if (this.stopped || (this.socket && this.socket.readyState <= WebSocket.OPEN)) return;
    clearTimeout(this.timer);
    this.connect();
  }

  connect() {
    let socket;
    try {
      socket = new WebSocket(this.url());
    } catch (e) {
      this.retry();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      this.failures = 0;
      this.handlers.state("Live: new messages appear as they are sent.", true);
    };
    // Frames are handled one after another, in the order they came.
    socket.onmessage = (ev) => {
      this.queue = this.queue.then(() => this.receive(ev.data)).catch(() => {});
    };
    socket.onclose = (ev) => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (ev.code === NOT_IN_CIRCLE) {
        this.stopped = true;
        this.handlers.gone();
        return;
      }
      if (!this.stopped) this.retry();
    };
  }

  retry() {
    this.failures++;
    const base = Math.min(MAX_DELAY_MS, 1000 * 2 ** Math.min(this.failures - 1, 5));
    const delay = base / 2 + Math.random() * (base / 2);
    this.handlers.state(`Connection lost; trying again in ${Math.round(delay / 1000)} s.`, false);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  async receive(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch (e) {
      return;
    }
    if (frame.type === "ping") this.send({ type: "pong" });
    else if (frame.type === "messages") await this.handlers.messages(frame.messages || []);
    else if (frame.type === "changed") await this.handlers.changed(frame);
  }

  send(frame) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  get open() {
    return !!this.socket && this.socket.readyState === WebSocket.OPEN;
  }
}
