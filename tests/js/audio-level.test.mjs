// The microphone verdict over time: speech, silence, a faint voice, clipping.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { LEVEL, LevelTracker, meterPercent } from '../../patientapp/static/js/check/audio-level.js';

function feed(tracker, { rms, peak = rms * 1.4, seconds, from = 0 }) {
  for (let t = from; t <= from + seconds * 1000; t += 50) tracker.add(rms, peak, t);
  return tracker.result();
}

test('speech is recognised within a second', () => {
  const tracker = new LevelTracker(0);
  assert.equal(feed(tracker, { rms: 0.05, seconds: 0.2 }).kind, 'listening');
  assert.deepEqual(feed(tracker, { rms: 0.05, seconds: 0.5, from: 250 }), { kind: 'ok', status: 'ok' });
});

test('silence is listened to for five seconds, then fails', () => {
  const tracker = new LevelTracker(0);
  assert.equal(feed(tracker, { rms: 0.0001, seconds: 4 }).status, 'pending');
  assert.deepEqual(feed(tracker, { rms: 0.0001, seconds: 1.2, from: 4050 }), { kind: 'silent', status: 'fail' });
});

test('a voice between −60 and −40 dBFS is faint', () => {
  const tracker = new LevelTracker(0);
  assert.deepEqual(feed(tracker, { rms: 0.004, seconds: 6 }), { kind: 'quiet', status: 'warn' });
});

test('full-scale peaks in many blocks are clipping', () => {
  const tracker = new LevelTracker(0);
  assert.deepEqual(feed(tracker, { rms: 0.5, peak: 1.0, seconds: 2 }), { kind: 'clipping', status: 'warn' });
});

test('reset starts listening afresh', () => {
  const tracker = new LevelTracker(0);
  feed(tracker, { rms: 0.05, seconds: 1 });
  tracker.reset(10000);
  assert.equal(tracker.result().kind, 'listening');
});

test('the meter maps −60…0 dBFS to 0…100 %', () => {
  assert.equal(meterPercent(0), 0);
  assert.equal(meterPercent(LEVEL.silentRms), 0);
  assert.equal(meterPercent(1), 100);
  assert.equal(meterPercent(0.031622776), 50);
});
