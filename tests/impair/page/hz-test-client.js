// Minimal Huizhen protocol client for the impairment and simulcast tests
// (docs/PROTOCOL.md), independent of the web client's UI: join with a token,
// publish audio + (simulcast) video, answer the server's subscriber offers in
// order, trickle both ways, and report getStats() figures. Driven from node
// through window.HzTest (page.evaluate).
'use strict';

(() => {
  const log = [];
  const note = (what) => {
    log.push(`${Math.round(performance.now())} ${what}`);
    if (log.length > 400) log.splice(0, log.length - 400);
  };

  const state = {
    ws: null,
    nextId: 1,
    pending: new Map(),
    joined: null,
    publisher: null,
    subscriber: null,
    pubCandidates: [],
    subCandidates: [],
    offerChain: Promise.resolve(),
    offersAnswered: 0,
    tracks: new Map(), // track id -> {participant_id, kind, mid}
    layers: [], // {t, track_id, layer}
    speakers: [], // {t, participant_id}
    errors: [],
    remoteTracks: [], // {kind, mid, streamId}
    localStream: null,
  };

  function send(msg) {
    state.ws.send(JSON.stringify(msg));
  }

  function request(msg, timeoutMs = 10000) {
    const id = state.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        state.pending.delete(id);
        reject(new Error(`no reply to ${msg.type} within ${timeoutMs} ms`));
      }, timeoutMs);
      state.pending.set(id, { resolve, reject, timer });
      send({ ...msg, id });
    });
  }

  function rememberTracks(participantId, tracks) {
    for (const t of tracks || []) state.tracks.set(t.id, { participant_id: participantId, kind: t.kind, mid: t.mid });
  }

  function newPc(target) {
    const ice = (state.joined && state.joined.ice_servers) || [];
    const pc = new RTCPeerConnection({ iceServers: ice, bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
    pc.onicecandidate = (e) => {
      const c = e.candidate;
      send({
        type: 'trickle',
        target,
        candidate: c ? { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex } : null,
      });
    };
    pc.onconnectionstatechange = () => note(`${target} pc ${pc.connectionState}`);
    return pc;
  }

  async function addRemoteCandidate(target, cand) {
    if (!cand || !cand.candidate) return;
    const pc = target === 'publisher' ? state.publisher : state.subscriber;
    const queue = target === 'publisher' ? state.pubCandidates : state.subCandidates;
    if (!pc || !pc.remoteDescription) {
      queue.push(cand);
      return;
    }
    try {
      await pc.addIceCandidate(cand);
    } catch (e) {
      note(`addIceCandidate(${target}) failed: ${e.message}`);
    }
  }

  async function flushCandidates(target) {
    const queue = target === 'publisher' ? state.pubCandidates : state.subCandidates;
    const items = queue.splice(0);
    for (const c of items) await addRemoteCandidate(target, c);
  }

  async function answerOffer(sdp) {
    if (!state.subscriber) {
      const pc = newPc('subscriber');
      pc.ontrack = (e) => {
        const mid = e.transceiver && e.transceiver.mid;
        state.remoteTracks.push({ kind: e.track.kind, mid, streamId: e.streams[0] && e.streams[0].id });
        note(`ontrack ${e.track.kind} mid=${mid}`);
        const el = document.createElement(e.track.kind === 'video' ? 'video' : 'audio');
        el.autoplay = true;
        el.muted = e.track.kind === 'video';
        el.playsInline = true;
        el.dataset.mid = mid;
        el.srcObject = new MediaStream([e.track]);
        document.getElementById('media').appendChild(el);
        el.play().catch(() => {});
      };
      state.subscriber = pc;
    }
    const pc = state.subscriber;
    await pc.setRemoteDescription({ type: 'offer', sdp });
    await flushCandidates('subscriber');
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    send({ type: 'answer', sdp: pc.localDescription.sdp });
    state.offersAnswered++;
    note(`answered offer #${state.offersAnswered}`);
  }

  function onMessage(ev) {
    let msg;
    try {
      msg = JSON.parse(ev.data);
    } catch {
      note(`bad json from server: ${String(ev.data).slice(0, 80)}`);
      return;
    }
    if (msg.type !== 'trickle') note(`<- ${msg.type}${msg.code ? ' ' + msg.code : ''}`);
    if (msg.id !== undefined && state.pending.has(msg.id)) {
      const p = state.pending.get(msg.id);
      state.pending.delete(msg.id);
      clearTimeout(p.timer);
      if (msg.type === 'error') p.reject(new Error(`${msg.code}: ${msg.message}`));
      else p.resolve(msg);
      return;
    }
    switch (msg.type) {
      case 'offer':
        // Answer strictly in order: each offer waits for the previous answer.
        state.offerChain = state.offerChain
          .then(() => answerOffer(msg.sdp))
          .catch((e) => {
            state.errors.push(`answering offer: ${e.message}`);
            note(`answering offer failed: ${e.message}`);
          });
        break;
      case 'trickle':
        addRemoteCandidate(msg.target, msg.candidate);
        break;
      case 'participant_joined':
        rememberTracks(msg.participant.id, msg.participant.tracks);
        break;
      case 'track_published':
        rememberTracks(msg.participant_id, [msg.track]);
        break;
      case 'layer':
        state.layers.push({ t: Date.now(), track_id: msg.track_id, layer: msg.layer });
        break;
      case 'active_speaker':
        state.speakers.push({ t: Date.now(), participant_id: msg.participant_id });
        break;
      case 'error':
        state.errors.push(`${msg.code}: ${msg.message}`);
        break;
      default:
        break;
    }
  }

  async function connect(token, wsUrl) {
    const url = wsUrl || `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
    state.ws = new WebSocket(url, 'huizhen');
    state.ws.onmessage = onMessage;
    state.ws.onclose = (e) => note(`ws closed ${e.code}`);
    await new Promise((resolve, reject) => {
      state.ws.onopen = resolve;
      state.ws.onerror = () => reject(new Error(`WebSocket ${url} failed`));
    });
    const joined = await request({ type: 'join', token });
    state.joined = joined;
    for (const p of joined.participants || []) rememberTracks(p.id, p.tracks);
    return { participant_id: joined.participant_id, can_publish: joined.can_publish };
  }

  // Publish the fake microphone and the fake camera at width x height, with
  // three simulcast layers q/h/f when simulcast is set.
  async function publish({ simulcast = true, width = 1280, height = 720 } = {}) {
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: true,
      video: { width: { exact: width }, height: { exact: height }, frameRate: 30 },
    });
    state.localStream = stream;
    const pc = newPc('publisher');
    state.publisher = pc;
    pc.addTransceiver(stream.getAudioTracks()[0], { direction: 'sendonly' });
    const video = stream.getVideoTracks()[0];
    video.contentHint = 'motion';
    if (simulcast) {
      pc.addTransceiver(video, {
        direction: 'sendonly',
        sendEncodings: [
          { rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 150000 },
          { rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 500000 },
          { rid: 'f', maxBitrate: 1500000 },
        ],
      });
    } else {
      pc.addTransceiver(video, { direction: 'sendonly' });
    }
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    const answer = await request({ type: 'publish', sdp: pc.localDescription.sdp });
    await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
    await flushCandidates('publisher');
    return { settings: video.getSettings() };
  }

  async function statsOf(pc) {
    if (!pc) return [];
    const out = [];
    (await pc.getStats()).forEach((s) => out.push(s));
    return out;
  }

  const pick = (s, keys) => {
    const o = {};
    for (const k of keys) if (s[k] !== undefined) o[k] = s[k];
    return o;
  };

  const VIDEO_IN = ['mid', 'ssrc', 'frameWidth', 'frameHeight', 'framesDecoded', 'framesReceived', 'framesDropped',
    'keyFramesDecoded', 'freezeCount', 'totalFreezesDuration', 'pauseCount', 'totalPausesDuration', 'nackCount',
    'pliCount', 'firCount', 'packetsLost', 'packetsReceived', 'bytesReceived', 'retransmittedPacketsReceived',
    'retransmittedBytesReceived', 'framesPerSecond', 'jitter', 'fecPacketsReceived'];
  const AUDIO_IN = ['mid', 'ssrc', 'packetsLost', 'packetsReceived', 'bytesReceived', 'concealedSamples',
    'silentConcealedSamples', 'concealmentEvents', 'totalSamplesReceived', 'insertedSamplesForDeceleration',
    'removedSamplesForAcceleration', 'fecPacketsReceived', 'fecPacketsDiscarded', 'nackCount', 'jitter',
    'retransmittedPacketsReceived', 'audioLevel'];
  const VIDEO_OUT = ['rid', 'ssrc', 'frameWidth', 'frameHeight', 'framesEncoded', 'framesSent', 'bytesSent',
    'targetBitrate', 'qualityLimitationReason', 'active', 'retransmittedPacketsSent', 'nackCount', 'pliCount',
    'framesPerSecond', 'encoderImplementation', 'scalabilityMode'];

  // Whether our answer to the server's offer puts RED (RFC 2198) first on an
  // audio m-line: then the server sends RED. getStats() cannot tell: its
  // codec of a RED stream is the Opus inside.
  function answeredRed(pc) {
    const sdp = pc && pc.currentLocalDescription ? pc.currentLocalDescription.sdp : '';
    for (const section of sdp.split(/\r?\nm=/).slice(1)) {
      const m = /^audio \d+ \S+ (\d+)/.exec(section);
      if (m && new RegExp(`a=rtpmap:${m[1]} red/48000/2`, 'i').test(section)) return true;
    }
    return false;
  }

  // One figure sample of the subscriber (inbound) and publisher (outbound) side.
  async function sample() {
    const t = Date.now();
    const sub = await statsOf(state.subscriber);
    const byId = new Map(sub.map((s) => [s.id, s]));
    const video = [];
    const audio = [];
    let pair = null;
    for (const s of sub) {
      if (s.type === 'inbound-rtp') {
        const codec = s.codecId && byId.get(s.codecId);
        const row = pick(s, s.kind === 'video' ? VIDEO_IN : AUDIO_IN);
        row.codec = codec ? codec.mimeType : null;
        (s.kind === 'video' ? video : audio).push(row);
      } else if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') {
        pair = pick(s, ['availableIncomingBitrate', 'currentRoundTripTime', 'bytesReceived', 'bytesSent']);
      }
    }
    const pub = await statsOf(state.publisher);
    const outVideo = [];
    let outPair = null;
    for (const s of pub) {
      if (s.type === 'outbound-rtp' && s.kind === 'video') outVideo.push(pick(s, VIDEO_OUT));
      else if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') {
        outPair = pick(s, ['availableOutgoingBitrate', 'currentRoundTripTime']);
      }
    }
    outVideo.sort((a, b) => String(a.rid).localeCompare(String(b.rid)));
    return {
      t,
      audioRed: answeredRed(state.subscriber),
      video,
      audio,
      pair,
      outVideo,
      outPair,
      subscriberState: state.subscriber ? state.subscriber.connectionState : null,
      publisherState: state.publisher ? state.publisher.connectionState : null,
    };
  }

  // Full getStats() of both connections for failure diagnostics.
  async function dump() {
    const keep = ['inbound-rtp', 'outbound-rtp', 'remote-inbound-rtp', 'codec', 'transport', 'candidate-pair'];
    const f = (arr) => arr.filter((s) => keep.includes(s.type) && (s.type !== 'candidate-pair' || s.nominated));
    return {
      subscriber: f(await statsOf(state.subscriber)),
      publisher: f(await statsOf(state.publisher)),
      log: log.slice(-80),
      errors: state.errors,
      layers: state.layers,
      remoteSdp: state.subscriber && state.subscriber.remoteDescription ? state.subscriber.remoteDescription.sdp : null,
    };
  }

  // Track ids (protocol ids such as "t3") of other participants' video tracks.
  function videoTrackIds() {
    const me = state.joined && state.joined.participant_id;
    const ids = [];
    for (const [id, t] of state.tracks) if (t.kind === 'video' && t.participant_id !== me) ids.push(id);
    return ids;
  }

  window.HzTest = {
    connect,
    publish,
    send,
    request,
    sample,
    dump,
    videoTrackIds,
    get layers() { return state.layers.slice(); },
    get speakers() { return state.speakers.slice(); },
    get errors() { return state.errors.slice(); },
    get offersAnswered() { return state.offersAnswered; },
    get remoteTracks() { return state.remoteTracks.slice(); },
    get log() { return log.slice(); },
    get participantId() { return state.joined && state.joined.participant_id; },
    get subscriberSdp() { return state.subscriber && state.subscriber.remoteDescription ? state.subscriber.remoteDescription.sdp : null; },
  };
})();
