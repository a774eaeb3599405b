/**
 * Can this browser take part in a video call? Pure functions of the user agent and a few
 * feature flags, so they can be tested in node. In-app browsers (Facebook, Instagram, Messenger,
 * an SMS app's own view) are the commonest trap: the camera often does not work there.
 */

const IN_APP = /FBAN|FBAV|FB_IAB|FBIOS|Instagram|Messenger|Line\/|Snapchat|musical_ly|BytedanceWebview|TikTok|GSA\/|Twitter|LinkedInApp|Pinterest|KAKAOTALK|; wv\)/;

/**
 * @param {string} ua navigator.userAgent
 * @param {number} touchPoints navigator.maxTouchPoints (iPads report themselves as Macs)
 * @returns {'android'|'ios'|'windows'|'mac'|'other'}
 */
export function platformOf(ua, touchPoints = 0) {
  if (/Android/i.test(ua)) return 'android';
  if (/iPhone|iPad|iPod/.test(ua) || (/Macintosh/.test(ua) && touchPoints > 1)) return 'ios';
  if (/Windows/.test(ua)) return 'windows';
  if (/Macintosh|Mac OS X/.test(ua)) return 'mac';
  return 'other';
}

/**
 * @param {{ua: string, touchPoints?: number, secure: boolean, getUserMedia: boolean, peerConnection: boolean}} env
 * @returns {{status: 'ok'|'warn'|'fail', key: string, platform: string}}
 */
export function classifyBrowser(env) {
  const platform = platformOf(env.ua, env.touchPoints);
  const result = (status, key) => ({ status, key, platform });
  if (IN_APP.test(env.ua) || (platform === 'ios' && !/Safari\//.test(env.ua) && !/CriOS|FxiOS|EdgiOS/.test(env.ua))) {
    return result('fail', platform === 'android' ? 'browser.inapp.android' : platform === 'ios' ? 'browser.inapp.ios' : 'browser.inapp.other');
  }
  if (!env.secure) return result('fail', 'browser.insecure');
  if (!env.getUserMedia || !env.peerConnection) return result('fail', 'browser.missing');
  // The video services support Chrome, Edge and Safari (and Firefox on a PC); others may not work.
  if (/SamsungBrowser|OPR\/|Opera|UCBrowser|YaBrowser|MiuiBrowser|HuaweiBrowser/.test(env.ua)) return result('warn', 'browser.unsupported');
  if (/Firefox|FxiOS/.test(env.ua) && (platform === 'android' || platform === 'ios')) return result('warn', 'browser.unsupported');
  return result('ok', 'browser.ok');
}
