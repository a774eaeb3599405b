/**
 * The waiting room: knock after reading the consent text (R14), then ask for news. While the patient
 * waits, the server holds each question open until something changes (up to data-hold seconds), so
 * an admission arrives within a second; otherwise the page asks every data-poll seconds. When the
 * network is gone it backs off with jitter (R60) and keeps the same knock when it returns. When the
 * clinician lets the patient in, check that the video service answers and go there; if it does not,
 * say so calmly and tell the clinic (R59).
 */
import { platformOf } from '../check/browser-support.js';
import { isolate } from '../shared/bidi.js';
import { chime } from '../shared/chime.js';
import { datasetKey } from '../shared/dataset-key.js';
import { plural } from '../shared/plural.js';
import { postJson } from '../shared/post.js';
import { StatusPoller } from './status-poller.js';

const PROBE_TIMEOUT_MS = 5000;
const COUNTDOWN_FROM_S = 5 * 60;

class WaitingRoom {
  /** @param {HTMLElement} $root element with data-module="pa-waiting-room" */
  constructor($root) {
    this.$root = $root;
    this.data = $root.dataset;
    this.text = document.getElementById('pa-waiting-messages').dataset;
    this.waitingSince = null; // what the last answer said, and when it came, for the ticking clock
    this.ticker = null;
    this.handingOver = false;
    this.poller = new StatusPoller({
      url: this.data.statusUrl,
      pollMs: Math.max(1, Number(this.data.poll) || 3) * 1000,
      holdSeconds: Number(this.data.hold) || 0,
      onStatus: (status) => this.render(status),
      onTrouble: () => {
        if (this.$('.pa-js-step-wait').dataset.state === 'waiting') this.say(this.text.offline);
      },
      onGone: () => window.location.reload(),
    });
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
    this.poller.start();
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
    } catch {
      this.say(this.text.error);
      this.$('.pa-js-knock').disabled = false;
    }
    this.poller.poll(0); // the first answer brings the version the server can then hold questions on
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
    // The time keeps its order inside right-to-left text.
    const time = status.admitted_at ? isolate(status.admitted_at) : '';
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
    this.poller.stop();
    this.show('admitted', this.text.admittedTitle, this.text.admitted);
    const platform = platformOf(navigator.userAgent, navigator.maxTouchPoints || 0);
    const $device = this.$('.pa-js-device');
    $device.textContent = this.text[platform === 'ios' ? 'deviceIos' : platform === 'android' ? 'deviceAndroid' : 'deviceOther'];
    $device.hidden = false;
    this.$('.pa-js-next').hidden = false;
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
    } catch {
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
