"""The workspace's "Website" page (administrators): which websites may show the clinic's embedded guides
and check, the clinic's own section of the guides per language, the snippet to paste and a preview."""
from __future__ import annotations

from flask import abort, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import escape

from .. import audit, clinic_websites, i18n
from ..db import get_session
from ..guides import SLUGS
from . import bp
from .forms import OriginForm, SectionForm
from .guard import admin_required


def origin_error_text(code: str) -> str:
    """A translated sentence for each reason clinic_websites.normalise_origin and add_origin give."""
    if code == "too-many":
        return ngettext("At most %(num)d website can be registered. Remove one first.",
                        "At most %(num)d websites can be registered. Remove one first.", clinic_websites.MAX_ORIGINS)
    return {
        "empty": _("Write the website's address, for example https://www.example.no."),
        "wildcard": _("Wildcards (*) are not allowed. Add each website on its own."),
        "scheme": _("The address must start with https://."),
        "userinfo": _("The address must not contain a user name or password."),
        "path": _("Write only the website's address, without a page: https://www.example.no, not https://www.example.no/page."),
        "host": _("This is not a valid website name."),
        "idn": _("This international domain name is not valid."),
        "local": _("Addresses on this computer (localhost) are allowed only in development."),
        "duplicate": _("This website is already registered."),
    }.get(code, _("This is not a website address. Write it like https://www.example.no."))


def _snippet(page: str, lang: str) -> str:
    """What the clinic's web editor pastes: one script tag (embed.js puts the frame where it stands)."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    with i18n.force_language(lang):
        # The frame's title, for screen readers, in the language of the page it sits on.
        title = _("Check your equipment") if page == "check" else _("Guides and help")
    return (f'<script src="{escape(base)}/embed/embed.js" data-clinic="{escape(g.staff.clinic.slug)}" '
            f'data-page="{escape(page)}" data-lang="{escape(lang)}" data-title="{escape(title)}" async></script>')


def _page(origin_form: OriginForm | None = None, status: int = 200):
    db = get_session()
    clinic = g.staff.clinic
    preview_page = request.args.get("page", "guides")
    if preview_page not in ("guides", "check", *SLUGS):
        preview_page = "guides"
    preview_lang = i18n.normalise(request.args.get("preview_lang")) or i18n.current().code
    # The preview is the real embed in a frame of this page: it needs frame-src 'self' (security.py).
    g.csp_frame_src = "'self'"
    sections = clinic_websites.sections(db, clinic.id)
    return render_template(
        "staff/website.html", form=origin_form or OriginForm(formdata=None),
        origins=[(row, clinic_websites.display_origin(row.origin)) for row in clinic_websites.origins(db, clinic.id)],
        max_origins=clinic_websites.MAX_ORIGINS, sections=sections, languages=list(i18n.LANGUAGES.values()),
        preview_page=preview_page, preview_lang=preview_lang, snippet=_snippet(preview_page, preview_lang),
        guide_choices=current_app.extensions["patientapp.guides"].group("guide", i18n.current().code)
        + current_app.extensions["patientapp.guides"].group("help", i18n.current().code)), status


@bp.route("/website", methods=["GET", "POST"])
@admin_required
def website():
    """Register a website (origin) that may frame the embedded pages (R36); every change is audited (R49)."""
    form = OriginForm()
    if request.method == "GET":
        return _page()
    if not form.validate_on_submit():
        return _page(form, 422)
    db = get_session(write=True)
    try:
        row = clinic_websites.add_origin(db, g.staff.clinic, form.origin.data,
                                   allow_local=current_app.config["ALLOW_LOCAL_ROOMS"])
    except clinic_websites.OriginError as error:
        db.rollback()
        audit.staff_action(db, "embed-origin-add", "refused", detail=error.code)
        db.commit()
        form.origin.errors = [*form.origin.errors, origin_error_text(error.code)]
        return _page(form, 422)
    audit.staff_action(db, "embed-origin-add", detail=row.origin)
    db.commit()
    return redirect(url_for("staff.website"), code=303)


@bp.post("/website/origins/<int:origin_id>/delete")
@admin_required
def delete_origin(origin_id: int):
    db = get_session(write=True)
    row = clinic_websites.remove_origin(db, g.staff.clinic_id, origin_id)
    if row is None:
        abort(404)
    audit.staff_action(db, "embed-origin-remove", detail=row.origin)
    db.commit()
    return redirect(url_for("staff.website"), code=303)


@bp.route("/website/sections/<lang>", methods=["GET", "POST"])
@admin_required
def section(lang: str):
    """The clinic's own text in the embedded guides, in one language: Markdown, cleaned on save (R47)."""
    if lang not in i18n.LANGUAGES:
        abort(404)
    clinic_id = g.staff.clinic_id
    saved = clinic_websites.sections(get_session(), clinic_id).get(lang)
    form = SectionForm(data=None if request.method == "POST" else {"text": saved.markdown if saved else ""})
    # Written in the section's language: the browser's spelling check and direction follow it.
    form.text.render_kw = {"rows": 10, "lang": lang, "dir": i18n.LANGUAGES[lang].direction}
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            db = get_session(write=True)
            try:
                row = clinic_websites.save_section(db, clinic_id, lang, form.text.data, g.staff.id)
            except clinic_websites.SectionError:
                db.rollback()
                form.text.errors = [*form.text.errors,
                                    _("This text cannot be saved. Remove unusual characters and try again.")]
                status = 422
            else:
                audit.staff_action(db, "embed-section-save" if row else "embed-section-remove", detail=f"lang={lang}")
                db.commit()
                return redirect(url_for("staff.website"), code=303)
        else:
            status = 422
    preview = clinic_websites.render_section(saved.markdown) if saved else None
    return render_template("staff/website-section.html", form=form, section_lang=i18n.LANGUAGES[lang],
                           preview=preview, max_chars=clinic_websites.MAX_SECTION_CHARS), status
