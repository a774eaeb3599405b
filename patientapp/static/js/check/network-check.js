/**
 * Round-trip time and download speed to our own server, and, when the clinic names STUN/TURN
 * servers, whether they answer. Thresholds (from the server's configuration) follow Daily's:
 * good is under 300 ms and at least 1.1 Mbit/s; below 0.7 Mbit/s video suffers.
 */

const TIMEOUT_MS = 15000;

async function timed(url) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  const started = performance.now();
  try {
    const response = await fetch(url, { cache: 'no-store', credentials: 'same-origin', signal: controller.signal });
    const bytes = (await response.arrayBuffer()).byteLength;
    if (!response.ok) throw Object.assign(new Error(`HTTP ${response.status}`), { status: response.status });
    return { ms: performance.now() - started, bytes };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * @param {{pingUrl: string, downloadUrl: string, thresholds: {goodRttMs: number, goodMbps: number, poorMbps: number}}} config
 * @returns {Promise<{status: string, key: string, rttMs?: number, mbps?: number}>}
 */
export async function measureNetwork(config) {
  if (navigator.onLine === false) return { status: 'fail', key: 'network.offline' };
  try {
    const rtts = [];
    for (let i = 0; i < 5; i += 1) rtts.push((await timed(`${config.pingUrl}?n=${i}`)).ms);
    rtts.sort((a, b) => a - b);
    const rttMs = rtts[2];
    let download;
    try {
      download = await timed(config.downloadUrl);
    } catch (error) {
      // The server limits speed samples per address (many checks in a row, or a clinic behind one
      // address): the line answered quickly, so judge it by the round trip alone, never as "poor".
      if (error.status !== 429) throw error;
      const status = rttMs >= config.thresholds.goodRttMs ? 'warn' : 'ok';
      return { status, key: status === 'ok' ? 'network.ok' : 'network.fair', rttMs };
    }
    const seconds = Math.max(download.ms - rttMs, 1) / 1000;
    const mbps = (download.bytes * 8) / seconds / 1e6;
    const { goodRttMs, goodMbps, poorMbps } = config.thresholds;
    const status = mbps < poorMbps ? 'fail' : mbps < goodMbps || rttMs >= goodRttMs ? 'warn' : 'ok';
    return { status, key: { ok: 'network.ok', warn: 'network.fair', fail: 'network.poor' }[status], rttMs, mbps };
  } catch {
    return { status: 'fail', key: navigator.onLine === false ? 'network.offline' : 'network.poor' };
  }
}

/**
 * Whether the clinic's STUN/TURN servers answer from this network: a server-reflexive or relay
 * candidate appears within a few seconds. No media is sent.
 * @param {RTCIceServer[]} iceServers
 * @returns {Promise<boolean|null>} null when there is nothing to test
 */
export async function iceReachable(iceServers, waitMs = 5000) {
  if (!iceServers?.length || !window.RTCPeerConnection) return null;
  const connection = new RTCPeerConnection({ iceServers });
  try {
    connection.createDataChannel('probe');
    const found = new Promise((resolve) => {
      connection.addEventListener('icecandidate', (event) => {
        if (!event.candidate) resolve(false);
        else if (/ typ (srflx|relay)/.test(event.candidate.candidate)) resolve(true);
      });
      setTimeout(() => resolve(false), waitMs);
    });
    await connection.setLocalDescription(await connection.createOffer());
    return await found;
  } finally {
    connection.close();
  }
}
