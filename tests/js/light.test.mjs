// Light classifier on synthetic frames: uniform light, a dark face, a backlit face, burnt-out light.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { LIGHT, classifyLight, measureLight } from '../../patientapp/static/js/check/light.js';

const W = 64;
const H = 48;

/** A frame whose centre (the face) has luma `centre` and the rest `ring`. */
function frame(centre, ring) {
  const data = new Uint8ClampedArray(W * H * 4);
  for (let y = 0; y < H; y += 1) {
    for (let x = 0; x < W; x += 1) {
      const inCentre = x >= W / 4 && x < (W * 3) / 4 && y >= H / 5 && y < (H * 4) / 5;
      const value = inCentre ? centre : ring;
      data.set([value, value, value, 255], (y * W + x) * 4);
    }
  }
  return data;
}

const classify = (centre, ring) => classifyLight(measureLight(frame(centre, ring), W, H));

test('measures centre and ring separately', () => {
  const m = measureLight(frame(100, 200), W, H);
  assert.equal(Math.round(m.centre), 100);
  assert.equal(Math.round(m.ring), 200);
  assert.ok(m.mean > 100 && m.mean < 200);
});

test('a black frame means the camera is covered', () => {
  assert.deepEqual(classify(0, 0), { kind: 'black', status: 'fail' });
});

test('dark rooms: very dark fails, dark warns', () => {
  assert.deepEqual(classify(20, 20), { kind: 'dark', status: 'fail' });
  assert.deepEqual(classify(45, 45), { kind: 'dark', status: 'warn' });
  assert.deepEqual(classify(LIGHT.dark - 1, LIGHT.dark - 1), { kind: 'dark', status: 'warn' });
  assert.equal(classify(LIGHT.dark + 1, LIGHT.dark + 1).kind, 'ok');
});

test('a bright window behind a dark face is backlight, not darkness', () => {
  assert.deepEqual(classify(40, 235), { kind: 'backlit', status: 'warn' });
  assert.deepEqual(classify(110, 240), { kind: 'backlit', status: 'warn' });
  // A bright but evenly lit room is fine.
  assert.equal(classify(170, 200).kind, 'ok');
});

test('burnt-out light is too bright', () => {
  assert.deepEqual(classify(252, 252), { kind: 'bright', status: 'warn' });
});

test('a well-lit face is good', () => {
  assert.deepEqual(classify(150, 120), { kind: 'ok', status: 'ok' });
});
