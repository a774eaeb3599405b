// Browser recognition: in-app browsers, unsupported browsers, missing features, platforms.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { classifyBrowser, platformOf } from '../../patientapp/static/js/check/browser-support.js';

const UA = {
  androidChrome: 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36',
  androidFacebook: 'Mozilla/5.0 (Linux; Android 13; SM-A536B Build/TP1A; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/126.0.6478.71 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/471.0.0.35.74;]',
  androidWebView: 'Mozilla/5.0 (Linux; Android 12; Pixel 6 Build/SQ3A; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0 Mobile Safari/537.36',
  iphoneSafari: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  iphoneInstagram: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 334.0.4.32.98',
  iphoneMessagesView: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
  iphoneChrome: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1',
  ipad: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  windowsEdge: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0',
  samsung: 'Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36',
};

const env = (ua, extra = {}) => ({ ua, touchPoints: 0, secure: true, getUserMedia: true, peerConnection: true, ...extra });

test('platforms, including iPads that call themselves Macs', () => {
  assert.equal(platformOf(UA.androidChrome), 'android');
  assert.equal(platformOf(UA.iphoneSafari), 'ios');
  assert.equal(platformOf(UA.ipad, 5), 'ios');
  assert.equal(platformOf(UA.ipad, 0), 'mac');
  assert.equal(platformOf(UA.windowsEdge), 'windows');
  assert.equal(platformOf('curl/8'), 'other');
});

test('ordinary browsers pass', () => {
  for (const ua of [UA.androidChrome, UA.iphoneSafari, UA.iphoneChrome, UA.windowsEdge]) {
    assert.deepEqual(classifyBrowser(env(ua)).status, 'ok', ua);
  }
});

test('in-app browsers fail with the steps for their platform', () => {
  assert.equal(classifyBrowser(env(UA.androidFacebook)).key, 'browser.inapp.android');
  assert.equal(classifyBrowser(env(UA.androidWebView)).key, 'browser.inapp.android');
  assert.equal(classifyBrowser(env(UA.iphoneInstagram)).key, 'browser.inapp.ios');
  assert.equal(classifyBrowser(env(UA.iphoneMessagesView)).key, 'browser.inapp.ios');
  assert.equal(classifyBrowser(env(UA.iphoneInstagram)).status, 'fail');
});

test('browsers the video services do not support get a warning', () => {
  assert.deepEqual(classifyBrowser(env(UA.samsung)), { status: 'warn', key: 'browser.unsupported', platform: 'android' });
});

test('missing features and insecure pages fail', () => {
  assert.equal(classifyBrowser(env(UA.windowsEdge, { getUserMedia: false })).key, 'browser.missing');
  assert.equal(classifyBrowser(env(UA.windowsEdge, { peerConnection: false })).key, 'browser.missing');
  assert.equal(classifyBrowser(env(UA.windowsEdge, { secure: false })).key, 'browser.insecure');
});
