// Call session: one join over the signaling socket, the publisher peer
// connection (our camera and microphone, offered by us) and the subscriber peer
// connection (everything we receive, offered by the server). Knows nothing of
// the DOM: it reports to the page through the callbacks in `ui`.

import { SignalingClient, SignalingError } from './signaling.js';

const TARGETS = ['publisher', 'subscriber'];
// Errors without a request id that end the session but not the socket (in a
// cluster: the room's node stopped answering, or the room could not be placed).
const SERVER_DROPS = ['node_lost', 'unavailable'];
const MAX_EVENTS = 2000;

export class CallSession {
  /**
   * @param {object} opts
   *   token        the join token
   *   localStream  MediaStream to publish, or null
   *   publish      whether this role publishes
   *   muted        { audio: bool, video: bool } at join time
   *   hz           the window.hzClient object, kept up to date
   *   ui           callbacks: onState(state), onJoined(msg), onMessage(msg),
   *                onRemoteTrack(participantId, track), onRemoteTrackGone(participantId, track),
   *                onMediaState(target, state), onError(error)
   */
  constructor({ token, localStream, publish, muted, hz, ui }) {
    this.token = token;
    this.localStream = localStream;
    this.publish = publish && localStream !== null && localStream.getTracks().length > 0;
    this.muted = { audio: false, video: false, ...muted };
    this.hz = hz;
    this.ui = ui;
    this.sig = null;
    this.iceServers = [];
    this.pcs = { publisher: null, subscriber: null };
    // Remote candidates wait until that pc has its remote description.
    this.remoteReady = { publisher: false, subscriber: false };
    this.remotePending = { publisher: [], subscriber: [] };
    // Local candidates wait until the server has our SDP for that pc.
    this.localReady = { publisher: false, subscriber: false };
    this.localPending = { publisher: [], subscriber: [] };
    this.localEnded = { publisher: false, subscriber: false };
    this.videoSender = null;
    this.audioSender = null;
    this.offerChain = Promise.resolve();
    this.ended = false;
    this.joined = false;
    // Why the server ended this session while the socket was open (node_lost,
    // unavailable, room_moved): the page rejoins; null otherwise.
    this.dropReason = null;
  }

  #setState(state) {
    this.hz.state = state;
    this.ui.onState(state);
  }

  #record(msg) {
    const events = this.hz.events;
    events.push({ at: performance.now(), ...msg });
    if (events.length > MAX_EVENTS) events.splice(0, events.length - MAX_EVENTS);
  }

  /** Connect, join, publish. Rejects with a SignalingError or a DOMException. */
  async join() {
    this.#setState('connecting');
    this.sig = new SignalingClient({
      onMessage: (msg) => this.#onMessage(msg),
      onClose: () => this.#onSocketClosed(),
    });
    this.hz.signaling = this.sig;
    let joined;
    try {
      await this.sig.connect();
      joined = await this.sig.request({ type: 'join', token: this.token });
    } catch (e) {
      this.#teardown();
      this.#setState('failed');
      throw this.dropReason ? new SignalingError(this.dropReason, e.message) : e;
    }
    this.joined = true;
    this.#record(joined);
    this.iceServers = Array.isArray(joined.ice_servers) ? joined.ice_servers : [];
    if (joined.can_publish === false) this.publish = false;
    this.hz.participantId = joined.participant_id;
    this.hz.joinedAt = performance.now();
    this.#setState('joined');
    this.ui.onJoined(joined);
    if (this.publish) {
      try {
        await this.#startPublisher();
      } catch (e) {
        // The server ended the session meanwhile: the page is rejoining already.
        if (!this.ended) throw e;
      }
    }
  }

  #pcConfig() {
    return { iceServers: this.iceServers, bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' };
  }

  #newPc(target) {
    const pc = new RTCPeerConnection(this.#pcConfig());
    this.pcs[target] = pc;
    this.hz[target] = pc;
    pc.addEventListener('icecandidate', (e) => this.#localCandidate(target, e.candidate));
    pc.addEventListener('connectionstatechange', () => this.ui.onMediaState(target, pc.connectionState));
    return pc;
  }

  async #startPublisher() {
    const pc = this.#newPc('publisher');
    const stream = this.localStream;
    const [audio] = stream.getAudioTracks();
    const [video] = stream.getVideoTracks();
    if (audio) this.audioSender = pc.addTransceiver(audio, { direction: 'sendonly', streams: [stream] }).sender;
    if (video) {
      const tr = pc.addTransceiver(video, { direction: 'sendonly', streams: [stream] });
      this.videoSender = tr.sender;
      if (this.muted.video) await tr.sender.replaceTrack(null);
    }
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    const reply = this.sig.request({ type: 'publish', sdp: pc.localDescription.sdp });
    // The publish request is on the wire: our candidates may follow it now.
    this.#localReadyFor('publisher');
    const answer = await reply;
    this.#record(answer);
    if (this.ended) return;
    await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
    this.#remoteReadyFor('publisher');
    for (const kind of ['audio', 'video']) {
      if (this.muted[kind]) this.sig.send({ type: 'mute', kind, muted: true });
    }
  }

  #localCandidate(target, candidate) {
    // Both null and an empty candidate string mean "gathering finished".
    const c = candidate && candidate.candidate
      ? { candidate: candidate.candidate, sdpMid: candidate.sdpMid, sdpMLineIndex: candidate.sdpMLineIndex }
      : null;
    if (c === null) {
      if (this.localEnded[target]) return;
      this.localEnded[target] = true;
    }
    if (!this.localReady[target]) {
      this.localPending[target].push(c);
      return;
    }
    this.sig.send({ type: 'trickle', target, candidate: c });
  }

  #localReadyFor(target) {
    this.localReady[target] = true;
    for (const c of this.localPending[target].splice(0)) {
      this.sig.send({ type: 'trickle', target, candidate: c });
    }
  }

  #remoteReadyFor(target) {
    this.remoteReady[target] = true;
    for (const c of this.remotePending[target].splice(0)) this.#addRemoteCandidate(target, c);
  }

  #addRemoteCandidate(target, c) {
    const pc = this.pcs[target];
    if (!pc || pc.signalingState === 'closed') return;
    let p;
    if (c === null) {
      p = pc.addIceCandidate();
    } else {
      const init = { candidate: c.candidate, sdpMid: c.sdpMid ?? null, sdpMLineIndex: c.sdpMLineIndex ?? null };
      if (init.sdpMid === null && init.sdpMLineIndex === null) init.sdpMLineIndex = 0; // one BUNDLE transport
      p = pc.addIceCandidate(init);
    }
    p.catch((e) => console.warn(`huizhen: ${target} candidate not added: ${e.message}`));
  }

  #onMessage(msg) {
    this.#record(msg);
    switch (msg.type) {
      case 'offer':
        this.offerChain = this.offerChain
          .then(() => this.#answerOffer(msg.sdp))
          .catch((e) => {
            if (!this.ended) this.ui.onError(e);
          });
        return;
      case 'trickle':
        if (!TARGETS.includes(msg.target)) return;
        if (this.remoteReady[msg.target]) this.#addRemoteCandidate(msg.target, msg.candidate ?? null);
        else this.remotePending[msg.target].push(msg.candidate ?? null);
        return;
      case 'error':
        if (msg.id === undefined && SERVER_DROPS.includes(msg.code)) {
          this.#serverDrop(msg.code);
          return;
        }
        this.ui.onMessage(msg);
        return;
      case 'room_closed':
        if (msg.reason === 'room_moved') {
          this.#serverDrop('room_moved');
          return;
        }
        this.#teardown();
        this.#setState('closed');
        this.ui.onMessage(msg);
        return;
      default:
        this.ui.onMessage(msg);
    }
  }

  #ensureSubscriber() {
    if (this.pcs.subscriber) return this.pcs.subscriber;
    const pc = this.#newPc('subscriber');
    pc.addEventListener('track', (e) => {
      const stream = e.streams[0];
      if (!stream) {
        console.warn('huizhen: a received track has no stream id; cannot place it');
        return;
      }
      const participantId = stream.id;
      if (!stream.hzWatched) {
        stream.hzWatched = true;
        stream.addEventListener('removetrack', (ev) => this.ui.onRemoteTrackGone(participantId, ev.track));
      }
      this.ui.onRemoteTrack(participantId, e.track);
    });
    return pc;
  }

  async #answerOffer(sdp) {
    if (this.ended) return;
    const pc = this.#ensureSubscriber();
    await pc.setRemoteDescription({ type: 'offer', sdp });
    this.#remoteReadyFor('subscriber');
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    if (this.ended) return;
    this.sig.send({ type: 'answer', sdp: pc.localDescription.sdp });
    this.#localReadyFor('subscriber');
  }

  /** Teaching: start publishing @stream after a promotion (joined with can_publish false). */
  async startPublishing(stream) {
    if (this.ended || this.pcs.publisher || !stream || stream.getTracks().length === 0) return;
    this.localStream = stream;
    this.publish = true;
    await this.#startPublisher();
  }

  /** Teaching: stop publishing after a demotion (the server withdrew our tracks already). */
  stopPublishing() {
    const pc = this.pcs.publisher;
    this.publish = false;
    this.pcs.publisher = null;
    this.hz.publisher = null;
    this.audioSender = this.videoSender = this.screenSender = null;
    this.localReady.publisher = this.remoteReady.publisher = this.localEnded.publisher = false;
    this.localPending.publisher = [];
    this.remotePending.publisher = [];
    if (pc) pc.close();
  }

  /** Screen share: @track as a second video track of the publisher, renegotiated with `publish`. */
  async addScreen(track, stream) {
    const pc = this.pcs.publisher;
    if (!pc) throw new Error('not publishing');
    this.screenSender = pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] }).sender;
    await this.#republish();
  }

  async removeScreen() {
    const pc = this.pcs.publisher;
    if (!pc || !this.screenSender) return;
    pc.removeTrack(this.screenSender);
    this.screenSender = null;
    await this.#republish();
  }

  async #republish() {
    const pc = this.pcs.publisher;
    await pc.setLocalDescription(await pc.createOffer());
    const answer = await this.sig.request({ type: 'publish', sdp: pc.localDescription.sdp });
    this.#record(answer);
    if (!this.ended && this.pcs.publisher === pc) await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
  }

  /** Mute or unmute our microphone ('audio') or camera ('video'). */
  async setMuted(kind, muted) {
    this.muted[kind] = muted;
    if (!this.publish || !this.pcs.publisher) return;
    if (kind === 'video' && this.videoSender) {
      const [video] = this.localStream.getVideoTracks();
      await this.videoSender.replaceTrack(muted ? null : video);
    }
    if (this.hz.state === 'joined') this.sig.send({ type: 'mute', kind, muted });
  }

  /** Swap the camera or microphone being sent (a device chosen during the call). */
  async replaceTrack(kind, track) {
    const sender = kind === 'video' ? this.videoSender : this.audioSender;
    if (!sender) return;
    if (kind === 'video' && this.muted.video) return; // setMuted(false) sends the new one
    await sender.replaceTrack(track);
  }

  /**
   * Send a message that has no success reply; onError(msg) runs if the server
   * refuses it (e.g. {"code":"unknown_type"} for a feature it does not have).
   */
  send(msg, onError) {
    if (!this.sig || !this.sig.isOpen) {
      if (onError) onError({ type: 'error', code: 'disconnected', message: 'not connected' });
      return false;
    }
    return this.sig.sendTracked(msg, onError);
  }

  /** Close everything without telling the page (a reconnect replaces this session). */
  dispose() {
    if (this.ended) return;
    this.#teardown();
  }

  /** Leave the room: tell the server, close both connections and the socket. */
  leave() {
    if (this.ended) return;
    if (this.sig && this.sig.isOpen) this.sig.send({ type: 'leave' });
    this.#teardown();
    this.#setState('left');
  }

  /**
   * The server ended our session but not necessarily the socket (node_lost,
   * unavailable, room_moved): close everything; once joined the page sees
   * 'disconnected' with dropReason set, before that join() rejects with it.
   */
  #serverDrop(reason) {
    if (this.ended) return;
    this.dropReason = reason;
    this.#teardown();
    if (this.joined) this.#setState('disconnected');
  }

  #onSocketClosed() {
    if (this.ended) return;
    this.#teardown();
    this.#setState('disconnected');
  }

  #teardown() {
    this.ended = true;
    for (const target of TARGETS) {
      const pc = this.pcs[target];
      if (pc) pc.close();
    }
    if (this.sig) this.sig.close();
  }
}
