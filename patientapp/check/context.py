"""What the check page needs: its translated messages for the scripts, guide links, clinic settings."""
from __future__ import annotations

from collections.abc import Callable

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import pgettext

from .. import equipment_check, i18n
from ..models import Invitation


def messages() -> dict[str, str]:
    """Every sentence the check's scripts may show, translated here (JS never hard-codes text). The
    names of buttons and menus on the patient's own screen go in as isolated, quoted words."""
    # Each word on its own first: the extractor does not look inside a call's arguments.
    word = i18n.ui_word_text
    allow = word(pgettext("browser button", "Allow"))
    open_chrome = word(pgettext("Android menu", "Open in Chrome"))
    open_safari = word(pgettext("iPhone menu", "Open in Safari"))
    permissions = word(pgettext("Android menu", "Permissions"))
    website_settings = word(pgettext("iPhone menu", "Website Settings"))
    mac_settings = word(pgettext("Mac menu", "Settings for This Website"))
    return {
        "checking": _("Checking …"),
        "browser.ok": _("Your browser can be used for video calls."),
        "browser.inapp.android": _("This page is open inside another app, where the camera often does not work. "
                                   "Tap the menu (⋮) and choose %(open)s.",
                                   open=open_chrome),
        "browser.inapp.ios": _("This page is open inside another app, where the camera often does not work. "
                               "Tap the menu (⋯) or the share button and choose %(open)s.",
                               open=open_safari),
        "browser.inapp.other": _("This page is open inside another app, where the camera often does not work. "
                                 "Copy the link and open it in Chrome, Edge or Safari."),
        "browser.unsupported": _("This browser may not work with the video service. Use Chrome, Edge or Safari."),
        "browser.missing": _("This browser cannot make video calls. Update it, or use Chrome, Edge or Safari."),
        "browser.insecure": _("This page is not opened in a secure way. Open the link from your SMS again."),
        "media.asking": _("Your browser asks for permission. Choose %(allow)s.", allow=allow),
        "camera.ok": _("Your camera works."),
        "camera.sharp": _("The picture is sharp."),
        "camera.blurry": _("The picture is not very sharp. Clean the camera, or use another device if you have one."),
        "camera.details": _("Picture size: %(width)s × %(height)s pixels."),
        "camera.NotAllowedError": _("The camera is blocked for this page."),
        "camera.NotFoundError": _("We found no camera. Check that it is connected, or use another device."),
        "camera.NotReadableError": _("Another app is using the camera. "
                                     "Close apps such as Teams, Zoom or FaceTime, and try again."),
        "camera.SecurityError": _("The camera is not allowed here. Open the check in a new window."),
        "camera.other": _("The camera could not start. Close the browser, open it again and try again."),
        "microphone.listening": _("Say something, for example count from one to five."),
        "level.quiet": _("quiet"),
        "level.good": _("good"),
        "level.loud": _("loud"),
        "microphone.ok": _("We can hear you."),
        "microphone.silent": _("We cannot hear you. Check that the microphone is not muted or covered."),
        "microphone.quiet": _("We can hear you, but very faintly. Move closer to the device."),
        "microphone.clipping": _("Your sound is very loud and may be distorted. Move a little further away."),
        "microphone.NotAllowedError": _("The microphone is blocked for this page."),
        "microphone.NotFoundError": _("We found no microphone. Check that it is connected, or use another device."),
        "microphone.NotReadableError": _("Another app is using the microphone. "
                                         "Close apps such as Teams, Zoom or FaceTime, and try again."),
        "microphone.SecurityError": _("The microphone is not allowed here. Open the check in a new window."),
        "microphone.other": _("The microphone could not start. Close the browser, open it again and try again."),
        # Shown inside a clinic's website whose frame does not pass on the camera or microphone (R40).
        "camera.framed": _("This website does not let the check use your camera. Open the check in a new window."),
        "microphone.framed": _("This website does not let the check use your microphone. "
                               "Open the check in a new window."),
        "steps.android": _("On Android: tap the icon next to the address, then %(permissions)s. "
                           "Allow the camera and microphone, and reload the page.",
                           permissions=permissions),
        # Safari's page menu button shows "aA" up to iOS 17 and a page icon from iOS 18.
        "steps.ios": _("On iPhone: tap the button next to the address (it shows %(aa)s or a small page icon), "
                       "then %(settings)s. Allow the camera and microphone, and reload the page.",
                       aa=word("aA"), settings=website_settings),
        "steps.windows": _("On Windows: click the icon next to the address. "
                           "Set the camera and microphone to %(allow)s, and reload the page.",
                           allow=allow),
        "steps.mac": _("On Mac with Safari: open the Safari menu, choose %(settings)s "
                       "and allow the camera and microphone. Reload the page.",
                       settings=mac_settings),
        "steps.other": _("Allow the camera and microphone for this page in your browser’s settings, "
                         "and reload the page."),
        "speaker.question": _("Did you hear the sound?"),
        "speaker.ok": _("Your speaker works."),
        "speaker.no": _("Turn the volume up and play the sound again. "
                        "On iPhone, check that the phone is not on silent."),
        "speaker.failed": _("The sound could not be played. Check the volume, and try again."),
        "light.ok": _("The light is good."),
        "light.black": _("The picture is black. Check that nothing covers the camera."),
        "light.dark": _("It is too dark. Turn on a lamp in front of you, or face a window."),
        "light.backlit": _("There is strong light behind you, so your face is dark. "
                           "Turn so that the window or lamp is in front of you."),
        "light.bright": _("The picture is too bright. Move away from strong light or sun."),
        "light.waiting": _("The light is measured when the camera is on."),
        "network.ok": _("Your connection is good enough for video."),
        "network.fair": _("Your connection is a little slow. Move closer to the wireless router, or close other apps."),
        "network.poor": _("Your connection is too slow for video. "
                          "Move closer to the router, try mobile data, or ask others at home to stop streaming."),
        "network.offline": _("You are not connected to the internet."),
        "network.details": _("Response time: %(rtt)s ms. Speed: %(speed)s Mbit/s."),
        "network.ice.fail": _("The video service could not be reached from this network. "
                              "Try mobile data instead of the wireless network, or the other way round."),
        "battery.ok": _("The battery is at %(level)s %%."),
        "battery.charging": _("The device is charging."),
        "battery.low": _("The battery is low (%(level)s %%). Plug in the charger."),
        "battery.unknown": _("Your browser does not show the battery level. Charge the device before the appointment."),
        "summary.ok": _("Everything works. You are ready."),
        "summary.warn": _("It works, but read the advice below."),
        "summary.fail": _("There are problems. Follow the advice below, then check again."),
        "summary.pending": _("Some checks are not finished yet."),
        "summary.saved": _("The clinic can see that you have checked your equipment."),
        "status.ok": _("OK"),
        "status.warn": _("Advice"),
        "status.fail": _("Problem"),
        "status.pending": _("Not checked yet"),
    }


def page_context(invitation: Invitation | None, guide_url: Callable[[str], str] | None = None,
                 new_window_url: str | None = None) -> dict:
    """The check page's context; embedded on a clinic's website, guide links stay in the embed and the
    page can offer itself in a new window (`new_window_url`)."""
    library = current_app.extensions["patientapp.guides"]
    # The check's advice opens a guide that leads back to the check.
    guide_url = guide_url or (lambda slug: url_for("public.guide", slug=slug, **{"from": "check"}))
    lang = i18n.current().code
    ice_servers = (invitation.clinic.room_settings or {}).get("ice_servers", []) if invitation else []
    return {
        "invitation": invitation,
        "new_window_url": new_window_url,
        "check_names": {
            "browser": _("Browser"),
            "camera": _("Camera"),
            "microphone": _("Microphone"),
            "speaker": _("Sound"),
            "light": _("Light"),
            "network": _("Connection"),
            "battery": _("Battery"),
        },
        "check_config": {
            "messages": messages(),
            "summaryUrl": url_for("check.save_summary") if invitation else None,
            "pingUrl": url_for("check.ping"),
            "downloadUrl": url_for("check.download", bytes=equipment_check.DOWNLOAD_SAMPLE_BYTES),
            "thresholds": {"goodRttMs": equipment_check.NETWORK_GOOD_RTT_MS,
                           "goodMbps": equipment_check.NETWORK_GOOD_MBPS,
                           "poorMbps": equipment_check.NETWORK_POOR_MBPS},
            # STUN/TURN addresses from the clinic's room settings, if any; only reachability is tested.
            "iceServers": [s for s in ice_servers if isinstance(s, dict) and isinstance(s.get("urls"), (str, list))],
            "guides": {check: {"url": guide_url(slug), "title": guide.title}
                       for check, slug in equipment_check.GUIDE_FOR.items() if (guide := library.get(slug, lang))},
            "blockedGuide": {"url": guide_url("blocked"), "title": library.get("blocked", lang).title},
            "newWindowUrl": new_window_url,
        },
    }
