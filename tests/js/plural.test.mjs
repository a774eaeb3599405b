import assert from 'node:assert/strict';
import { test } from 'node:test';

import { plural } from '../../patientapp/static/js/shared/plural.js';

// Tables as i18n.plural_forms hands them to the page (sentences shortened).
const AR = JSON.stringify({
  zero: 'لا دقائق', one: 'دقيقة واحدة', two: 'دقيقتان', few: '{n} دقائق', many: '{n} دقيقة', other: '{n} دقيقة',
});
const PL = JSON.stringify({ one: '{n} minuta', few: '{n} minuty', many: '{n} minut', other: '{n} minuty' });

test('Arabic takes دقائق for 3 to 10 and دقيقة from 11', () => {
  assert.equal(plural(AR, 3, 'ar'), '3 دقائق');
  assert.equal(plural(AR, 10, 'ar'), '10 دقائق');
  assert.equal(plural(AR, 11, 'ar'), '11 دقيقة');
  assert.equal(plural(AR, 2, 'ar'), 'دقيقتان');
  assert.equal(plural(AR, 0, 'ar'), 'لا دقائق');
});

test('Polish takes minuty for 2 to 4 and 22, minut for 5 and 12', () => {
  assert.equal(plural(PL, 1, 'pl'), '1 minuta');
  assert.equal(plural(PL, 3, 'pl'), '3 minuty');
  assert.equal(plural(PL, 22, 'pl'), '22 minuty');
  assert.equal(plural(PL, 5, 'pl'), '5 minut');
  assert.equal(plural(PL, 12, 'pl'), '12 minut');
});

test('a broken or missing table gives no text rather than an error', () => {
  assert.equal(plural('{', 3, 'nb'), '');
  assert.equal(plural('', 3, 'nb'), '');
});
