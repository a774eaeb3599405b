/**
 * The waiting room: knock after reading the consent text (R14), then ask for news. While the patient
 * waits, the server holds each question open until something changes (up to data-hold seconds), so
 * an admission arrives within a second; otherwise the page asks every data-poll seconds. When the
 * network is gone it backs off with jitter (R60) and keeps the same knock when it returns. When the
 * clinician lets the patient in, check that the video service answers and go there; if it does not,
 * say so calmly and tell the clinic (R59).
 */
import { platformOf } from '../check/browser-support.js';
import { chime } from '../shared/chime.js';
import { datasetKey } from '../shared/dataset-key.js';
import { plural } from '../shared/plural.js';
import { postJson } from '../shared/post.js';

const MAX_BACKOFF_MS = 30000;

const PROBE_TIMEOUT_MS = 5000;
const COUNTDOWN_FROM_S = 5 * 60;

class WaitingRoom {
  /** @param {HTMLElement} $root element with data-module="pa-waiting-room" */
  constructor($root) {
    this.$root = $root;
    this.data = $root.dataset;
    this.text = document.getElementById('pa-waiting-messages').dataset;
    this.pollMs = Math.max(1, Number(this.data.poll) || 3) * 1000;
    // A held question lasts up to data-hold seconds: give up on it a little after that (a phone that
    // lost its network may never hear back), and count it as a failure.
    this.requestTimeoutMs = (Math.max(0, Number(this.data.hold) || 0) + 15) * 1000;
    this.version = null;
    this.waitingSince = null; // what the last answer said, and when it came, for the ticking clock
    this.ticker = null;
    this.failures = 0;
    this.timer = null;
    this.handingOver = false;
    this.baseTitle = document.title;
    this.$ = (selector) => $root.querySelector(selector);
  }

  init() {
    const $consent = this.$('.pa-js-consent');
    const $knock = this.$('.pa-js-knock');
    const $error = this.$('.pa-js-consent-error');
    // The button stays usable (a disabled one is skipped by Tab, so nobody would learn why it does
    // nothing): without the ticked box it says what is missing and puts the box in focus.
    $consent.addEventListener('change', () => {
      if ($consent.checked) this.consentError(false);
    });
    $knock.addEventListener('click', () => {
      if (!$consent.checked) {
        this.consentError(true);
        $consent.focus();
        return;
      }
      this.knock();
    });
    this.$('.pa-js-again').addEventListener('click', () => this.knock());
    this.$error = $error;
    // Disabled in the page until now, so that a tap before this script ran is not silently lost.
    $knock.disabled = Boolean($knock.dataset.tooEarly);
    window.addEventListener('online', () => this.poll(0));
    // A held question would only fail when it times out: say at once that the line is down.
    window.addEventListener('offline', () => {
      if (this.handingOver) return;
      if (this.controller) this.controller.abort();
      this.controller = null;
      this.failures += 1;
      if (this.$('.pa-js-step-wait').dataset.state === 'waiting') this.say(this.text.offline);
      this.poll(this.pollMs);
    });
    this.poll(0); // a knock from before (reload, dropped network) is picked up where it was
  }

  consentError(show) {
    const $consent = this.$('.pa-js-consent');
    this.$error.hidden = !show;
    if (show) {
      $consent.setAttribute('aria-describedby', this.$error.id);
      $consent.setAttribute('aria-invalid', 'true');
    } else {
      $consent.removeAttribute('aria-describedby');
      $consent.removeAttribute('aria-invalid');
    }
  }

  async knock() {
    this.$('.pa-js-knock').disabled = true;
    this.$('.pa-js-again').hidden = true;
    try {
      const response = await postJson(this.data.knockUrl, { consent_version: this.data.consent });
      if (!response.ok) throw new Error(String(response.status));
      this.render(await response.json());
    } catch (error) {
      this.say(this.text.error);
      this.$('.pa-js-knock').disabled = false;
    }
    this.poll(0); // the first answer brings the version the server can then hold questions on
  }

  poll(delay) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.fetchStatus(), delay);
  }

  async fetchStatus() {
    const sent = this.version;
    const started = Date.now();
    // One question at a time: a new one (after a knock, or back online) replaces a held one.
    if (this.controller) this.controller.abort();
    const controller = new AbortController();
    this.controller = controller;
    const timer = setTimeout(() => controller.abort(), this.requestTimeoutMs);
    let next = this.pollMs;
    try {
      const url = sent ? `${this.data.statusUrl}?seen=${encodeURIComponent(sent)}` : this.data.statusUrl;
      const response = await fetch(url, { credentials: 'same-origin', cache: 'no-store', signal: controller.signal });
      if (response.status === 410) {
        window.location.reload();
        return;
      }
      if (!response.ok) throw new Error(String(response.status));
      const status = await response.json();
      this.failures = 0;
      this.version = status.version || null;
      this.render(status);
      // Ask again at once when the server holds questions and this answer was news or was held;
      // a quick answer with nothing new means the server is busy: wait the ordinary interval.
      const news = status.version !== sent;
      if (status.wait && (news || (status.held && Date.now() - started >= 1000))) next = 50 + Math.random() * 250;
    } catch (error) {
      if (this.controller !== controller) return; // replaced by a newer question: that one carries on
      this.failures += 1;
      if (this.$('.pa-js-step-wait').dataset.state === 'waiting') this.say(this.text.offline);
    } finally {
      clearTimeout(timer);
    }
    if (this.controller !== controller || this.handingOver) return;
    this.controller = null;
    if (this.failures) {
      // Exponential backoff with jitter while the server cannot be reached, capped at 30 s.
      next = Math.min(MAX_BACKOFF_MS, this.pollMs * 2 ** this.failures) * (0.8 + Math.random() * 0.4);
    } else if (next === this.pollMs) {
      next *= 0.8 + Math.random() * 0.4;
    }
    this.poll(next);
  }

  /** The minutes waited and the countdown move every second on the page's own clock. */
  tick() {
    const since = this.waitingSince;
    if (!since) return;
    const elapsed = Math.floor((Date.now() - since.at) / 1000);
    const waited = since.waited + elapsed;
    const minutes = Math.floor(waited / 60);
    this.$('.pa-js-waited').textContent = minutes ? plural(this.text.waited, minutes) : this.text.justKnocked;
    const $countdown = this.$('.pa-js-countdown');
    const left = Math.max(0, since.lapsesIn - elapsed);
    if (left <= COUNTDOWN_FROM_S) {
      // In whole minutes, rounded up: "12:34" read as a time of day, and seconds ticking only hurry.
      const text = left > 60 ? plural(this.text.countdown, Math.ceil(left / 60)) : this.text.countdownLast;
      // Only when the words change: a screen reader need not hear the same sentence every second.
      if ($countdown.textContent !== text) $countdown.textContent = text;
      $countdown.hidden = false;
    } else {
      $countdown.hidden = true;
    }
  }

  say(text) {
    // Only when it changes: a repeated sentence is noise. The live region hears of it separately.
    const $text = this.$('.pa-js-wait-text');
    if ($text.textContent !== text) {
      $text.textContent = text;
      this.announce(text);
    }
  }

  /** Tell screen readers, through the one live region that is there from the start. */
  announce(text) {
    const $live = this.$('.pa-js-announce');
    if (!text || $live.textContent === text) return;
    $live.textContent = text;
  }

  show(state, title, text) {
    const $wait = this.$('.pa-js-step-wait');
    const changed = $wait.dataset.state !== state;
    const $title = this.$('.pa-js-wait-title');
    $wait.hidden = false;
    $wait.dataset.state = state;
    this.$('.pa-js-step-consent').hidden = true;
    // "Stay on this page, it changes by itself" is only true while the knock waits: after "Not now",
    // a lapse or an admission it would contradict what the page says above it.
    this.$('.pa-js-meanwhile').hidden = state !== 'waiting';
    if (title) $title.textContent = title;
    this.say(text);
    if (changed) {
      this.announce(`${$title.textContent}. ${text}`);
      // The button that was pressed may now be hidden: keep the keyboard's place on the new heading.
      const $active = document.activeElement;
      if (!$active || $active === document.body || !$active.offsetParent) $title.focus();
    }
  }

  render(status) {
    if (status.state === 'withdrawn') {
      window.location.assign(this.data.withdrawnUrl);
      return;
    }
    const $waited = this.$('.pa-js-waited');
    const $countdown = this.$('.pa-js-countdown');
    const $message = this.$('.pa-js-clinic-message');
    clearInterval(this.ticker);
    this.ticker = null;
    this.waitingSince = null;
    $countdown.hidden = true;
    $message.hidden = true;
    this.$('.pa-js-again').hidden = true;
    this.$('.pa-js-call').hidden = true;
    this.$('.pa-js-rejoin').hidden = true;
    $waited.textContent = '';
    switch (status.state) {
      case 'waiting': {
        this.show('waiting', null, this.text.waiting);
        if (status.message) {
          const message = this.text[datasetKey(status.message)] || '';
          $message.textContent = message;
          $message.hidden = !message;
          if (message !== this.lastMessage) this.announce(message);
        }
        this.lastMessage = status.message ? $message.textContent : '';
        this.waitingSince = { at: Date.now(), waited: status.waited, lapsesIn: status.lapses_in };
        this.tick();
        if (!this.ticker) this.ticker = setInterval(() => this.tick(), 1000);
        break;
      }
      case 'lapsed':
        this.show('lapsed', this.text.lapsedTitle, this.text.lapsed);
        this.$('.pa-js-again').hidden = false;
        this.$('.pa-js-call').hidden = false;
        break;
      case 'denied':
        this.show('denied', this.text.deniedTitle, this.text.denied);
        this.$('.pa-js-call').hidden = false;
        break;
      case 'admitted':
        // Only with somewhere to go: an answer without a hand-off is someone let in before.
        if (status.handoff_url) this.handOver(status);
        else this.joined(status);
        break;
      case 'joined':
        this.joined(status);
        break;
      case 'ended':
        this.show('ended', this.text.endedTitle, this.text.ended);
        this.$('.pa-js-call').hidden = false;
        break;
      case 'handoff-failed':
        this.failed(false);
        break;
      default:
        break; // no knock yet: the consent step stays
    }
  }

  /**
   * Let in before (the call dropped, Back from the video room, the link opened again): say when, offer
   * the way back to the room while this browser may still use it, and a new knock the clinic sees.
   */
  joined(status) {
    // First-strong isolates keep a time like "10:32 ص" in one piece inside right-to-left text.
    const time = status.admitted_at ? `\u2068${status.admitted_at}\u2069` : '';
    const $rejoin = this.$('.pa-js-rejoin');
    if (status.rejoin_url) {
      this.show('joined', this.text.joinedTitle, this.text.joinedRejoin.replace('{time}', time));
      $rejoin.href = status.rejoin_url;
      $rejoin.hidden = false;
    } else {
      this.show('joined', this.text.joinedTitle, this.text.joined.replace('{time}', time));
    }
    this.$('.pa-js-again').hidden = false;
    this.$('.pa-js-call').hidden = false;
  }

  async handOver(status) {
    if (this.handingOver) return;
    this.handingOver = true;
    clearTimeout(this.timer);
    this.show('admitted', this.text.admittedTitle, this.text.admitted);
    const platform = platformOf(navigator.userAgent, navigator.maxTouchPoints || 0);
    const $device = this.$('.pa-js-device');
    $device.textContent = this.text[platform === 'ios' ? 'deviceIos' : platform === 'android' ? 'deviceAndroid' : 'deviceOther'];
    $device.hidden = false;
    if (document.hidden) {
      // In a background tab: a sound and a new title, so the patient notices it is their turn.
      document.title = `${this.text.titleTurn} – ${this.baseTitle}`;
      this.chime();
    }
    const $go = this.$('.pa-js-go');
    $go.href = status.handoff_url;
    if (!(await this.reachable(status.room_url))) {
      this.failed(true);
      // The probe cannot tell a dead service from one that refuses to be read: let the patient try.
      $go.textContent = this.text.tryAnyway;
      $go.hidden = false;
      return;
    }
    $go.hidden = false;
    window.location.assign(status.handoff_url);
  }

  /** Does the video service answer at all? An opaque answer is enough; a network error is not. */
  async reachable(url) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), PROBE_TIMEOUT_MS);
    try {
      await fetch(url, { mode: 'no-cors', cache: 'no-store', credentials: 'omit', signal: controller.signal });
      return true;
    } catch (error) {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  failed(report) {
    this.show('failed', this.text.failedTitle, this.text.failed);
    this.$('.pa-js-call').hidden = false;
    if (report) postJson(this.data.failedUrl, {}).catch(() => {});
  }

  chime() {
    chime([660, 880], { spacing: 0.25 }).catch(() => {}); // sound is a bonus: the title and page change anyway
  }
}

const $root = document.querySelector('[data-module="pa-waiting-room"]');
if ($root) new WaitingRoom($root).init();
