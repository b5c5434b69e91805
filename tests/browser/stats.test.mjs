// The web client's statistics helpers without a browser: imports
// web-client/src/consult/stats.js into node and checks the pure functions on
// hand-made getStats()-like Maps. transportOf(): the pair selected by the
// 'transport' stats (selectedCandidatePairId) with a local host UDP candidate
// is 'udp', a local 'tcp' candidate is 'tcp' (ICE-TCP: the network blocks
// UDP), a local 'relay' candidate is {kind 'relay', protocol = relayProtocol};
// without transport stats a nominated succeeded candidate-pair is used;
// nothing selected gives null. transportHint(): dictionary keys and
// parameters, which exist in both dictionaries and render. classify() and
// hintKey() basics. Prints "ok - ..." / "not ok - ..." lines; exits 1 on any
// failure.
import { Checks } from './chromium.mjs';
import { classify, hintKey, transportOf, transportHint } from '../../web-client/src/consult/stats.js';
import { t } from '../../web-client/src/lib/i18n.js';
import zhCN from '../../web-client/src/locales/zh-CN.js';
import en from '../../web-client/src/locales/en.js';

const checks = new Checks('browser-stats');
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const eq = (actual, expected, what) => checks.ok(same(actual, expected), what,
  `expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);

// A getStats() report is a Map of id -> stats object, each with its id.
function report(...stats) {
  return new Map(stats.map((s) => [s.id, s]));
}

const localCand = (id, o) => ({ id, type: 'local-candidate', address: '10.0.0.2', port: 50000, ...o });
const remoteCand = (id, o) => ({ id, type: 'remote-candidate', address: '10.91.0.1', port: 31000, candidateType: 'host', ...o });
const pair = (id, local, remote, o = {}) => ({ id, type: 'candidate-pair', localCandidateId: local, remoteCandidateId: remote,
  state: 'succeeded', nominated: true, currentRoundTripTime: 0.02, ...o });
const transport = (pairId) => ({ id: 'T01', type: 'transport', dtlsState: 'connected', selectedCandidatePairId: pairId });
const outbound = { id: 'OT01V', type: 'outbound-rtp', kind: 'video', packetsSent: 100, bytesSent: 100000 };

// ---- transportOf -------------------------------------------------------------
// Direct UDP: the selected pair's local candidate is a host UDP candidate.
eq(transportOf(report(
  transport('CP1'),
  pair('CP1', 'L1', 'R1'),
  localCand('L1', { candidateType: 'host', protocol: 'udp' }),
  remoteCand('R1', { protocol: 'udp' }),
  outbound,
)), { kind: 'udp', protocol: 'udp' }, "transportOf: selected pair with a local host UDP candidate -> kind 'udp'");

// Server-reflexive / peer-reflexive UDP is still direct UDP.
eq(transportOf(report(
  transport('CP1'),
  pair('CP1', 'L1', 'R1'),
  localCand('L1', { candidateType: 'prflx', protocol: 'udp' }),
  remoteCand('R1', { protocol: 'udp' }),
)), { kind: 'udp', protocol: 'udp' }, "transportOf: local prflx UDP candidate -> kind 'udp'");

// ICE-TCP: the local candidate's protocol is 'tcp' (active, to the server's passive one).
eq(transportOf(report(
  transport('CP2'),
  pair('CP2', 'L2', 'R2'),
  localCand('L2', { candidateType: 'host', protocol: 'tcp', tcpType: 'active', port: 9 }),
  remoteCand('R2', { protocol: 'tcp', tcpType: 'passive', port: 18444 }),
)), { kind: 'tcp', protocol: 'tcp' }, "transportOf: local candidate protocol 'tcp' -> kind 'tcp'");

// The transport's selected pair wins over other nominated/succeeded pairs in the report.
eq(transportOf(report(
  pair('CP0', 'L0', 'R1'), // an older nominated UDP pair, listed first
  localCand('L0', { candidateType: 'host', protocol: 'udp' }),
  transport('CP2'),
  pair('CP2', 'L2', 'R2'),
  localCand('L2', { candidateType: 'host', protocol: 'tcp', tcpType: 'active' }),
  remoteCand('R1', { protocol: 'udp' }),
  remoteCand('R2', { protocol: 'tcp', tcpType: 'passive' }),
)), { kind: 'tcp', protocol: 'tcp' }, "transportOf: the transport's selectedCandidatePairId wins over another nominated pair listed before it");

// TURN over TLS: a relay candidate, relayProtocol 'tls' (its own protocol is udp: the relayed address).
eq(transportOf(report(
  transport('CP3'),
  pair('CP3', 'L3', 'R3'),
  localCand('L3', { candidateType: 'relay', protocol: 'udp', relayProtocol: 'tls', url: 'turns:turn.example:5349?transport=tcp' }),
  remoteCand('R3', { protocol: 'udp' }),
)), { kind: 'relay', protocol: 'tls' }, "transportOf: candidateType 'relay' with relayProtocol 'tls' -> {kind 'relay', protocol 'tls'}");

eq(transportOf(report(
  transport('CP3'),
  pair('CP3', 'L3', 'R3'),
  localCand('L3', { candidateType: 'relay', protocol: 'udp', relayProtocol: 'udp' }),
  remoteCand('R3', { protocol: 'udp' }),
)), { kind: 'relay', protocol: 'udp' }, "transportOf: relay with relayProtocol 'udp' -> {kind 'relay', protocol 'udp'}");

// No transport stats (e.g. Firefox): a nominated succeeded candidate-pair is used,
// not a failed or merely in-progress one listed before it.
eq(transportOf(report(
  pair('CPa', 'La', 'R1', { state: 'failed', nominated: false }),
  pair('CPb', 'Lb', 'R1', { state: 'in-progress', nominated: false }),
  pair('CPc', 'Lc', 'R2', { state: 'succeeded', nominated: true }),
  localCand('La', { candidateType: 'host', protocol: 'udp' }),
  localCand('Lb', { candidateType: 'host', protocol: 'udp' }),
  localCand('Lc', { candidateType: 'host', protocol: 'tcp', tcpType: 'active' }),
  remoteCand('R1', { protocol: 'udp' }),
  remoteCand('R2', { protocol: 'tcp', tcpType: 'passive' }),
)), { kind: 'tcp', protocol: 'tcp' }, 'transportOf: no transport stats -> the nominated succeeded candidate-pair is used');

// Transport stats without a selected pair yet (still checking): fall back, and here there is none.
eq(transportOf(report(
  { id: 'T01', type: 'transport', dtlsState: 'new' },
  pair('CPa', 'La', 'R1', { state: 'in-progress', nominated: false }),
  localCand('La', { candidateType: 'host', protocol: 'udp' }),
  remoteCand('R1', { protocol: 'udp' }),
)), null, 'transportOf: transport stats without selectedCandidatePairId and no succeeded pair -> null');

eq(transportOf(new Map()), null, 'transportOf: an empty report -> null');
eq(transportOf(report(outbound)), null, 'transportOf: a report with only RTP stats -> null');
eq(transportOf(report(transport('CPgone'), localCand('L1', { candidateType: 'host', protocol: 'udp' }))), null,
  'transportOf: a selectedCandidatePairId that is not in the report and no other pair -> null');
eq(transportOf(report(transport('CP1'), pair('CP1', 'Lgone', 'R1'), remoteCand('R1', { protocol: 'udp' }))), null,
  'transportOf: a selected pair whose local candidate is missing -> null');

// ---- transportHint -------------------------------------------------------------
eq(transportHint(null), null, 'transportHint(null) -> null (nothing to tell before a pair is selected)');
eq(transportHint({ kind: 'udp', protocol: 'udp' }), null, 'transportHint(udp) -> null (direct UDP is not worth telling)');
eq(transportHint({ kind: 'tcp', protocol: 'tcp' }), { key: 'quality.transport_tcp', params: {} },
  "transportHint(tcp) -> key 'quality.transport_tcp'");
eq(transportHint({ kind: 'relay', protocol: 'tls' }), { key: 'quality.transport_relay', params: { protocol: 'TLS' } },
  "transportHint(relay/tls) -> key 'quality.transport_relay', protocol 'TLS'");
eq(transportHint({ kind: 'relay', protocol: 'udp' }), { key: 'quality.transport_relay', params: { protocol: 'UDP' } },
  "transportHint(relay/udp) -> protocol 'UDP'");

// The keys exist in both dictionaries and render with their parameters.
for (const key of ['quality.transport_tcp', 'quality.transport_relay']) {
  checks.ok(typeof zhCN[key] === 'string' && typeof en[key] === 'string', `${key} is in both dictionaries`);
}
const tcpText = t('quality.transport_tcp', {});
checks.ok(tcpText.includes('TCP') && tcpText.includes('UDP') && tcpText !== 'quality.transport_tcp',
  `the zh-CN TCP hint names TCP and UDP: "${tcpText}"`);
checks.ok(en['quality.transport_tcp'].includes('TCP'), `the en TCP hint names TCP: "${en['quality.transport_tcp']}"`);
const th = transportHint(transportOf(report(
  transport('CP3'),
  pair('CP3', 'L3', 'R3'),
  localCand('L3', { candidateType: 'relay', protocol: 'udp', relayProtocol: 'tls' }),
  remoteCand('R3', { protocol: 'udp' }),
)));
const relayText = th ? t(th.key, th.params) : '';
checks.ok(relayText.includes('TLS') && !relayText.includes('{protocol}'),
  `a TURN/TLS relay renders its protocol into the zh-CN hint: "${relayText}"`);

// ---- classify / hintKey ------------------------------------------------------------
eq(classify({ lossPct: 0, rttMs: 0, packets: 0 }), 'unknown', 'classify: no packets -> unknown');
eq(classify({ lossPct: 0, rttMs: 40, packets: 50 }), 'good', 'classify: no loss, 40 ms -> good');
eq(classify({ lossPct: 3, rttMs: 40, packets: 50 }), 'fair', 'classify: 3 % loss -> fair');
eq(classify({ lossPct: 0, rttMs: 300, packets: 50 }), 'fair', 'classify: 300 ms -> fair');
eq(classify({ lossPct: 10, rttMs: 40, packets: 50 }), 'poor', 'classify: 10 % loss -> poor');
eq(classify({ lossPct: 0, rttMs: 600, packets: 50 }), 'poor', 'classify: 600 ms -> poor');

eq(hintKey({ self: true, limited: 'bandwidth', level: 'good' }), 'quality.hint_send_limited', 'hintKey: own sending limited by bandwidth');
eq(hintKey({ self: false, limited: 'bandwidth', level: 'good' }), 'quality.hint_good', 'hintKey: bandwidth limit only matters for ourselves');
eq(hintKey({ level: 'poor', height: 180 }), 'quality.hint_low_res', 'hintKey: poor at 180p -> low resolution');
eq(hintKey({ level: 'poor', height: 720 }), 'quality.hint_poor', 'hintKey: poor at 720p -> poor');
eq(hintKey({ level: 'poor', height: 0 }), 'quality.hint_poor', 'hintKey: poor without video -> poor');
eq(hintKey({ level: 'fair' }), 'quality.hint_fair', 'hintKey: fair');
eq(hintKey({ level: 'good' }), 'quality.hint_good', 'hintKey: good');
eq(hintKey({ level: 'unknown' }), 'quality.hint_unknown', 'hintKey: unknown');
for (const key of ['quality.hint_send_limited', 'quality.hint_low_res', 'quality.hint_poor', 'quality.hint_fair', 'quality.hint_good', 'quality.hint_unknown']) {
  checks.ok(typeof zhCN[key] === 'string' && typeof en[key] === 'string', `${key} is in both dictionaries`);
}

checks.finish();
