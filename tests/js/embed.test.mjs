// The embedded frame names its parent only when the clinic registered it; the check knows when the
// website's frame, not the patient, keeps the camera away (R36, R40).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { framePolicy } from '../../patientapp/static/js/check/frame-policy.js';
import { NAME_PREFIX, parentOrigin } from '../../patientapp/static/js/embed/parent-origin.js';

const ALLOWED = ['https://www.nordby.no', 'http://localhost:5000'];
const SELF = 'http://localhost:5000';

test('ancestorOrigins decides where the browser has it', () => {
  assert.equal(parentOrigin({ ancestorOrigins: ['https://www.nordby.no'], self: SELF }, ALLOWED), 'https://www.nordby.no');
  // A parent that is not registered hears nothing, whatever the name or referrer claim.
  assert.equal(parentOrigin({ ancestorOrigins: ['https://evil.example'], name: `${NAME_PREFIX}https://www.nordby.no`,
    referrer: 'https://www.nordby.no/', self: SELF }, ALLOWED), null);
  assert.equal(parentOrigin({ ancestorOrigins: [], self: SELF }, ALLOWED), null);
});

test('without ancestorOrigins, the name from embed.js and then the first referrer', () => {
  assert.equal(parentOrigin({ name: `${NAME_PREFIX}https://www.nordby.no`, referrer: `${SELF}/embed/x/nb/`, self: SELF }, ALLOWED),
    'https://www.nordby.no');
  assert.equal(parentOrigin({ name: '', referrer: 'https://www.nordby.no/kontakt', self: SELF }, ALLOWED), 'https://www.nordby.no');
  // Later pages in the frame have our own page as referrer: that says nothing about the parent.
  assert.equal(parentOrigin({ name: '', referrer: `${SELF}/embed/x/nb/`, self: SELF }, ALLOWED), null);
  assert.equal(parentOrigin({ name: `${NAME_PREFIX}https://evil.example`, referrer: '', self: SELF }, ALLOWED), null);
  assert.equal(parentOrigin({ name: 'x', referrer: 'not a url', self: SELF }, ALLOWED), null);
  assert.equal(parentOrigin({ referrer: 'https://www.nordby.no.evil.example/', self: SELF }, ALLOWED), null);
});

function fakeWindow({ framed, allowed }) {
  const win = { document: {} };
  win.self = win;
  win.top = framed ? {} : win;
  if (allowed !== undefined) {
    win.document.featurePolicy = { allowsFeature: (feature) => allowed.includes(feature) };
  }
  return win;
}

test('a frame without allow="camera; microphone" is recognised', () => {
  assert.deepEqual(framePolicy(fakeWindow({ framed: true, allowed: [] })), { framed: true, camera: false, microphone: false });
  assert.deepEqual(framePolicy(fakeWindow({ framed: true, allowed: ['camera', 'microphone'] })),
    { framed: true, camera: true, microphone: true });
  assert.deepEqual(framePolicy(fakeWindow({ framed: false, allowed: ['camera', 'microphone'] })),
    { framed: false, camera: true, microphone: true });
  // Browsers without the Permissions Policy API: unknown, not "allowed".
  assert.deepEqual(framePolicy(fakeWindow({ framed: true })), { framed: true, camera: null, microphone: null });
});

test('a cross-origin top that cannot be compared counts as framed', () => {
  const win = { document: {} };
  win.self = win;
  Object.defineProperty(win, 'top', { get() { throw new Error('SecurityError'); } });
  assert.equal(framePolicy(win).framed, true);
});
