/**
 * A short chime of soft notes, generated with Web Audio (no file to download). Used by the speaker
 * test, the waiting room (it is your turn) and the dashboard (a new knock).
 * @param {number[]} frequencies the notes, in Hz, played one after the other
 * @param {{gain?: number, spacing?: number}} [options] loudness (0–1) and seconds between notes
 * @returns {Promise<void>} resolves when the chime has finished
 */
export async function chime(frequencies, { gain = 0.3, spacing = 0.3 } = {}) {
  const AudioContextClass = window.AudioContext || window.webkitAudioContext;
  if (!AudioContextClass) throw new Error('no Web Audio');
  const context = new AudioContextClass();
  if (context.state === 'suspended') await context.resume();
  const start = context.currentTime + 0.05;
  frequencies.forEach((frequency, index) => {
    const oscillator = context.createOscillator();
    const envelope = context.createGain();
    const at = start + index * spacing;
    oscillator.frequency.value = frequency;
    // A soft attack and release: no click at the start or the end.
    envelope.gain.setValueAtTime(0.0001, at);
    envelope.gain.exponentialRampToValueAtTime(gain, at + 0.03);
    envelope.gain.exponentialRampToValueAtTime(0.0001, at + spacing * 0.9);
    oscillator.connect(envelope).connect(context.destination);
    oscillator.start(at);
    oscillator.stop(at + spacing);
  });
  await new Promise((resolve) => setTimeout(resolve, (frequencies.length * spacing + 0.15) * 1000));
  await context.close();
}
