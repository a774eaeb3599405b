import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Messages } from '../../patientapp/static/js/check/i18n.js';

test('placeholders and literal percent signs', () => {
  const messages = new Messages({ level: 'Lydnivå: %(level)s %%', size: '%(width)s × %(height)s' }, 'nb');
  assert.equal(messages.t('level', { level: 42 }), 'Lydnivå: 42 %');
  assert.equal(messages.t('size', { width: 640, height: 480 }), '640 × 480');
  assert.equal(messages.t('missing'), '');
});

test('numbers follow the language', () => {
  assert.equal(new Messages({}, 'ar').number(12), '12');  // Western digits, as the server writes dates
  assert.equal(new Messages({}, 'ar').percent(68).replace(/[\u200e\u200f\u061c]/g, ''), '68%');
  assert.equal(new Messages({}, 'nb').number(1.25, 1), '1,3');
  assert.equal(new Messages({}, 'en').number(1280, 0, false), '1280');
});

test('percentages follow the language', () => {
  assert.equal(new Messages({}, 'nb').percent(68), '68\u00a0%');
  assert.equal(new Messages({}, 'en').percent(68), '68%');
});

test('dataset keys follow the DOM: dashes before digits stay', async () => {
  const { datasetKey } = await import('../../patientapp/static/js/shared/dataset-key.js');
  assert.equal(datasetKey('late-10'), 'late-10');
  assert.equal(datasetKey('will-call'), 'willCall');
  assert.equal(datasetKey('device-ios'), 'deviceIos');
});
