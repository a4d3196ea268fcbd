"""Every text of the web front in German (the default) and English.

Templates call ``t("key")``; a key missing here fails the unit test that renders every page in
both languages, so a label cannot exist in one language only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final

LANGUAGES: Final = ("de", "en")
DEFAULT_LANGUAGE: Final = "de"
LANG_COOKIE: Final = "eservice_lang"

Texts = Mapping[str, tuple[str, str]]

TEXTS: Texts = {
    # Layout
    "site.name": ("Online-Service der Stadt", "City online services"),
    "skip": ("Zum Inhalt springen", "Skip to content"),
    "nav.label": ("Hauptnavigation", "Main navigation"),
    "nav.services": ("Leistungen", "Services"),
    "nav.my_requests": ("Meine Anträge", "My requests"),
    "nav.inbox": ("Nachrichten", "Messages"),
    "nav.login": ("Anmelden", "Log in"),
    "nav.register": ("Registrieren", "Register"),
    "nav.logout": ("Abmelden", "Log out"),
    "nav.staff": ("Sachbearbeitung", "Clerk console"),
    "nav.report": ("Schaden melden", "Report a problem"),
    "lang.switch": ("English", "Deutsch"),
    "lang.label": ("Sprache", "Language"),
    "footer.text": (
        "Alle Inhalte und Schriften kommen von diesem Server; es werden keine Daten an Dritte "
        "übertragen.",
        "All content and fonts come from this server; no data is sent to third parties.",
    ),
    "signed_in_as": ("Angemeldet als", "Logged in as"),
    "errors.title": ("Bitte korrigieren Sie", "Please correct"),
    "errors.count": ("{n} Eingabe(n) bitte prüfen:", "{n} entry(ies) need attention:"),
    "error.page": ("Es ist ein Fehler aufgetreten", "Something went wrong"),
    "error.not_found": ("Seite nicht gefunden", "Page not found"),
    "error.forbidden": ("Keine Berechtigung", "Not allowed"),
    "error.csrf": (
        "Das Formular ist abgelaufen oder kam nicht von dieser Seite. Bitte laden Sie die Seite "
        "neu und versuchen Sie es erneut.",
        "The form has expired or did not come from this site. Please reload the page and try "
        "again.",
    ),
    "error.back": ("Zur Startseite", "Back to the start page"),
    "optional": ("optional", "optional"),
    "yes": ("Ja", "Yes"),
    "no": ("Nein", "No"),
    "not_given": ("keine Angabe", "not given"),
    "choose": ("Bitte wählen", "Please choose"),
    "save": ("Speichern", "Save"),
    "cancel": ("Abbrechen", "Cancel"),
    "back": ("Zurück", "Back"),
    # Start page and catalogue
    "home.title": ("Anträge und Meldungen online", "Applications and reports online"),
    "home.intro": (
        "Stellen Sie Anträge bei der Stadt online, verfolgen Sie den Stand und erhalten Sie "
        "Nachrichten, sobald sich etwas ändert.",
        "File applications with the city online, follow their progress and get a message "
        "whenever something changes.",
    ),
    "search.label": ("Leistung suchen", "Search for a service"),
    "search.hint": ("Zum Beispiel: Hund, Parken, Meldebescheinigung", "For example: dog, parking"),
    "search.button": ("Suchen", "Search"),
    "search.results": ("{n} Leistung(en) gefunden", "{n} service(s) found"),
    "search.none": (
        "Keine Leistung passt zu Ihrer Suche. Versuchen Sie ein anderes Wort.",
        "No service matches your search. Try another word.",
    ),
    "service.fee": ("Gebühr", "Fee"),
    "service.free": ("gebührenfrei", "free of charge"),
    "service.duration": ("Bearbeitungszeit", "Processing time"),
    "service.days": ("{n} Arbeitstage", "{n} working days"),
    "service.documents": ("Benötigte Unterlagen", "Documents needed"),
    "service.apply": ("Online beantragen", "Apply online"),
    "service.login_first": (
        "Zum Beantragen melden Sie sich bitte an oder registrieren Sie sich.",
        "Please log in or register to apply.",
    ),
    # Accounts
    "login.title": ("Anmelden", "Log in"),
    "login.email": ("E-Mail-Adresse", "Email address"),
    "login.password": ("Passwort", "Password"),
    "login.submit": ("Anmelden", "Log in"),
    "login.failed": (
        "E-Mail-Adresse oder Passwort stimmen nicht.",
        "The email address or password is wrong.",
    ),
    "login.throttled": (
        "Zu viele Fehlversuche. Bitte warten Sie {n} Sekunden und versuchen Sie es erneut.",
        "Too many failed attempts. Please wait {n} seconds and try again.",
    ),
    "login.forgot": ("Passwort vergessen?", "Forgot your password?"),
    "login.no_account": ("Noch kein Konto?", "No account yet?"),
    "login.expired": (
        "Ihre Sitzung ist abgelaufen. Bitte melden Sie sich erneut an.",
        "Your session has expired. Please log in again.",
    ),
    "logout.done": ("Sie sind abgemeldet.", "You are logged out."),
    "register.title": ("Registrieren", "Register"),
    "register.name": ("Ihr Name", "Your name"),
    "register.password_hint": (
        "Mindestens 12 Zeichen; ein langer Satz ist leichter zu merken.",
        "At least 12 characters; a long sentence is easier to remember.",
    ),
    "register.submit": ("Konto anlegen", "Create account"),
    "register.done": (
        "Ihr Konto ist angelegt. Wir haben Ihnen eine E-Mail mit einem Link geschickt: Bitte "
        "bestätigen Sie damit Ihre Adresse, bevor Sie einen Antrag absenden.",
        "Your account has been created. We have sent you an email with a link: please confirm "
        "your address with it before you submit a request.",
    ),
    "verify.title": ("E-Mail-Adresse bestätigen", "Confirm your email address"),
    "verify.code": ("Bestätigungscode", "Confirmation code"),
    "verify.submit": ("Adresse bestätigen", "Confirm address"),
    "verify.done": (
        "Danke, Ihre E-Mail-Adresse ist bestätigt.",
        "Thank you, your email address is confirmed.",
    ),
    "verify.needed": (
        "Bitte bestätigen Sie zuerst Ihre E-Mail-Adresse (Link in der E-Mail), dann können Sie "
        "Anträge absenden.",
        "Please confirm your email address first (link in the email); then you can submit "
        "requests.",
    ),
    "reset.title": ("Passwort zurücksetzen", "Reset your password"),
    "reset.intro": (
        "Geben Sie Ihre E-Mail-Adresse an. Wenn es dazu ein Konto gibt, schicken wir einen Link.",
        "Enter your email address. If there is an account for it, we will send a link.",
    ),
    "reset.submit": ("Link anfordern", "Send link"),
    "reset.sent": (
        "Wenn es ein Konto mit dieser Adresse gibt, ist ein Link unterwegs.",
        "If an account exists for this address, a link is on its way.",
    ),
    "reset.new_title": ("Neues Passwort festlegen", "Choose a new password"),
    "reset.new_password": ("Neues Passwort", "New password"),
    "reset.new_submit": ("Passwort speichern", "Save password"),
    "reset.done": (
        "Ihr Passwort ist geändert. Bitte melden Sie sich an.",
        "Your password has been changed. Please log in.",
    ),
    "token.invalid": (
        "Der Link ist ungültig, wurde schon benutzt oder ist abgelaufen.",
        "The link is invalid, was already used or has expired.",
    ),
    # Filing
    "apply.title": ("{service}", "{service}"),
    "apply.intro": (
        "Felder ohne „optional“ müssen ausgefüllt werden.",
        "Fields not marked “optional” are required.",
    ),
    "apply.continue": ("Weiter", "Continue"),
    "apply.draft": ("Als Entwurf speichern", "Save as draft"),
    "apply.draft_saved": (
        "Ihr Entwurf ist gespeichert. Sie finden ihn unter „Meine Anträge“.",
        "Your draft has been saved. You will find it under “My requests”.",
    ),
    "apply.location": ("Ort", "Location"),
    "apply.location_hint": (
        "Koordinaten in Dezimalgrad (z. B. 53.8655 und 10.6866) und eine Adresse oder "
        "Beschreibung des Ortes.",
        "Coordinates in decimal degrees (e.g. 53.8655 and 10.6866) and an address or a "
        "description of the place.",
    ),
    "apply.lat": ("Breitengrad", "Latitude"),
    "apply.lon": ("Längengrad", "Longitude"),
    "apply.address": ("Adresse oder Beschreibung des Ortes", "Address or description of the place"),
    "docs.title": ("Unterlagen hochladen", "Upload documents"),
    "docs.kind": ("Art der Unterlage", "Type of document"),
    "docs.file": ("Datei", "File"),
    "docs.limits": (
        "Erlaubt: {types}; höchstens {size}.",
        "Allowed: {types}; at most {size}.",
    ),
    "docs.required": ("erforderlich", "required"),
    "docs.upload": ("Hochladen", "Upload"),
    "docs.uploaded": ("Die Datei ist hochgeladen.", "The file has been uploaded."),
    "docs.none": ("Noch keine Unterlagen.", "No documents yet."),
    "docs.needed": ("Bitte laden Sie diese Unterlage hoch.", "Please upload this document."),
    "docs.not_allowed": (
        "Sie dürfen diesem Antrag keine solche Unterlage hinzufügen.",
        "You may not add such a document to this request.",
    ),
    "docs.add": ("Unterlage hinzufügen", "Add a document"),
    "docs.public": ("für Antragsteller/in sichtbar", "visible to the applicant"),
    "docs.internal": ("nur für die Verwaltung (intern)", "staff only (internal)"),
    "docs.to_review": ("Weiter zur Prüfung", "Continue to review"),
    "review.title": ("Angaben prüfen und absenden", "Check and submit"),
    "review.intro": (
        "Bitte prüfen Sie Ihre Angaben. Erst mit „Absenden“ geht der Antrag an die Stadt.",
        "Please check your details. The request only reaches the city when you press “Submit”.",
    ),
    "review.edit": ("Angaben ändern", "Change details"),
    "review.submit": ("Absenden", "Submit"),
    "done.title": ("Ihr Antrag ist eingegangen", "Your request has been received"),
    "done.reference": ("Ihr Aktenzeichen", "Your reference"),
    "done.next": (
        "Wir haben Ihnen eine Bestätigung geschickt. Den Stand sehen Sie jederzeit unter "
        "„Meine Anträge“.",
        "We have sent you a confirmation. You can follow the progress under “My requests” at "
        "any time.",
    ),
    # Validation messages at fields
    "v.required": ("Bitte füllen Sie dieses Feld aus.", "Please fill in this field."),
    "v.choose": ("Bitte wählen Sie eine der Möglichkeiten.", "Please choose one of the options."),
    "v.date": (
        "Bitte geben Sie ein Datum an (TT.MM.JJJJ).",
        "Please enter a date (DD.MM.YYYY or YYYY-MM-DD).",
    ),
    "v.email": ("Bitte geben Sie eine gültige E-Mail-Adresse an.", "Please enter a valid email."),
    "v.integer": ("Bitte geben Sie eine ganze Zahl an.", "Please enter a whole number."),
    "v.number": ("Bitte geben Sie eine Zahl an.", "Please enter a number."),
    "v.range": (
        "Bitte eine Zahl von {min} bis {max}.",
        "Please enter a number from {min} to {max}.",
    ),
    "v.min": ("Bitte eine Zahl ab {min}.", "Please enter a number of at least {min}."),
    "v.length": (
        "Bitte {min} bis {max} Zeichen eingeben.",
        "Please enter {min} to {max} characters.",
    ),
    "v.too_long": ("Höchstens {max} Zeichen.", "At most {max} characters."),
    "v.too_short": ("Mindestens {min} Zeichen.", "At least {min} characters."),
    "v.format": (
        "Das Format stimmt nicht. {hint}",
        "The format is not right. {hint}",
    ),
    "v.invalid": ("Bitte prüfen Sie diese Angabe.", "Please check this entry."),
    "v.location_required": (
        "Diese Leistung braucht einen Ort: bitte Breiten- und Längengrad angeben.",
        "This service needs a location: please enter latitude and longitude.",
    ),
    "v.coordinate": (
        "Bitte eine Zahl in Dezimalgrad.",
        "Please enter a number in decimal degrees.",
    ),
    "v.document_missing": (
        "Diese Unterlage fehlt noch.",
        "This document is still missing.",
    ),
    "v.password": (
        "Das Passwort erfüllt die Regeln nicht: mindestens 12 Zeichen, nicht die E-Mail-Adresse "
        "und kein häufig benutztes Passwort.",
        "The password does not meet the rules: at least 12 characters, not the email address "
        "and not a common password.",
    ),
    "v.email_taken": (
        "Für diese Adresse gibt es schon ein Konto. Melden Sie sich an oder setzen Sie das "
        "Passwort zurück.",
        "There is already an account for this address. Log in or reset the password.",
    ),
    "v.file_too_large": (
        "Die Datei ist zu groß für diese Art von Unterlage.",
        "The file is too large for this type of document.",
    ),
    "v.file_type": (
        "Dieser Dateityp ist für diese Art von Unterlage nicht erlaubt.",
        "This file type is not allowed for this type of document.",
    ),
    "v.comment": ("Bitte schreiben Sie einen Kommentar.", "Please write a comment."),
    # Requests
    "my.title": ("Meine Anträge", "My requests"),
    "my.none": ("Sie haben noch keine Anträge.", "You have no requests yet."),
    "col.reference": ("Aktenzeichen", "Reference"),
    "col.service": ("Leistung", "Service"),
    "col.state": ("Stand", "Status"),
    "col.due": ("Frist", "Due"),
    "col.submitted": ("Eingereicht", "Submitted"),
    "col.assignee": ("Bearbeitung", "Assigned to"),
    "more": ("Weitere anzeigen", "Show more"),
    "req.data": ("Ihre Angaben", "Your details"),
    "req.data_staff": ("Angaben", "Details"),
    "req.location": ("Ort", "Location"),
    "req.attachments": ("Unterlagen", "Documents"),
    "req.history": ("Verlauf", "History"),
    "req.comment": ("Nachricht schreiben", "Write a message"),
    "req.comment_label": ("Ihre Nachricht", "Your message"),
    "req.comment_send": ("Nachricht senden", "Send message"),
    "req.comment_sent": ("Ihre Nachricht ist gesendet.", "Your message has been sent."),
    "req.actions": ("Was Sie jetzt tun können", "What you can do now"),
    "req.add_comment": ("Nachricht hinzufügen", "Add a message"),
    "req.transition_comment": ("Begründung oder Nachricht", "Reason or message"),
    "req.done": ("Erledigt: {label}.", "Done: {label}."),
    "req.stale": (
        "Der Antrag wurde inzwischen geändert. Hier ist der aktuelle Stand; bitte prüfen Sie "
        "und versuchen Sie es erneut.",
        "The request has changed in the meantime. This is its current state; please check it "
        "and try again.",
    ),
    "req.not_possible": (
        "Das ist im jetzigen Stand nicht möglich.",
        "That is not possible in the current state.",
    ),
    "req.changed": ("Erledigt.", "Done."),
    "req.continue_draft": ("Entwurf fortsetzen", "Continue the draft"),
    "req.overdue": ("überfällig", "overdue"),
    "req.draft": ("Entwurf", "Draft"),
    "event.filed": ("Antrag angelegt", "Request created"),
    "event.transitioned": ("{label}", "{label}"),
    "event.submitted": ("Antrag eingereicht", "Request submitted"),
    "event.overdue": ("Frist überschritten", "Deadline passed"),
    "event.commented": ("Nachricht", "Message"),
    "event.attachment_added": ("Unterlage hinzugefügt", "Document added"),
    "event.assigned": ("Zuständigkeit geändert", "Assignment changed"),
    "event.other": ("Änderung", "Change"),
    "event.internal": ("intern", "internal"),
    "actor.applicant": ("Antragsteller/in", "Applicant"),
    "actor.clerk": ("Sachbearbeitung", "Clerk"),
    "actor.supervisor": ("Leitung", "Supervisor"),
    "actor.client": ("Fachverfahren", "Connected system"),
    "actor.system": ("System", "System"),
    "inbox.title": ("Nachrichten", "Messages"),
    "inbox.none": ("Keine Nachrichten.", "No messages."),
    "inbox.read": ("Als gelesen markieren", "Mark as read"),
    "inbox.unread": ("neu", "new"),
    # Reports without an account and their tracking page
    "report.without_account": ("Ohne Konto melden", "Report without an account"),
    "report.offer": (
        "Für diese Meldung brauchen Sie kein Benutzerkonto.",
        "You do not need an account for this report.",
    ),
    "report.intro": (
        "Sie melden ohne Benutzerkonto. Nach dem Absenden erhalten Sie einen Link, mit dem Sie "
        "den Stand Ihrer Meldung verfolgen.",
        "You are reporting without an account. After sending you get a link with which you can "
        "follow your report.",
    ),
    "report.contact": ("Ihre Kontaktdaten", "Your contact details"),
    "report.contact_hint": (
        "Freiwillig. An die E-Mail-Adresse schicken wir eine Bestätigung mit dem Link zu Ihrer "
        "Meldung und eine Nachricht, wenn sich ihr Stand ändert. Ihre Kontaktdaten sieht nur "
        "die Verwaltung, nie die Öffentlichkeit.",
        "Optional. We send a confirmation with the link to your report to this email address, "
        "and a message whenever its status changes. Only the city's staff see your contact "
        "details, never the public.",
    ),
    "report.contact_email": ("E-Mail-Adresse", "Email address"),
    "report.contact_name": ("Ihr Name", "Your name"),
    "report.no_contact": ("Keine Kontaktdaten angegeben.", "No contact details given."),
    "report.to_review": ("Weiter zur Prüfung", "Continue to review"),
    "report.review_title": ("Meldung prüfen und absenden", "Check and send your report"),
    "report.review_intro": (
        "Bitte prüfen Sie Ihre Angaben. Wenn Sie möchten, fügen Sie ein Foto hinzu; dann senden "
        "Sie die Meldung ab.",
        "Please check your details. Add a photo if you like; then send the report.",
    ),
    "report.photo_title": ("Foto hinzufügen", "Add a photo"),
    "report.send": ("Meldung absenden", "Send report"),
    "report.done_title": ("Ihre Meldung ist eingegangen", "Your report has been received"),
    "report.tracking_link": ("Ihr Link zur Meldung", "Your link to the report"),
    "report.keep_link": (
        "Bitte speichern Sie diesen Link (zum Beispiel als Lesezeichen) oder schreiben Sie ihn "
        "auf: Nur mit ihm sehen Sie später, wie es mit Ihrer Meldung weitergeht.",
        "Please keep this link (as a bookmark, for example) or write it down: only with it can "
        "you see later how your report is getting on.",
    ),
    "report.once": (
        "Der Link wird nur dieses eine Mal angezeigt. Geben Sie ihn nicht weiter: Wer ihn kennt, "
        "sieht den Stand der Meldung (nie Ihre Kontaktdaten).",
        "The link is shown only this once. Do not pass it on: whoever has it sees the status of "
        "the report (never your contact details).",
    ),
    "report.mail_sent": (
        "Eine Bestätigung mit dem Link ist an Ihre E-Mail-Adresse unterwegs.",
        "A confirmation with the link is on its way to your email address.",
    ),
    "report.throttled": (
        "Von Ihrem Anschluss kamen in letzter Zeit zu viele Meldungen. Bitte versuchen Sie es "
        "in {n} Minuten erneut.",
        "Too many reports have come from your connection recently. Please try again in {n} "
        "minutes.",
    ),
    "track.title": ("Stand Ihrer Meldung", "Status of your report"),
    "track.summary": ("Ihre Meldung", "Your report"),
    "track.event_filed": ("Meldung erfasst", "Report recorded"),
    "track.event_submitted": ("Meldung abgesendet", "Report sent"),
    "track.event_photo": ("Foto hinzugefügt", "Photo added"),
    "track.actor_you": ("Sie", "You"),
    "track.due": ("Voraussichtlich erledigt bis", "Expected to be dealt with by"),
    "track.created": ("Gemeldet am", "Reported"),
    "track.updated": ("Zuletzt geändert", "Last changed"),
    "track.closed": ("Abgeschlossen am", "Closed"),
    "track.private": (
        "Diese Seite zeigt nur den Stand und die Antworten der Verwaltung, nie Ihre Angaben "
        "oder Kontaktdaten.",
        "This page shows only the status and the city's replies, never your details or "
        "contact data.",
    ),
    "track.photo_intro": (
        "Solange die Meldung noch nicht bearbeitet wird, können Sie ein Foto nachreichen.",
        "Until the city starts working on the report, you can add a photo.",
    ),
    "track.not_found": (
        "Zu diesem Link gibt es keine Meldung. Bitte prüfen Sie, ob der Link vollständig ist.",
        "There is no report for this link. Please check that the link is complete.",
    ),
    # Staff
    "staff.title": ("Sachbearbeitung", "Clerk console"),
    "staff.queues": ("Ihre Warteschlangen", "Your queues"),
    "staff.open": ("offen", "open"),
    "staff.unassigned": ("nicht zugewiesen", "unassigned"),
    "staff.overdue": ("überfällig", "overdue"),
    "staff.take_next": ("Nächsten Antrag übernehmen", "Take the next one"),
    "staff.nothing": ("Keine offenen, nicht zugewiesenen Anträge.", "No open unassigned requests."),
    "staff.filters": ("Filter", "Filters"),
    "staff.all": ("alle", "all"),
    "staff.assignee": ("Zuständigkeit", "Assignment"),
    "staff.mine": ("mir zugewiesen", "assigned to me"),
    "staff.sort": ("Sortierung", "Sort by"),
    "sort.due_at": ("Frist", "Due date"),
    "sort.priority": ("Priorität", "Priority"),
    "sort.submitted_at": ("Eingang", "Submitted"),
    "staff.apply_filters": ("Anzeigen", "Show"),
    "staff.search": ("Aktenzeichen oder Titel", "Reference or title"),
    "staff.count": ("{n} Anträge in dieser Ansicht", "{n} requests in this view"),
    "staff.none": ("Keine Anträge für diese Filter.", "No requests for these filters."),
    "staff.assign": ("Zuständigkeit", "Assignment"),
    "staff.assign_me": ("Mir zuweisen", "Assign to me"),
    "staff.unassign": ("Freigeben", "Release"),
    "staff.reassign": ("Zuweisen an (Konto-ID)", "Assign to (account id)"),
    "staff.reassign_submit": ("Zuweisen", "Assign"),
    "staff.assigned_to": ("Zugewiesen an", "Assigned to"),
    "staff.you": ("Sie", "you"),
    "staff.nobody": ("niemand", "nobody"),
    "staff.comment": ("Kommentar", "Comment"),
    "staff.visibility": ("Sichtbarkeit", "Visibility"),
    "staff.public": ("öffentlich (Antragsteller/in sieht ihn)", "public (the applicant sees it)"),
    "staff.internal": ("intern (nur Verwaltung)", "internal (staff only)"),
    "staff.comment_send": ("Kommentar speichern", "Save comment"),
    "staff.transitions": ("Nächste Schritte", "Next steps"),
    "staff.sla": ("Frist", "Deadline"),
    "staff.sla_state": ("Fristlauf", "Clock"),
    "sla.runs": ("läuft", "running"),
    "sla.paused": ("angehalten", "paused"),
    "sla.stopped": ("beendet", "stopped"),
    "staff.supervisor": ("Übersicht der Leitung", "Supervisor overview"),
    "staff.load": ("Auslastung", "Load"),
    "staff.overdue_list": ("Überfällige Anträge", "Overdue requests"),
    "staff.department": ("Abteilung", "Department"),
    "staff.taken": ("Der Antrag ist Ihnen zugewiesen.", "The request is assigned to you."),
    "staff.view": ("Warteschlange öffnen", "Open the queue"),
    "staff.state_all": ("alle Stände", "all states"),
    "staff.service_all": ("alle Leistungen", "all services"),
    "staff.overdue_only": ("nur überfällige", "overdue only"),
    "staff.by_state": ("Nach Stand", "By state"),
    "staff.open_request": ("Antrag {ref} öffnen", "Open request {ref}"),
    "staff.claimed": ("Sie bearbeiten jetzt {ref}.", "You are now working on {ref}."),
    "staff.download": ("Herunterladen", "Download"),
    "staff.field": ("Feld „{name}“", "Field “{name}”"),
}

Translator = Callable[..., str]


def pick_language(query: str | None, cookie: str | None) -> str:
    """The page language: an explicit choice, then the saved one, else German.

    The browser's Accept-Language is deliberately not used: the city's portal is German by
    default, and English is one visible switch away on every page.
    """
    for candidate in (query, cookie):
        if candidate in LANGUAGES:
            return candidate
    return DEFAULT_LANGUAGE


def translator(lang: str) -> Translator:
    index = LANGUAGES.index(lang)

    def t(key: str, **values: object) -> str:
        text = TEXTS[key][index]
        return text.format(**values) if values else text

    return t
