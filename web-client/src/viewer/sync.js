// Viewing together: who holds control of the shared viewer, and the controller's
// view state sent over the signaling socket at most every 50 ms (~20/s), the
// latest state winning. Knows nothing of the DOM or of Cornerstone: the viewer
// gives it a function that reads the current state and one that sends a message.

export const SEND_INTERVAL_MS = 50;
export const STATE_MAX_BYTES = 4096;

/**
 * A throttle where the latest call wins: schedule() sends at once when the last
 * send is at least `intervalMs` old, else once when the interval is over, with
 * the state read at that moment (so intermediate states are dropped, never queued).
 */
export class LatestWinsSender {
  constructor({ read, send, intervalMs = SEND_INTERVAL_MS, now = () => performance.now() }) {
    this.read = read;
    this.send = send;
    this.intervalMs = intervalMs;
    this.now = now;
    this.lastAt = -Infinity;
    this.timer = null;
    this.sent = 0;
  }

  schedule() {
    if (this.timer !== null) return;
    const wait = this.lastAt + this.intervalMs - this.now();
    if (wait <= 0) this.flush();
    else this.timer = setTimeout(() => this.flush(), wait);
  }

  flush() {
    clearTimeout(this.timer);
    this.timer = null;
    const msg = this.read();
    if (!msg) return;
    this.lastAt = this.now();
    this.sent++;
    this.send(msg);
  }

  cancel() {
    clearTimeout(this.timer);
    this.timer = null;
  }
}

/** Round numbers so a state stays small (well under the server's 4 KiB). */
export function compactState(value) {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.round(value * 1000) / 1000 : null;
  if (Array.isArray(value)) return value.map(compactState);
  if (value && typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = compactState(v);
    return out;
  }
  return value;
}

/** The viewer_state message for a document, or null when it would exceed 4 KiB. */
export function stateMessage(docId, state) {
  const msg = { type: 'viewer_state', doc_id: docId, state: compactState(state) };
  return JSON.stringify(msg.state).length <= STATE_MAX_BYTES ? msg : null;
}
