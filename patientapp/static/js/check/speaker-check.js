/**
 * Plays a short two-note chime (generated, no download) and asks whether the patient heard it.
 */
export async function playChime() {
  const AudioContextClass = window.AudioContext || window.webkitAudioContext;
  const context = new AudioContextClass();
  if (context.state === 'suspended') await context.resume();
  const start = context.currentTime + 0.05;
  [660, 880].forEach((frequency, index) => {
    const oscillator = context.createOscillator();
    const gain = context.createGain();
    const at = start + index * 0.4;
    oscillator.frequency.value = frequency;
    // A soft envelope: no click at the start or the end.
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.4, at + 0.03);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.35);
    oscillator.connect(gain).connect(context.destination);
    oscillator.start(at);
    oscillator.stop(at + 0.38);
  });
  await new Promise((resolve) => setTimeout(resolve, 900));
  await context.close();
}
