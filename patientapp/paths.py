"""Names the web layer shares, written once: the URL prefixes the blueprints mount on (which the
infrastructure recognises requests by: headers, errors, rate limits, the concurrency gate, the
service worker) and the keys of what the session cookie holds."""

# --- URL prefixes ---------------------------------------------------------------------------------
LINK = "/i/"  # the SMS link with its token
DEVICE_LINK = "/d/"  # signed links from the QR code and the calendar entry
VISIT = "/visit"  # the patient's own pages
OFFLINE = "/offline"  # the offline page, which may carry the clinic's number
PATIENT_API = "/api/"
STAFF = "/staff"
STAFF_API = "/staff/api/"
STAFF_WEBAUTHN = "/staff/webauthn/"
EMBED = "/embed"  # the blueprint's url_prefix; every embedded page is under EMBED + "/"
DEV = "/dev/"  # the development stand-in video room

# Requests answered with JSON, errors included.
JSON_APIS = (PATIENT_API, STAFF_API)
# Pages about one patient or one clinic's work: never cached, never kept by the service worker.
PRIVATE = (VISIT, LINK, DEVICE_LINK, PATIENT_API, STAFF, OFFLINE)

# --- session keys ---------------------------------------------------------------------------------
VISIT_KEY = "visit"  # the opened invitation's reference
GENERATION_KEY = "visit_generation"  # the invitation's link generation when this session began
DEVICE_KEY = "visit_device"  # a random name for this browser: the hand-off binds to it (R12)
LANGUAGE_KEY = "invitation_lang"  # the invitation's language, so guides follow it too
WEBAUTHN_FLOW_KEY = "webauthn_flow"  # ties a WebAuthn challenge to this browser
ENROLMENT_KEY = "enrolment"  # the enrolment link being used
CREATED_KEY = "created"  # invitation forms already sent from this browser: their value -> the invitation id
