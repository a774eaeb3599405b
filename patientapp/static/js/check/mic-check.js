/**
 * The microphone's live level: an AudioWorklet measures off the main thread (level-meter-processor.js),
 * a native <meter> with a word beside it ("quiet", "good", "loud") shows it, and LevelTracker decides whether we hear the
 * patient. Nothing is recorded or sent.
 */
import { LevelTracker, meterPercent } from './audio-level.js';

export class MicCheck {
  /**
   * @param {{meter: HTMLMeterElement, output: HTMLOutputElement, format: (n: number) => string}} view
   * @param {(result: {kind: string, status: string}) => void} onResult
   */
  constructor(view, onResult) {
    this.view = view;
    this.onResult = onResult;
    this.context = null;
    this.tracker = new LevelTracker();
    this.smoothed = 0;
  }

  /** @param {MediaStreamTrack} track */
  async start(track) {
    await this.stop();
    const AudioContextClass = window.AudioContext || window.webkitAudioContext;
    this.context = new AudioContextClass();
    await this.context.audioWorklet.addModule(new URL('./level-meter-processor.js', import.meta.url));
    const source = this.context.createMediaStreamSource(new MediaStream([track]));
    const node = new AudioWorkletNode(this.context, 'pa-level-meter');
    this.tracker.reset(performance.now());
    node.port.onmessage = (event) => this.handleLevel(event.data);
    source.connect(node);
    if (this.context.state === 'suspended') await this.context.resume();
  }

  handleLevel({ rms, peak }) {
    this.tracker.add(rms, peak, performance.now());
    // Fast attack, slow release: the bar follows speech without flickering.
    this.smoothed = rms > this.smoothed ? rms : this.smoothed * 0.85 + rms * 0.15;
    const percent = meterPercent(this.smoothed);
    this.view.meter.value = percent;
    // The word only when it changes: the <output> is a live region, and the level changes 60 times a second.
    const word = this.view.format(percent);
    if (this.view.output.textContent !== word) this.view.output.textContent = word;
    this.onResult(this.tracker.result());
  }

  async stop() {
    if (this.context) {
      const context = this.context;
      this.context = null;
      await context.close().catch(() => {});
    }
  }
}
