/**
 * Camera and microphone permission, the camera preview, and switching cameras. Starts only from a
 * button press (never on page load) and stops every track when asked or when the page is left.
 */

const VIDEO = { width: { ideal: 1280 }, height: { ideal: 720 } };

/** getUserMedia error names we explain; anything else gets the general message. */
export const KNOWN_ERRORS = ['NotAllowedError', 'NotFoundError', 'NotReadableError', 'SecurityError'];

export function errorKey(device, error) {
  const name = error && error.name === 'PermissionDeniedError' ? 'NotAllowedError' : error?.name;
  return `${device}.${KNOWN_ERRORS.includes(name) ? name : 'other'}`;
}

export class Media {
  constructor() {
    this.stream = null;
    this.facingMode = 'user';
  }

  /**
   * Ask for camera and microphone together (one prompt); if that fails, ask for each alone, so
   * the patient learns which of the two is the problem.
   * @returns {Promise<{video: MediaStreamTrack|null, audio: MediaStreamTrack|null, videoError: Error|null, audioError: Error|null}>}
   */
  async start() {
    this.stop();
    const gum = (constraints) => navigator.mediaDevices.getUserMedia(constraints);
    try {
      this.stream = await gum({ video: { ...VIDEO, facingMode: this.facingMode }, audio: true });
      return { video: this.videoTrack(), audio: this.audioTrack(), videoError: null, audioError: null };
    } catch (bothError) {
      const [video, audio] = await Promise.allSettled([gum({ video: VIDEO }), gum({ audio: true })]);
      const tracks = [];
      if (video.status === 'fulfilled') tracks.push(...video.value.getTracks());
      if (audio.status === 'fulfilled') tracks.push(...audio.value.getTracks());
      this.stream = new MediaStream(tracks);
      return {
        video: this.videoTrack(),
        audio: this.audioTrack(),
        videoError: video.status === 'rejected' ? video.reason : null,
        audioError: audio.status === 'rejected' ? audio.reason : (tracks.length ? null : bothError),
      };
    }
  }

  videoTrack() {
    return this.stream?.getVideoTracks()[0] || null;
  }

  audioTrack() {
    return this.stream?.getAudioTracks()[0] || null;
  }

  /** Cameras the browser lists (labels are known only after permission). */
  async cameras() {
    if (!navigator.mediaDevices.enumerateDevices) return [];
    return (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === 'videoinput');
  }

  /**
   * Replace the video track: the other facing camera (a carer may need to show a wound), or a
   * chosen device.
   * @param {{deviceId?: string}} [choice]
   */
  async switchCamera(choice = {}) {
    if (!choice.deviceId) this.facingMode = this.facingMode === 'user' ? 'environment' : 'user';
    const constraints = choice.deviceId
      ? { ...VIDEO, deviceId: { exact: choice.deviceId } }
      : { ...VIDEO, facingMode: this.facingMode };
    const fresh = await navigator.mediaDevices.getUserMedia({ video: constraints });
    const old = this.videoTrack();
    if (old) {
      this.stream.removeTrack(old);
      old.stop();
    }
    this.stream.addTrack(fresh.getVideoTracks()[0]);
    return this.videoTrack();
  }

  /** Stop every track: the camera light goes out (R56). */
  stop() {
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = null;
  }
}
