/**
 * The equipment check page: runs the checks that need no permission at once (browser, network,
 * battery), the camera and microphone from a button press, the speaker on request; keeps a summary
 * and, from an invitation, sends the clinic one word per check. No picture or sound leaves the page.
 */
import { levelWord } from './audio-level.js';
import { checkBattery } from './battery-check.js';
import { classifyBrowser } from './browser-support.js';
import { Media, errorKey } from './camera.js';
import { framePolicy } from './frame-policy.js';
import { Messages } from './i18n.js';
import { LightCheck } from './light-check.js';
import { MicCheck } from './mic-check.js';
import { iceReachable, measureNetwork } from './network-check.js';
import { CheckSection } from './section.js';
import { playChime } from './speaker-check.js';
import { isolate } from '../shared/bidi.js';
import { postJson } from '../shared/post.js';

const ORDER = ['fail', 'warn', 'pending', 'ok'];
// A picture this many pixels high (or wide, held upright) is sharp enough for a consultation.
const SHARP_MIN_PX = 360;

class EquipmentCheck {
  /**
   * @param {HTMLElement} $root the element with data-module="pa-equipment-check"
   * @param {object} config the page's JSON configuration (messages, URLs, thresholds, guides)
   */
  constructor($root, config) {
    this.$root = $root;
    this.config = config;
    this.messages = new Messages(config.messages, document.documentElement.lang);
    const $live = $root.querySelector('.pa-js-live');
    const announce = (text) => { $live.textContent = text; };
    this.sections = {};
    $root.querySelectorAll('[data-check]').forEach(($section) => {
      const section = new CheckSection($section, this.messages, announce, config.guides[$section.dataset.check]);
      section.onChange(() => this.summarise());
      this.sections[section.name] = section;
    });
    this.media = new Media();
    this.$video = $root.querySelector('.pa-js-video');
    this.platform = 'other';
    this.saveTimer = null;
    this.lastSaved = '';
    // Inside a clinic's website: may this frame use the camera and microphone at all? (R40)
    this.frame = framePolicy(window);
    this.$newWindow = $root.querySelector('.pa-js-new-window');
  }

  init() {
    const $ = (selector) => this.$root.querySelector(selector);
    $('.pa-js-start-media').addEventListener('click', () => this.startMedia());
    $('.pa-js-play').addEventListener('click', () => this.playSound());
    this.$root.querySelectorAll('.pa-js-answer').forEach(($button) => {
      $button.addEventListener('click', () => this.heard($button.value === 'yes'));
    });
    $('.pa-js-again').addEventListener('click', () => this.again());
    $('.pa-js-switch-camera').addEventListener('click', () => this.switchCamera({}));
    $('.pa-js-camera-select').addEventListener('change', (event) => this.switchCamera({ deviceId: event.target.value }));
    // Leaving the page (or the browser putting it away) turns the camera and microphone off (R56).
    window.addEventListener('pagehide', () => this.stopMedia());
    if (this.frame.framed && (this.frame.camera === false || this.frame.microphone === false)) this.offerNewWindow();
    this.runAutomatic();
  }

  t(key, values) {
    return this.messages.t(key, values);
  }

  runAutomatic() {
    this.checkBrowser();
    this.checkNetwork();
    this.checkBattery();
  }

  checkBrowser() {
    const result = classifyBrowser({
      ua: navigator.userAgent,
      touchPoints: navigator.maxTouchPoints || 0,
      secure: window.isSecureContext,
      getUserMedia: Boolean(navigator.mediaDevices?.getUserMedia),
      peerConnection: 'RTCPeerConnection' in window,
    });
    this.platform = result.platform;
    this.sections.browser.set(result.status, this.t(result.key));
  }

  /** The figures behind a result, folded in the section's "details for the helpdesk"; none hides it. */
  details(section, text) {
    const $details = section.$root.querySelector('.pa-js-details');
    if (!$details) return;
    $details.querySelector('.pa-js-details-text').textContent = text;
    $details.hidden = !text;
  }

  async checkNetwork() {
    const section = this.sections.network;
    section.checking();
    const result = await measureNetwork(this.config);
    this.details(section, result.mbps === undefined ? '' : this.t('network.details', {
      rtt: isolate(this.messages.number(result.rttMs)), speed: isolate(this.messages.number(result.mbps, 1)) }));
    let { status } = result;
    const advice = [];
    const reachable = await iceReachable(this.config.iceServers);
    if (reachable === false) {
      advice.push(this.t('network.ice.fail'));
      if (status === 'ok') status = 'warn';
    }
    section.set(status, this.t(result.key), advice);
  }

  async checkBattery() {
    const result = await checkBattery();
    this.sections.battery.set(result.status, this.t(result.key, { level: this.messages.number(result.level || 0) }));
  }

  async startMedia() {
    const { camera, microphone, light } = this.sections;
    camera.set('pending', this.t('media.asking'));
    microphone.set('pending', this.t('media.asking'));
    const result = await this.media.start();
    if (result.video) {
      await this.showCamera(result.video);
    } else {
      this.showError(camera, 'camera', result.videoError);
      light.set('pending', this.t('light.waiting'));
    }
    if (result.audio) {
      this.startMicrophone(result.audio);
    } else {
      this.showError(microphone, 'microphone', result.audioError);
    }
  }

  showError(section, device, error) {
    const key = errorKey(device, error);
    const blocked = key.endsWith('NotAllowedError');
    if (blocked && this.frame.framed && this.$newWindow) {
      this.offerNewWindow();
      // The website's frame blocks it, not the patient: their browser settings would not help.
      if (this.frame[device] === false) {
        section.set('fail', this.t(`${device}.framed`));
        return;
      }
    }
    section.set('fail', this.t(key), blocked ? [this.t(`steps.${this.platform}`)] : [],
      blocked ? this.config.blockedGuide : undefined);
  }

  /** Inside a clinic's website that keeps the camera from this frame: the check in a window of its own. */
  offerNewWindow() {
    if (this.$newWindow) this.$newWindow.hidden = false;
  }

  async showCamera(track) {
    this.$video.srcObject = new MediaStream([track]);
    this.$video.hidden = false;
    await this.$video.play().catch(() => {});
    const settings = track.getSettings();
    const width = settings.width || this.$video.videoWidth;
    const height = settings.height || this.$video.videoHeight;
    // In words for the patient; the pixels go to the helpdesk's details.
    const sharp = Math.min(width, height) >= SHARP_MIN_PX || !height;
    this.sections.camera.set('ok', `${this.t('camera.ok')} ${this.t(sharp ? 'camera.sharp' : 'camera.blurry')}`);
    this.details(this.sections.camera, height ? this.t('camera.details', {
      width: isolate(this.messages.number(width, 0, false)), height: isolate(this.messages.number(height, 0, false)),
    }) : '');
    if (!this.light) {
      // Light from behind is easier to see than to read about: the window picture shows it.
      const $picture = this.sections.light.$root.querySelector('.pa-js-light-picture');
      this.light = new LightCheck(this.$video, (result) => {
        this.sections.light.set(result.status, this.t(`light.${result.kind}`));
        if ($picture) $picture.hidden = result.kind !== 'backlit';
      });
    }
    this.light.start();
    this.offerCameraChoice();
  }

  async offerCameraChoice() {
    const cameras = await this.media.cameras();
    if (cameras.length < 2) return;
    if (navigator.maxTouchPoints > 0) {
      this.$root.querySelector('.pa-js-switch-camera').hidden = false;
      return;
    }
    const $select = this.$root.querySelector('.pa-js-camera-select');
    $select.replaceChildren(...cameras.map((camera, index) => {
      const option = document.createElement('option');
      option.value = camera.deviceId;
      option.textContent = camera.label || `${this.sections.camera.title} ${this.messages.number(index + 1)}`;
      return option;
    }));
    this.$root.querySelector('.pa-js-camera-choice').hidden = false;
  }

  async switchCamera(choice) {
    try {
      await this.showCamera(await this.media.switchCamera(choice));
    } catch (error) {
      this.showError(this.sections.camera, 'camera', error);
    }
  }

  async startMicrophone(track) {
    const $row = this.$root.querySelector('.pa-js-meter-row');
    $row.hidden = false;
    this.sections.microphone.set('pending', this.t('microphone.listening'));
    this.mic = this.mic || new MicCheck({
      meter: $row.querySelector('.pa-js-meter'),
      output: $row.querySelector('.pa-js-meter-value'),
      format: (percent) => this.t(`level.${levelWord(percent)}`),
    }, (result) => {
      const key = result.kind === 'listening' ? 'microphone.listening' : `microphone.${result.kind}`;
      this.sections.microphone.set(result.status, this.t(key));
    });
    try {
      await this.mic.start(track);
    } catch (error) {
      this.showError(this.sections.microphone, 'microphone', error);
    }
  }

  async playSound() {
    const section = this.sections.speaker;
    section.checking();
    try {
      await playChime();
      section.$root.querySelector('.pa-js-heard').hidden = false;
      section.set('pending', this.t('speaker.question'));
    } catch {
      section.set('warn', this.t('speaker.failed'));
    }
  }

  heard(yes) {
    this.sections.speaker.set(yes ? 'ok' : 'warn', this.t(yes ? 'speaker.ok' : 'speaker.no'));
  }

  stopMedia() {
    if (this.light) this.light.stop();
    if (this.mic) this.mic.stop();
    this.media.stop();
    this.$video.srcObject = null;
  }

  again() {
    const restart = Boolean(this.media.stream);
    this.stopMedia();
    this.$video.hidden = true;
    for (const section of Object.values(this.sections)) section.set('pending', '');
    this.sections.light.set('pending', this.t('light.waiting'));
    this.$root.querySelector('.pa-js-heard').hidden = true;
    this.runAutomatic();
    if (restart) this.startMedia();
  }

  summarise() {
    const statuses = Object.values(this.sections).map((section) => section.status);
    const overall = ORDER.find((level) => statuses.includes(level)) || 'ok';
    const $summary = this.$root.querySelector('.pa-summary');
    $summary.dataset.summary = overall;
    $summary.querySelector('.pa-js-summary-text').textContent = this.t(`summary.${overall}`);
    const $list = $summary.querySelector('.pa-js-summary-list');
    $list.replaceChildren(...Object.values(this.sections)
      .filter((section) => section.status === 'warn' || section.status === 'fail')
      .map((section) => {
        const item = document.createElement('li');
        item.dataset.summaryCheck = section.name;
        const link = document.createElement('a');
        const guide = section.$root.querySelector('.pa-js-help a');
        link.href = guide ? guide.getAttribute('href') : `#${section.$root.getAttribute('aria-labelledby')}`;
        link.textContent = `${section.title}: ${section.$message.textContent}`;
        item.append(link);
        return item;
      }));
    this.scheduleSave();
  }

  /** From an invitation only: one word per check, never media or device names. */
  scheduleSave() {
    if (!this.config.summaryUrl) return;
    clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => this.save(), 800);
  }

  async save() {
    const summary = Object.fromEntries(Object.values(this.sections).map((section) => [section.name, section.status]));
    const body = JSON.stringify(summary);
    if (body === this.lastSaved || Object.values(summary).every((status) => status === 'pending')) return;
    try {
      const response = await postJson(this.config.summaryUrl, summary);
      if (response.ok) {
        this.lastSaved = body;
        this.$root.querySelector('.pa-js-summary-saved').hidden = false;
      }
    } catch {
      // Offline: the check still works; the clinic just does not see it this time.
    }
  }
}

const $root = document.querySelector('[data-module="pa-equipment-check"]');
const $config = document.getElementById('pa-check-config');
if ($root && $config) {
  new EquipmentCheck($root, JSON.parse($config.textContent)).init();
}
