/**
 * "Listen": reads the page's main text aloud with the device's own speech synthesis. Shown only when
 * the device has a voice for the page's language (a Somali page read by a Norwegian voice helps no
 * one); nothing leaves the device. The button says "Stop" while it reads.
 */
class ListenButton {
  /** @param {HTMLButtonElement} $button the button with data-module="pa-listen" */
  constructor($button) {
    this.$button = $button;
    this.$label = $button.querySelector('.pa-js-listen-label');
    this.$source = document.querySelector($button.dataset.source || 'main');
    this.lang = (this.$source.closest('[lang]')?.getAttribute('lang') || document.documentElement.lang).toLowerCase();
    this.synth = window.speechSynthesis;
  }

  init() {
    if (!this.synth || !window.SpeechSynthesisUtterance || !this.$source) return;
    this.offer();
    // Many browsers find their voices a moment after the page has loaded.
    this.synth.addEventListener?.('voiceschanged', () => this.offer());
    this.$button.addEventListener('click', () => (this.synth.speaking ? this.stop() : this.read()));
    window.addEventListener('pagehide', () => this.synth.cancel());
  }

  /** The best voice for the page's language: the exact one ("nb-NO" for nb), else any of the language. */
  voice() {
    const voices = this.synth.getVoices() || [];
    const tag = (voice) => voice.lang.toLowerCase().replace('_', '-');
    const base = this.lang.split('-')[0];
    // Norwegian Bokmål voices are often labelled "no" rather than "nb".
    const bases = base === 'nb' ? ['nb', 'no'] : [base];
    return voices.find((voice) => tag(voice) === this.lang)
      || voices.find((voice) => bases.includes(tag(voice).split('-')[0])) || null;
  }

  offer() {
    this.$button.hidden = this.voice() === null;
  }

  /** The text as a listener needs it: headings, paragraphs and list items, not the hidden parts. */
  text() {
    const parts = [];
    for (const $el of this.$source.querySelectorAll('h1, h2, h3, p, li, dt, dd, summary, figcaption')) {
      if ($el.closest('[hidden], .pa-visually-hidden, .pa-page-tools, .pa-no-listen')) continue;
      if ($el.querySelector('p, li')) continue; // said with its own paragraphs
      // biome-ignore lint/performance/useDomNodeTextContent: only what is shown is read (not a closed fold)
      const words = $el.innerText.replace(/\s+/g, ' ').trim();
      if (words) parts.push(words);
    }
    return parts;
  }

  read() {
    const voice = this.voice();
    if (!voice) return;
    this.synth.cancel();
    const parts = this.text();
    parts.forEach((words, index) => {
      const utterance = new SpeechSynthesisUtterance(words);
      utterance.lang = voice.lang;
      utterance.voice = voice;
      utterance.rate = 0.9; // a little slower: many listeners are elderly or hear a second language
      if (index === parts.length - 1) utterance.addEventListener('end', () => this.show(false));
      this.synth.speak(utterance);
    });
    this.show(true);
  }

  stop() {
    this.synth.cancel();
    this.show(false);
  }

  show(reading) {
    this.$button.setAttribute('aria-pressed', String(reading));
    this.$label.textContent = reading ? this.$button.dataset.stop : this.$button.dataset.listen;
  }
}

for (const $button of document.querySelectorAll('[data-module="pa-listen"]')) new ListenButton($button).init();
