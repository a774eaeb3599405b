/**
 * Can we hear the patient? A DOM-free tracker fed with the level meter's readings (RMS and peak of
 * each block, 0–1 of full scale). Thresholds follow testRTC (below −60 dBFS is too low) and Twilio
 * (about 1 % of full scale, −40 dBFS, over 3 s means nobody is speaking into it).
 */

export const LEVEL = {
  voiceRms: 0.01, // −40 dBFS: somebody is speaking
  silentRms: 0.001, // −60 dBFS: nothing but the noise floor
  voicedMs: 300, // this much speech is enough to say "we can hear you"
  listenMs: 5000, // after this long without speech, say what is wrong
  clipPeak: 0.99, // a block whose peak reaches full scale is clipped
  clipShare: 0.05, // this share of clipped blocks is distortion worth mentioning
  minBlocks: 20,
};

/** Converts an RMS value (0–1) to a meter percentage: −60 dBFS and below is 0, 0 dBFS is 100. */
export function meterPercent(rms) {
  if (rms <= 0) return 0;
  const db = 20 * Math.log10(rms);
  return Math.max(0, Math.min(100, Math.round(((db + 60) / 60) * 100)));
}

/**
 * The meter's reading in a word the patient can act on, with the <meter>'s own low and high marks
 * (check.html: low=20, high=90): "quiet", "good" or "loud".
 */
export function levelWord(percent) {
  if (percent < 20) return 'quiet';
  return percent > 90 ? 'loud' : 'good';
}

export class LevelTracker {
  constructor(startMs = 0) {
    this.reset(startMs);
  }

  /** Start listening afresh (e.g. "check again"). */
  reset(startMs = 0) {
    this.startMs = startMs;
    this.lastMs = startMs;
    this.voicedMs = 0;
    this.maxRms = 0;
    this.blocks = 0;
    this.clipped = 0;
  }

  /**
   * One reading from the meter.
   * @param {number} rms 0–1
   * @param {number} peak 0–1
   * @param {number} nowMs
   */
  add(rms, peak, nowMs) {
    const elapsed = Math.max(0, nowMs - this.lastMs);
    this.lastMs = nowMs;
    this.blocks += 1;
    if (rms > this.maxRms) this.maxRms = rms;
    if (rms >= LEVEL.voiceRms) this.voicedMs += elapsed;
    if (peak >= LEVEL.clipPeak) this.clipped += 1;
  }

  /** @returns {{kind: 'listening'|'ok'|'clipping'|'quiet'|'silent', status: 'pending'|'ok'|'warn'|'fail'}} */
  result() {
    if (this.voicedMs >= LEVEL.voicedMs) {
      if (this.blocks >= LEVEL.minBlocks && this.clipped / this.blocks >= LEVEL.clipShare) return { kind: 'clipping', status: 'warn' };
      return { kind: 'ok', status: 'ok' };
    }
    if (this.lastMs - this.startMs < LEVEL.listenMs) return { kind: 'listening', status: 'pending' };
    if (this.maxRms < LEVEL.silentRms) return { kind: 'silent', status: 'fail' };
    return { kind: 'quiet', status: 'warn' };
  }
}
