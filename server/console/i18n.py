# ruff: noqa: E501  (a catalogue of sentences: one entry a line reads best)
"""The console's two languages: English message ids, a Dutch catalogue (``DUTCH``).

Templates call ``_`` with the English text; Dutch users get the catalogue's text. The language
is the user's choice (``console_preferences``), else the browser's Accept-Language, else
Dutch (the product's home market). A test checks every ``_()`` text in the templates and
modules has a Dutch entry, so the catalogue stays complete.
"""

from __future__ import annotations

LANGUAGES = ("nl", "en")
DEFAULT_LANGUAGE = "nl"

DUTCH: dict[str, str] = {
    # layout and navigation
    "RentGuy console": "RentGuy-console",
    "Skip to content": "Naar de inhoud",
    "Main menu": "Hoofdmenu",
    "Live board": "Live-bord",
    "Projects": "Projecten",
    "Inventory": "Voorraad",
    "People and badges": "Mensen en badges",
    "People": "Mensen",
    "Stations": "Stations",
    "Money": "Geld",
    "Exports": "Exports",
    "Audit log": "Auditlog",
    "Log out": "Uitloggen",
    "Language": "Taal",
    "Save": "Opslaan",
    "Signed in as": "Ingelogd als",
    "Welcome": "Welkom",
    "Your roles give you no console pages. Ask an admin if you need one.": "Je rollen geven je geen consolepagina's. Vraag een beheerder als je er een nodig hebt.",
    "Previous": "Vorige",
    "Next": "Volgende",
    "Page": "Pagina",
    "of": "van",
    "Search": "Zoeken",
    "Filter": "Filteren",
    "none": "geen",
    "never": "nooit",
    "yes": "ja",
    "no": "nee",
    "Back": "Terug",
    "Name": "Naam",
    "Status": "Status",
    "Actions": "Acties",
    "Created": "Aangemaakt",
    "When": "Wanneer",
    "Who": "Wie",
    "Why": "Waarom",
    "Total": "Totaal",
    "No rows.": "Geen regels.",
    "Print": "Afdrukken",
    # login
    "Log in": "Inloggen",
    "E-mail": "E-mail",
    "Password": "Wachtwoord",
    "Wrong e-mail or password.": "Onjuist e-mailadres of wachtwoord.",
    "Too many failed attempts; try again later.": "Te veel mislukte pogingen; probeer het later opnieuw.",
    "You are logged out.": "Je bent uitgelogd.",
    "Your session has ended; log in again.": "Je sessie is verlopen; log opnieuw in.",
    "This field is required.": "Dit veld is verplicht.",
    # errors
    "Something went wrong": "Er ging iets mis",
    "Not allowed": "Niet toegestaan",
    "You do not have the permission for this page or action.": "Je hebt geen toestemming voor deze pagina of actie.",
    "Not found": "Niet gevonden",
    "The form was stale or incomplete; reload the page and try again.": "Het formulier was verlopen of onvolledig; laad de pagina opnieuw en probeer het nog eens.",
    "The server could not do this. Nothing was saved.": "De server kon dit niet uitvoeren. Er is niets opgeslagen.",
    "Request id": "Verzoek-id",
    "Go to the start page": "Naar de startpagina",
    # live board
    "Scans": "Scans",
    "Live scans": "Live scans",
    "Waiting for scans…": "Wachten op scans…",
    "connected": "verbonden",
    "reconnecting…": "opnieuw verbinden…",
    "Station": "Station",
    "Online": "Online",
    "Offline": "Offline",
    "Revoked": "Ingetrokken",
    "Last contact": "Laatste contact",
    "Queue depth": "Wachtrij",
    "App version": "App-versie",
    "not reported": "niet gemeld",
    "Awaiting review": "Te beoordelen",
    "Nothing awaits review.": "Er is niets te beoordelen.",
    "Code": "Code",
    "Mode": "Modus",
    "Reason": "Reden",
    "Resolve": "Afhandelen",
    "Resolved": "Afgehandeld",
    "How was it settled?": "Hoe is het opgelost?",
    "Scans per 5 minutes, last 8 hours": "Scans per 5 minuten, laatste 8 uur",
    "no scans in the last 8 hours": "geen scans in de laatste 8 uur",
    "applied": "verwerkt",
    "conflict": "conflict",
    "rejected": "geweigerd",
    "duplicate": "dubbel",
    "out": "uit",
    "in": "in",
    "audit": "controle",
    # stations
    "Enrol a station": "Station aanmelden",
    "Station name": "Stationsnaam",
    "Valid for (minutes)": "Geldig (minuten)",
    "Create code": "Code maken",
    "One-time enrolment code": "Eenmalige aanmeldcode",
    "Type this code at the new kiosk, or hold this QR code in front of its camera. It is shown once.":  # noqa: E501
    "Typ deze code op de nieuwe kiosk of houd deze QR-code voor de camera. "
    "Hij wordt één keer getoond.",
    "Expires": "Verloopt",
    "Last seen": "Laatst gezien",
    "Rename": "Hernoemen",
    "New name": "Nieuwe naam",
    "Revoke": "Intrekken",
    "Active": "Actief",
    # people
    "Users and roles": "Gebruikers en rollen",
    "Roles": "Rollen",
    "Badges": "Badges",
    "Issue a badge": "Badge uitgeven",
    "Badge label": "Badgelabel",
    "Issue badge": "Badge uitgeven",
    "Badge card": "Badgekaart",
    "The code is shown only now: print the card before you leave this page.": "De code wordt alleen nu getoond: druk de kaart af voordat je deze pagina verlaat.",
    "Issued": "Uitgegeven",
    "Revoke badge": "Badge intrekken",
    "PIN": "Pincode",
    "New PIN (4–12 digits, empty clears it)": "Nieuwe pincode (4–12 cijfers, leeg wist hem)",
    "Reset PIN": "Pincode herstellen",
    "PIN saved.": "Pincode opgeslagen.",
    "PIN cleared.": "Pincode gewist.",
    "Badge revoked.": "Badge ingetrokken.",
    "Lockouts": "Blokkades",
    "Locked until": "Geblokkeerd tot",
    "Failures": "Mislukte pogingen",
    "Key": "Sleutel",
    "Unlock": "Deblokkeren",
    "No lockouts.": "Geen blokkades.",
    "has a PIN": "heeft een pincode",
    "Deactivated": "Gedeactiveerd",
    # projects
    "Customer": "Klant",
    "Starts": "Begint",
    "Ends": "Eindigt",
    "Pick list": "Paklijst",
    "Product": "Product",
    "Needed": "Nodig",
    "Out": "Uit",
    "In": "In",
    "Missing": "Vermist",
    "Damaged": "Beschadigd",
    "Units on the pick list": "Units op de paklijst",
    "Unit": "Unit",
    "Return report": "Retourrapport",
    "Still out": "Nog uit",
    "Flagged scans": "Gemarkeerde scans",
    "Crew": "Crew",
    "Role": "Rol",
    "New project": "Nieuw project",
    "Edit project": "Project bewerken",
    "Quantity": "Aantal",
    "Add line": "Regel toevoegen",
    "Saved.": "Opgeslagen.",
    # inventory
    "Products": "Producten",
    "Units": "Units",
    "Cases": "Koffers",
    "Damaged and missing": "Beschadigd en vermist",
    "Tracking": "Registratie",
    "Stock": "Voorraad",
    "Serial": "Serienummer",
    "Where": "Waar",
    "Ledger history": "Grootboekgeschiedenis",
    "Kind": "Soort",
    "Contents": "Inhoud",
    "Barcode": "Barcode",
    "Category": "Categorie",
    # money
    "Invoices": "Facturen",
    "Invoice": "Factuur",
    "Number": "Nummer",
    "Amount": "Bedrag",
    "Paid": "Betaald",
    "Payments": "Betalingen",
    "Refunds": "Terugbetalingen",
    "Chargebacks": "Terugboekingen",
    "Provider events": "Providergebeurtenissen",
    "Provider": "Provider",
    "Refund": "Terugbetalen",
    "Amount (euro)": "Bedrag (euro)",
    "Create payment link": "Betaallink maken",
    "Payment link": "Betaallink",
    "Refund requested.": "Terugbetaling aangevraagd.",
    # exports
    "Export runs": "Exportruns",
    "Start a run": "Run starten",
    "Target": "Doel",
    "Progress": "Voortgang",
    "ETA": "Verwachte eindtijd",
    "Started": "Gestart",
    "Finished": "Klaar",
    "Report": "Rapport",
    "Reconciliation report": "Afstemmingsrapport",
    "Documents": "Documenten",
    "Calls against the rate limit": "Aanroepen tegen de limiet",
    "no calls in the last 8 hours": "geen aanroepen in de laatste 8 uur",
    "limit": "limiet",
    "Calls per 5 minutes; a run's calls are spread over its duration.": "Aanroepen per 5 minuten; de aanroepen van een run zijn over zijn duur verdeeld.",
    # audit
    "Action": "Actie",
    "Outcome": "Uitkomst",
    "Target type": "Doeltype",
    "Details": "Details",
    "Since": "Vanaf",
}


def pick_language(preference: str | None, accept_language: str | None) -> str:
    """The user's choice, else the first supported language the browser asks for."""
    if preference in LANGUAGES:
        return preference
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        base = tag.split("-")[0]
        if base in LANGUAGES:
            return base
    return DEFAULT_LANGUAGE


def translator(language: str):
    """``_`` for templates: Dutch from the catalogue, English as written."""
    if language == "nl":
        return lambda text: DUTCH.get(text, text)
    return lambda text: text
