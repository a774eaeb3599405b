/**
 * Whether the check may use the camera and microphone where it is shown. Inside a clinic's website
 * the frame must pass them on (allow="camera; microphone"); where it does not, getUserMedia fails at
 * once with NotAllowedError, which looks like the patient's refusal but is not theirs to fix: the
 * check then offers itself in a new window instead (R40).
 */

/**
 * @param {Window} win
 * @returns {{framed: boolean, camera: boolean|null, microphone: boolean|null}} null: the browser
 *   does not say (no Permissions Policy API)
 */
export function framePolicy(win) {
  let framed;
  try {
    framed = win.self !== win.top;
  } catch {
    framed = true;
  }
  const doc = win.document;
  const policy = doc && (doc.permissionsPolicy || doc.featurePolicy);
  const allows = (feature) => (policy && typeof policy.allowsFeature === 'function'
    ? Boolean(policy.allowsFeature(feature)) : null);
  return { framed, camera: allows('camera'), microphone: allows('microphone') };
}
