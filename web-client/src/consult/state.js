// The consult page's state, shared by its modules, and window.hzClient: the
// live connections and what the server said, for tests and troubleshooting.

export const hz = {
  publisher: null,
  subscriber: null,
  signaling: null,
  participantId: null,
  // idle | connecting | joined | reconnecting | interrupted (a failover gave up:
  // retry button) | left | closed | failed | removed
  state: 'idle',
  lastDrop: null, // why the last reconnect started: socket, ice-*, node_lost, unavailable, room_moved, retry
  failoverReason: null, // the last cluster failover: node_lost, unavailable or room_moved
  joinedAt: null,
  reconnects: 0,
  events: [],
  quality: {},
  activeSpeaker: null,
  device: { tone: 'idle', micLevel: 0 },
  notices: [],
  // Rejoin schedule after a cluster failover (node_lost, unavailable,
  // room_moved): 1, 2, 4, 8, 8 … s, ten attempts (about a minute), then a
  // message with a retry button. Tests may shorten it.
  failoverSchedule: { delaysMs: [1000, 2000, 4000, 8000], maxAttempts: 10 },
};
window.hzClient = hz;

// Participant ids are compared as strings: a stream id (from a=msid) is a string.
export const idOf = (x) => (x === null || x === undefined ? null : String(x));
export const myId = () => idOf(hz.participantId);

export const page = {
  token: null,
  claims: null,
  room: null, // the `room` object of the joined reply
  canModerate: false,
  localStream: null,
  muted: { audio: false, video: false },
  audioOnly: false,
  handRaised: false,
  devices: { audioinput: '', videoinput: '', audiooutput: '' },
  session: null,
  participants: new Map(), // id -> { id, display_name, institution, role, hand }
  tiles: new Map(), // id -> { el, video, stream, mutedKinds:Set }
  quality: new Map(), // id -> quality record (stats.js)
  speaker: null, // id on the stage because they speak
  serverSpeakerAt: 0, // when the server last named the active speaker
  pinned: null, // a participant the user put on the stage
  pinnedPerson: null, // who that was (role|name|institution), to pin them again after a rejoin
  viewerOpen: false, // the shared viewer (src/viewer/) has the stage; every tile goes to the strip
  mediaMessage: null, // { key, params, kind }
  banner: null, // { key, params }
  tokenProblem: null,
  userLeft: false,
  reconnectTimer: null,
  reconnectAttempt: 0,
  failover: false, // reconnecting because of a cluster failover (shorter schedule)
  failoverFailed: false, // the failover attempts ran out: banner with a retry button
};
