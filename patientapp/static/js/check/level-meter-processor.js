/**
 * AudioWorklet: measures the microphone's level off the main thread and posts, about 20 times a
 * second, the RMS and the peak of what it heard (after webrtc/samples' volume-meter-processor).
 */
const REPORT_EVERY = 2400; // samples: 50 ms at 48 kHz

class LevelMeterProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    this.sum = 0;
    this.peak = 0;
    this.count = 0;
  }

  process(inputs) {
    const channel = inputs[0]?.[0];
    if (channel) {
      for (let i = 0; i < channel.length; i += 1) {
        const sample = channel[i];
        this.sum += sample * sample;
        const magnitude = Math.abs(sample);
        if (magnitude > this.peak) this.peak = magnitude;
      }
      this.count += channel.length;
      if (this.count >= REPORT_EVERY) {
        this.port.postMessage({ rms: Math.sqrt(this.sum / this.count), peak: this.peak });
        this.sum = 0;
        this.peak = 0;
        this.count = 0;
      }
    }
    return true; // keep running while the page listens
  }
}

registerProcessor('pa-level-meter', LevelMeterProcessor);
