// Every getUserMedia error name maps to its own message key; unknown ones to the general one.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { KNOWN_ERRORS, errorKey } from '../../patientapp/static/js/check/camera.js';

test('known getUserMedia errors keep their names', () => {
  for (const name of KNOWN_ERRORS) {
    assert.equal(errorKey('camera', { name }), `camera.${name}`);
    assert.equal(errorKey('microphone', { name }), `microphone.${name}`);
  }
});

test('old and unknown error names fall back sensibly', () => {
  assert.equal(errorKey('camera', { name: 'PermissionDeniedError' }), 'camera.NotAllowedError');
  assert.equal(errorKey('camera', { name: 'OverconstrainedError' }), 'camera.other');
  assert.equal(errorKey('microphone', { name: 'AbortError' }), 'microphone.other');
  assert.equal(errorKey('camera', null), 'camera.other');
});
