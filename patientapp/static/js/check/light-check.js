/**
 * Measures the light in the camera picture twice a second, so the patient sees the advice turn
 * green as they turn on a lamp or move away from the window.
 */
import { classifyLight, measureLight } from './light.js';

const SAMPLE_WIDTH = 64;
const SAMPLE_HEIGHT = 48;
const EVERY_MS = 500;

export class LightCheck {
  /**
   * @param {HTMLVideoElement} $video the live preview
   * @param {(result: {kind: string, status: string}) => void} onResult
   */
  constructor($video, onResult) {
    this.$video = $video;
    this.onResult = onResult;
    this.canvas = document.createElement('canvas');
    this.canvas.width = SAMPLE_WIDTH;
    this.canvas.height = SAMPLE_HEIGHT;
    this.context = this.canvas.getContext('2d', { willReadFrequently: true });
    this.timer = null;
  }

  start() {
    this.stop();
    this.timer = setInterval(() => this.sample(), EVERY_MS);
  }

  sample() {
    if (this.$video.readyState < 2 || !this.$video.videoWidth) return; // no frame yet
    this.context.drawImage(this.$video, 0, 0, SAMPLE_WIDTH, SAMPLE_HEIGHT);
    const { data } = this.context.getImageData(0, 0, SAMPLE_WIDTH, SAMPLE_HEIGHT);
    this.onResult(classifyLight(measureLight(data, SAMPLE_WIDTH, SAMPLE_HEIGHT)));
  }

  stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
