// Network quality and speaking levels from RTCPeerConnection.getStats(), once a
// second: per remote participant (from the subscriber connection's inbound
// streams) and for ourselves (from the publisher's outbound streams and the
// server's receiver reports). Pure bookkeeping apart from the timer.

const INTERVAL_MS = 1000;

/** 'good' | 'fair' | 'poor' | 'unknown' from loss (%) and round-trip time (ms). */
export function classify({ lossPct, rttMs, packets }) {
  if (!packets) return 'unknown';
  if (lossPct >= 8 || rttMs >= 500) return 'poor';
  if (lossPct >= 2 || rttMs >= 250) return 'fair';
  return 'good';
}

/** The plain-language hint's dictionary key for a quality record. */
export function hintKey(q) {
  if (q.self && q.limited === 'bandwidth') return 'quality.hint_send_limited';
  if (q.level === 'poor') return q.height > 0 && q.height < 360 ? 'quality.hint_low_res' : 'quality.hint_poor';
  if (q.level === 'fair') return 'quality.hint_fair';
  if (q.level === 'good') return 'quality.hint_good';
  return 'quality.hint_unknown';
}

/**
 * How our media travels, from a getStats() report: 'udp' (direct), 'tcp'
 * (ICE-TCP to the server: the network blocks UDP) or 'relay' (through TURN),
 * with the relay's protocol; null before a pair is selected.
 */
export function transportOf(report) {
  let pairId = null;
  report.forEach((s) => {
    if (s.type === 'transport' && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId;
  });
  let pair = pairId ? report.get(pairId) : null;
  if (!pair) {
    report.forEach((s) => {
      if (!pair && s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') pair = s;
    });
  }
  const local = pair ? report.get(pair.localCandidateId) : null;
  if (!local) return null;
  if (local.candidateType === 'relay') return { kind: 'relay', protocol: local.relayProtocol || local.protocol || 'udp' };
  return { kind: local.protocol === 'tcp' ? 'tcp' : 'udp', protocol: local.protocol || 'udp' };
}

/** The dictionary key (and its parameters) of a transport worth telling, or null. */
export function transportHint(transport) {
  if (!transport) return null;
  if (transport.kind === 'tcp') return { key: 'quality.transport_tcp', params: {} };
  if (transport.kind === 'relay') return { key: 'quality.transport_relay', params: { protocol: transport.protocol.toUpperCase() } };
  return null;
}

function nominatedRtt(report) {
  let rtt = null;
  report.forEach((s) => {
    if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded' && typeof s.currentRoundTripTime === 'number') {
      rtt = s.currentRoundTripTime * 1000;
    }
  });
  return rtt;
}

export class QualityMonitor {
  /**
   * @param {object} o
   *   getPcs()            -> { publisher, subscriber } (either may be null)
   *   ownerOfTrack(id)    -> participant id of a received track id, or null
   *   selfId()            -> our participant id
   *   onUpdate(quality, levels)  quality: Map id -> record; levels: Map id -> 0..1
   */
  constructor({ getPcs, ownerOfTrack, selfId, onUpdate }) {
    this.getPcs = getPcs;
    this.ownerOfTrack = ownerOfTrack;
    this.selfId = selfId;
    this.onUpdate = onUpdate;
    this.prev = new Map(); // stats id -> { bytes, packets, lost, at }
    this.timer = null;
    this.busy = false;
  }

  start() {
    if (this.timer) return;
    this.timer = setInterval(() => this.#sample(), INTERVAL_MS);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
    this.prev.clear();
  }

  #delta(id, now, { bytes = 0, packets = 0, lost = 0 }) {
    const p = this.prev.get(id);
    this.prev.set(id, { bytes, packets, lost, at: now });
    if (!p) return null;
    const dt = (now - p.at) / 1000;
    if (dt <= 0) return null;
    return {
      kbps: Math.max(0, ((bytes - p.bytes) * 8) / dt / 1000),
      packets: Math.max(0, packets - p.packets),
      lost: Math.max(0, lost - p.lost),
    };
  }

  async #sample() {
    if (this.busy) return;
    this.busy = true;
    try {
      const { publisher, subscriber } = this.getPcs();
      const quality = new Map();
      const levels = new Map();
      if (subscriber && subscriber.connectionState !== 'closed') await this.#remote(subscriber, quality, levels);
      if (publisher && publisher.connectionState !== 'closed') await this.#local(publisher, quality, levels);
      this.onUpdate(quality, levels);
    } catch (e) {
      console.warn(`huizhen: stats unavailable: ${e.message}`);
    } finally {
      this.busy = false;
    }
  }

  async #remote(pc, quality, levels) {
    const report = await pc.getStats();
    const now = performance.now();
    const rtt = nominatedRtt(report);
    const acc = new Map(); // participant -> sums
    report.forEach((s) => {
      if (s.type !== 'inbound-rtp' || !s.trackIdentifier) return;
      const owner = this.ownerOfTrack(s.trackIdentifier);
      if (owner === null) return;
      const d = this.#delta(s.id, now, { bytes: s.bytesReceived, packets: s.packetsReceived, lost: s.packetsLost });
      const a = acc.get(owner) || { kbps: 0, packets: 0, lost: 0, width: 0, height: 0, fps: 0, videoPackets: 0 };
      if (d) {
        a.kbps += d.kbps;
        a.packets += d.packets;
        a.lost += d.lost;
        if (s.kind === 'video') a.videoPackets += d.packets;
      }
      if (s.kind === 'video') {
        a.width = s.frameWidth || 0;
        a.height = s.frameHeight || 0;
        a.fps = s.framesPerSecond || 0;
      }
      if (s.kind === 'audio' && typeof s.audioLevel === 'number') levels.set(owner, s.audioLevel);
      acc.set(owner, a);
    });
    for (const [owner, a] of acc) {
      const total = a.packets + a.lost;
      const q = {
        self: false,
        lossPct: total > 0 ? (100 * a.lost) / total : 0,
        rttMs: rtt ?? 0,
        kbps: Math.round(a.kbps),
        width: a.width,
        height: a.height,
        fps: Math.round(a.fps),
        packets: a.packets,
      };
      q.level = classify(q);
      q.hint = hintKey(q);
      quality.set(owner, q);
    }
  }

  async #local(pc, quality, levels) {
    const report = await pc.getStats();
    const now = performance.now();
    const q = { self: true, lossPct: 0, rttMs: nominatedRtt(report) ?? 0, kbps: 0, width: 0, height: 0, fps: 0, packets: 0, limited: 'none' };
    let lossFraction = null;
    report.forEach((s) => {
      if (s.type === 'outbound-rtp') {
        const d = this.#delta(s.id, now, { bytes: s.bytesSent, packets: s.packetsSent });
        if (d) {
          q.kbps += d.kbps;
          q.packets += d.packets;
        }
        if (s.kind === 'video') {
          q.width = s.frameWidth || 0;
          q.height = s.frameHeight || 0;
          q.fps = Math.round(s.framesPerSecond || 0);
          if (s.qualityLimitationReason) q.limited = s.qualityLimitationReason;
        }
      } else if (s.type === 'remote-inbound-rtp') {
        if (typeof s.fractionLost === 'number') lossFraction = Math.max(lossFraction ?? 0, s.fractionLost);
        if (typeof s.roundTripTime === 'number' && !q.rttMs) q.rttMs = s.roundTripTime * 1000;
      } else if (s.type === 'media-source' && s.kind === 'audio' && typeof s.audioLevel === 'number') {
        levels.set(this.selfId(), s.audioLevel);
      }
    });
    q.lossPct = lossFraction !== null ? lossFraction * 100 : 0;
    q.transport = transportOf(report);
    q.kbps = Math.round(q.kbps);
    q.level = classify(q);
    q.hint = hintKey(q);
    quality.set(this.selfId(), q);
  }
}

/**
 * Picks the active speaker from levels with some stickiness: a new speaker
 * must be loudest above the threshold for two samples in a row.
 */
export class SpeakerPicker {
  constructor(threshold = 0.02) {
    this.threshold = threshold;
    this.current = null;
    this.candidate = null;
    this.count = 0;
  }

  update(levels) {
    let best = null;
    let bestLevel = this.threshold;
    for (const [id, level] of levels) {
      if (level > bestLevel) {
        best = id;
        bestLevel = level;
      }
    }
    if (best === null || best === this.current) {
      this.candidate = null;
      this.count = 0;
      return this.current;
    }
    if (best === this.candidate) this.count++;
    else {
      this.candidate = best;
      this.count = 1;
    }
    if (this.count >= 2) {
      this.current = best;
      this.candidate = null;
      this.count = 0;
    }
    return this.current;
  }
}
