// Signaling client: the one WebSocket to /ws (subprotocol "huizhen"), numbered
// requests matched to their replies by "id", and every other server message
// delivered in order to one handler.

const REQUEST_TIMEOUT_MS = 15000;

export class SignalingError extends Error {
  constructor(code, message) {
    super(message || code);
    this.name = 'SignalingError';
    this.code = code;
  }
}

export function signalingUrl(loc = window.location) {
  const scheme = loc.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${loc.host}/ws`;
}

export class SignalingClient {
  /**
   * @param {object} handlers
   *   onMessage(msg)   every server message that is not a reply to a request
   *   onClose(event)   the socket closed (not called after close())
   */
  constructor({ onMessage, onClose } = {}) {
    this.ws = null;
    this.nextId = 1;
    this.pending = new Map(); // id -> { resolve, reject, timer }
    this.onMessage = onMessage || (() => {});
    this.onClose = onClose || (() => {});
    this.closedByUs = false;
    // Fire-and-forget messages that carry an id, so an error reply (such as
    // unknown_type from a server that does not have the feature yet) finds its sender.
    this.tracked = new Map(); // id -> { onError, at }
  }

  /** Open the socket; resolves once it is open. */
  connect(url = signalingUrl()) {
    return new Promise((resolve, reject) => {
      let opened = false;
      const ws = new WebSocket(url, 'huizhen');
      this.ws = ws;
      ws.addEventListener('open', () => {
        opened = true;
        resolve();
      });
      ws.addEventListener('message', (ev) => this.#receive(ev.data));
      ws.addEventListener('close', (ev) => {
        this.#failPending(new SignalingError('disconnected', 'connection closed'));
        if (!opened) reject(new SignalingError('connect_failed', `cannot connect to ${url}`));
        else if (!this.closedByUs) this.onClose(ev);
      });
    });
  }

  get isOpen() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  /** Send a message that expects no reply. */
  send(msg) {
    if (!this.isOpen) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  /**
   * Send a message that has no success reply but may be refused: onError(msg)
   * is called if an {"type":"error"} with its id comes back within 30 s.
   */
  sendTracked(msg, onError) {
    if (!this.isOpen) return false;
    const id = this.nextId++;
    const now = performance.now();
    for (const [k, v] of this.tracked) if (now - v.at > 30000) this.tracked.delete(k);
    this.tracked.set(id, { onError, at: now });
    this.ws.send(JSON.stringify({ ...msg, id }));
    return true;
  }

  /** Send a request with a fresh id; resolves with the reply, rejects with SignalingError. */
  request(msg) {
    if (!this.isOpen) return Promise.reject(new SignalingError('disconnected', 'not connected'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new SignalingError('timeout', `no reply to ${msg.type}`));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
      this.ws.send(JSON.stringify({ ...msg, id }));
    });
  }

  close() {
    this.closedByUs = true;
    this.#failPending(new SignalingError('closed', 'closed'));
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) this.ws.close(1000, 'leave');
  }

  #receive(data) {
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      console.warn('huizhen: ignoring a signaling message that is not JSON');
      return;
    }
    if (msg === null || typeof msg !== 'object' || typeof msg.type !== 'string') {
      console.warn('huizhen: ignoring a signaling message without "type"');
      return;
    }
    if (msg.id !== undefined && this.pending.has(msg.id)) {
      const { resolve, reject, timer } = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      clearTimeout(timer);
      if (msg.type === 'error') reject(new SignalingError(msg.code || 'error', msg.message));
      else resolve(msg);
      return;
    }
    if (msg.id !== undefined && this.tracked.has(msg.id)) {
      const { onError } = this.tracked.get(msg.id);
      this.tracked.delete(msg.id);
      if (msg.type === 'error') {
        if (onError) onError(msg);
        return;
      }
    }
    this.onMessage(msg);
  }

  #failPending(err) {
    for (const { reject, timer } of this.pending.values()) {
      clearTimeout(timer);
      reject(err);
    }
    this.pending.clear();
  }
}
