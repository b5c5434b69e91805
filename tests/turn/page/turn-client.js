// Minimal Huizhen protocol client for the TURN test (docs/PROTOCOL.md): join
// with a token, publish the fake camera and microphone, answer the server's
// subscriber offers in order, trickle both ways. Both peer connections use
// the ice_servers of `joined` with iceTransportPolicy 'relay' (so every
// packet goes through the TURN server) unless start() is given another
// policy (the ICE-TCP test uses 'all'). Reports the first decoded frame, the
// selected candidate pairs and the server's candidates. Driven from node
// through window.HzTurn (turn.test.mjs, ice-tcp.test.mjs).
'use strict';

(() => {
  const log = [];
  const note = (what) => {
    log.push(`${Math.round(performance.now())} ${what}`);
    if (log.length > 300) log.splice(0, log.length - 300);
  };
  const state = {
    ws: null,
    nextId: 1,
    pending: new Map(),
    joined: null,
    publisher: null,
    subscriber: null,
    queued: { publisher: [], subscriber: [] },
    offerChain: Promise.resolve(),
    errors: [],
    localCandidateTypes: { publisher: [], subscriber: [] },
    remoteCandidates: { publisher: [], subscriber: [] },
    policy: 'relay',
    t0: 0,
    firstFrameMs: null,
  };

  const send = (msg) => state.ws.send(JSON.stringify(msg));

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

  function newPc(target) {
    const pc = new RTCPeerConnection({
      iceServers: state.joined.ice_servers || [],
      iceTransportPolicy: state.policy,
      bundlePolicy: 'max-bundle',
      rtcpMuxPolicy: 'require',
    });
    pc.onicecandidate = (e) => {
      const c = e.candidate;
      if (c) state.localCandidateTypes[target].push(`${c.type}/${c.protocol}${c.relayProtocol ? '/' + c.relayProtocol : ''}`);
      send({
        type: 'trickle',
        target,
        candidate: c ? { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex } : null,
      });
    };
    pc.onicecandidateerror = (e) => note(`${target} candidate error ${e.errorCode} ${e.errorText} ${e.url}`);
    pc.onconnectionstatechange = () => note(`${target} pc ${pc.connectionState}`);
    pc.oniceconnectionstatechange = () => note(`${target} ice ${pc.iceConnectionState}`);
    return pc;
  }

  // The server's candidates, as received (trickle or SDP), for diagnostics.
  function noteRemote(target, line) {
    const list = state.remoteCandidates[target];
    if (list.length < 50) list.push(line.replace(/^a=/, ''));
  }
  function noteSdpCandidates(target, sdp) {
    for (const l of sdp.split(/\r?\n/)) if (l.startsWith('a=candidate:')) noteRemote(target, l);
  }

  async function addRemote(target, cand, noted = false) {
    if (!cand || !cand.candidate) return;
    if (!noted) noteRemote(target, cand.candidate);
    const pc = state[target];
    if (!pc || !pc.remoteDescription) {
      state.queued[target].push(cand);
      return;
    }
    try {
      await pc.addIceCandidate(cand);
    } catch (e) {
      note(`addIceCandidate(${target}): ${e.message}`);
    }
  }

  async function flush(target) {
    for (const c of state.queued[target].splice(0)) await addRemote(target, c, true);
  }

  async function answerOffer(sdp) {
    if (!state.subscriber) {
      const pc = newPc('subscriber');
      pc.ontrack = (e) => {
        const el = document.createElement(e.track.kind === 'video' ? 'video' : 'audio');
        el.autoplay = true;
        el.muted = true;
        el.playsInline = true;
        el.srcObject = new MediaStream([e.track]);
        document.getElementById('media').appendChild(el);
        el.play().catch(() => {});
      };
      state.subscriber = pc;
    }
    const pc = state.subscriber;
    noteSdpCandidates('subscriber', sdp);
    await pc.setRemoteDescription({ type: 'offer', sdp });
    await flush('subscriber');
    await pc.setLocalDescription(await pc.createAnswer());
    send({ type: 'answer', sdp: pc.localDescription.sdp });
  }

  function onMessage(ev) {
    let msg;
    try {
      msg = JSON.parse(ev.data);
    } catch {
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
    if (msg.type === 'offer') {
      state.offerChain = state.offerChain.then(() => answerOffer(msg.sdp)).catch((e) => {
        state.errors.push(`answering offer: ${e.message}`);
      });
    } else if (msg.type === 'trickle') {
      addRemote(msg.target, msg.candidate);
    } else if (msg.type === 'error') {
      state.errors.push(`${msg.code}: ${msg.message}`);
    }
  }

  // Join and publish; returns the ice_servers the server handed out.
  // opts.policy: iceTransportPolicy of both connections ('relay' by default).
  async function start(token, opts = {}) {
    state.policy = opts.policy || 'relay';
    state.t0 = performance.now();
    state.ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`, 'huizhen');
    state.ws.onmessage = onMessage;
    state.ws.onclose = (e) => note(`ws closed ${e.code}`);
    await new Promise((resolve, reject) => {
      state.ws.onopen = resolve;
      state.ws.onerror = () => reject(new Error('WebSocket failed'));
    });
    state.joined = await request({ type: 'join', token });
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: true,
      video: { width: 640, height: 360, frameRate: 30 },
    });
    const pc = newPc('publisher');
    state.publisher = pc;
    pc.addTransceiver(stream.getAudioTracks()[0], { direction: 'sendonly' });
    pc.addTransceiver(stream.getVideoTracks()[0], { direction: 'sendonly' });
    await pc.setLocalDescription(await pc.createOffer());
    const answer = await request({ type: 'publish', sdp: pc.localDescription.sdp });
    noteSdpCandidates('publisher', answer.sdp);
    await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
    await flush('publisher');
    return state.joined.ice_servers;
  }

  // The selected pair of a connection (the transport's selectedCandidatePairId,
  // else a nominated succeeded pair): local/remote candidate type, protocol,
  // address and port, and the TURN leg's protocol (relayProtocol).
  async function selectedPair(pc) {
    if (!pc) return null;
    const all = new Map();
    (await pc.getStats()).forEach((s) => all.set(s.id, s));
    let pair = null;
    for (const s of all.values()) {
      if (s.type === 'transport' && s.selectedCandidatePairId && all.get(s.selectedCandidatePairId)) {
        pair = all.get(s.selectedCandidatePairId);
        break;
      }
    }
    if (!pair) {
      for (const s of all.values()) {
        if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') pair = s;
      }
    }
    if (pair) {
      const local = all.get(pair.localCandidateId) || {};
      const remote = all.get(pair.remoteCandidateId) || {};
      return {
        state: pair.state,
        localType: local.candidateType,
        localProtocol: local.protocol,
        relayProtocol: local.relayProtocol,
        localAddress: `${local.address}:${local.port}`,
        url: local.url,
        localTcpType: local.tcpType,
        remoteType: remote.candidateType,
        remoteProtocol: remote.protocol,
        remotePort: remote.port,
        remoteAddress: `${remote.address}:${remote.port}`,
        bytesReceived: pair.bytesReceived,
      };
    }
    return null;
  }

  async function sample() {
    let framesDecoded = 0;
    let audioPackets = 0;
    let frameWidth = 0;
    if (state.subscriber) {
      (await state.subscriber.getStats()).forEach((s) => {
        if (s.type !== 'inbound-rtp') return;
        if (s.kind === 'video') {
          framesDecoded += s.framesDecoded || 0;
          frameWidth = Math.max(frameWidth, s.frameWidth || 0);
        } else {
          audioPackets += s.packetsReceived || 0;
        }
      });
    }
    if (framesDecoded > 0 && state.firstFrameMs === null) state.firstFrameMs = Math.round(performance.now() - state.t0);
    return {
      framesDecoded,
      frameWidth,
      audioPackets,
      firstFrameMs: state.firstFrameMs,
      publisher: await selectedPair(state.publisher),
      subscriber: await selectedPair(state.subscriber),
      publisherState: state.publisher ? state.publisher.connectionState : null,
      subscriberState: state.subscriber ? state.subscriber.connectionState : null,
      publisherIce: state.publisher ? state.publisher.iceConnectionState : null,
      subscriberIce: state.subscriber ? state.subscriber.iceConnectionState : null,
    };
  }

  window.HzTurn = {
    start,
    sample,
    get log() { return log.slice(); },
    get errors() { return state.errors.slice(); },
    get localCandidateTypes() { return JSON.parse(JSON.stringify(state.localCandidateTypes)); },
    get remoteCandidates() { return JSON.parse(JSON.stringify(state.remoteCandidates)); },
  };
})();
