"""Dutch for every English source text of the kiosk (the warehouse's own words)."""

NL = {
    " min": " min",
    "0 = first camera; empty = none": "0 = eerste camera; leeg = geen",
    "A conflict was recorded but needs a look; a rejected scan did not count.": (
        "Een conflict is geboekt maar moet bekeken worden; een geweigerde scan telt niet."
    ),
    "A damaged or missing return cannot be undone here; an admin corrects it.": (
        "Een beschadigde of vermiste retour kan hier niet ongedaan; een beheerder corrigeert het."
    ),
    "A quantity is only allowed for bulk items.": "Een aantal mag alleen bij bulkartikelen.",
    "Admin badge needed": "Beheerderspas nodig",
    "An undo cannot be undone: scan the item again.": (
        "Ongedaan maken kan niet ongedaan worden: scan het artikel opnieuw."
    ),
    "Audit": "Controle",
    "Back": "Terug",
    "Badge code": "Pascode",
    "Badge misread: scan it again.": "Pas verkeerd gelezen: scan hem opnieuw.",
    "Badge not recognised.": "Pas niet herkend.",
    "Badge or PIN not recognised.": "Pas of pincode niet herkend.",
    "Camera": "Camera",
    "Cancel": "Annuleren",
    "Checking your badge…": "Pas wordt gecontroleerd…",
    "Choose a project": "Kies een project",
    "Choose a project first.": "Kies eerst een project.",
    "Code": "Code",
    "Conflicts and rejected scans": "Conflicten en geweigerde scans",
    "Connecting…": "Verbinden…",
    "Damaged": "Beschadigd",
    "Enrol station": "Station aanmelden",
    "Enrol this station": "Dit station aanmelden",
    "Enrolled as %1.": "Aangemeld als %1.",
    "Enrolment code": "Aanmeldcode",
    "Enter your PIN": "Voer je pincode in",
    "Enter your PIN.": "Voer je pincode in.",
    "Hold your badge under the scanner to start.": "Houd je pas onder de scanner om te beginnen.",
    "In": "In",
    "Item": "Artikel",
    "Kiosk problem": "Kioskprobleem",
    "Kit {kit}: {count} unit(s) not back in: {units}": (
        "Set {kit}: {count} exemplaar/exemplaren niet terug: {units}"
    ),
    "Kit {kit}: {count} unit(s) not out on this project: {units}": (
        "Set {kit}: {count} exemplaar/exemplaren niet uit op dit project: {units}"
    ),
    "Language": "Taal",
    "Last scans": "Laatste scans",
    "Last sync: %1": "Laatste sync: %1",
    "Leave kiosk": "Kiosk verlaten",
    "Log in": "Inloggen",
    "Log in and choose a project first.": "Log eerst in en kies een project.",
    "Log out": "Uitloggen",
    "Log out when idle after": "Automatisch uitloggen na",
    "Mark the next return as:": "Markeer de volgende retour als:",
    "Missing": "Vermist",
    "Mode": "Modus",
    "More than the pick list asks for: {out} out, {wanted} asked.": (
        "Meer dan de paklijst vraagt: {out} uit, {wanted} gevraagd."
    ),
    "Need": "Nodig",
    "No open projects in the local data yet.": "Nog geen open projecten in de lokale gegevens.",
    "No problems. Everything was accepted.": "Geen problemen. Alles is geaccepteerd.",
    "No reference data yet — connect to the server.": "Nog geen gegevens — verbind met de server.",
    "Not enrolled": "Niet aangemeld",
    "Note": "Opmerking",
    "Nothing to undo.": "Niets om ongedaan te maken.",
    "Nothing to undo: that scan was rejected.": "Niets ongedaan te maken: die scan was geweigerd.",
    "OK": "OK",
    "Offline": "Offline",
    "Offline, the settings need an admin badge with a PIN.": (
        "Offline zijn voor de instellingen een beheerderspas en pincode nodig."
    ),
    "One-time code from the admin screen": "Eenmalige code uit het beheerscherm",
    "Online": "Online",
    "Only a single unit can be packed into a case.": (
        "Alleen een los exemplaar kan in een koffer worden gepakt."
    ),
    "Out": "Uit",
    "Pick list": "Paklijst",
    "Problems: %1": "Problemen: %1",
    "Projects": "Projecten",
    "Qty: %1": "Aantal: %1",
    "Quantity for the next bulk scan": "Aantal voor de volgende bulkscan",
    "Queue: %1": "Wachtrij: %1",
    "Ready — scan an item": "Klaar — scan een artikel",
    "Reason": "Reden",
    "RentGuy Kiosk": "RentGuy Kiosk",
    "Save": "Opslaan",
    "Saved. Scanner changes apply at the next start.": (
        "Opgeslagen. Scannerwijzigingen gelden na een herstart."
    ),
    "Scan an admin badge to leave the kiosk.": "Scan een beheerderspas om de kiosk te verlaten.",
    "Scan an admin badge to open the settings.": (
        "Scan een beheerderspas om de instellingen te openen."
    ),
    "Scan your badge": "Scan je pas",
    "Scanned by a user who has been deactivated: to be reviewed.": (
        "Gescand door een gebruiker die is gedeactiveerd: wordt nagekeken."
    ),
    "The server has no login of this user at this station: to be reviewed.": (
        "De server kent geen aanmelding van deze gebruiker op dit station: wordt nagekeken."
    ),
    "This scan names another user's or station's login: to be reviewed.": (
        "Deze scan noemt de aanmelding van een andere gebruiker of een ander station:"
        " wordt nagekeken."
    ),
    "Serial": "Serieel",
    "Serial scanner port": "Poort seriële scanner",
    "Serial speed (baud)": "Snelheid serieel (baud)",
    "Server URL": "Server-URL",
    "Server problem": "Serverprobleem",
    "Server unreachable: %1": "Server onbereikbaar: %1",
    "Settings": "Instellingen",
    "State": "Status",
    "Station": "Station",
    "Station enrolment": "Station aanmelden",
    "Station name": "Stationsnaam",
    "Station token rejected": "Stationssleutel geweigerd",
    "That scan was already undone.": "Die scan was al ongedaan gemaakt.",
    "The enrolment code must be 6 to 64 characters.": "De aanmeldcode is 6 tot 64 tekens lang.",
    "The scan could not be stored: its time is out of range.": (
        "De scan kon niet worden opgeslagen: de tijd ervan is ongeldig."
    ),
    "The scan could not be stored: {field} contains {char}.": (
        "De scan kon niet worden opgeslagen: {field} bevat {char}."
    ),
    "The server URL must start with http(s)://": "De server-URL moet beginnen met http(s)://",
    "The server could not store this scan ({error}).": (
        "De server kon deze scan niet opslaan ({error})."
    ),
    "The server does not know this project. Choose another project.": (
        "De server kent dit project niet. Kies een ander project."
    ),
    "The server does not know this user. Log in again.": (
        "De server kent deze gebruiker niet. Log opnieuw in."
    ),
    "This badge is not an admin badge.": "Deze pas is geen beheerderspas.",
    "This badge needs a PIN: ask an admin to set one.": (
        "Deze pas heeft een pincode nodig: vraag een beheerder die in te stellen."
    ),
    "This item is not on the project's pick list.": (
        "Dit artikel staat niet op de paklijst van het project."
    ),
    "This kiosk": "Deze kiosk",
    "Time": "Tijd",
    "Too late to undo: the time to undo has passed.": (
        "Te laat om ongedaan te maken: de tijd daarvoor is voorbij."
    ),
    "Too many attempts: try again in %1 s.": "Te veel pogingen: probeer het over %1 s opnieuw.",
    "Undo refused: the server does not know that scan from this station.": (
        "Ongedaan maken geweigerd: de server kent die scan van dit station niet."
    ),
    "Undo scan": "Scan ongedaan",
    "Undone": "Ongedaan",
    "Unexpected answer from the server.": "Onverwacht antwoord van de server.",
    "Update needed": "Update nodig",
    "Unit {barcode} is marked {status}.": "Exemplaar {barcode} staat op {status}.",
    "Unit {barcode} is not one of the units named on the pick list.": (
        "Exemplaar {barcode} is niet een van de exemplaren die op de paklijst staan."
    ),
    "Unit {barcode} is still out on another project.": (
        "Exemplaar {barcode} is nog uit op een ander project."
    ),
    "Unit {barcode} was already out on this project.": (
        "Exemplaar {barcode} was al uit op dit project."
    ),
    "Unit {barcode} was not out.": "Exemplaar {barcode} was niet uitgegeven.",
    "Unit {barcode} was taken out of case {case}.": (
        "Exemplaar {barcode} is uit koffer {case} gehaald."
    ),
    "Unknown case {case_code}": "Onbekende koffer {case_code}",
    "Unknown code": "Onbekende code",
    "Unknown code {code}": "Onbekende code {code}",
    "Unreadable code {code}: {error}": "Onleesbare code {code}: {error}",
    "Unreadable code: {error}": "Onleesbare code: {error}",
    "already scanned out for this project": "al uitgescand voor dit project",
    "available": "beschikbaar",
    "conflict": "conflict",
    "damaged": "beschadigd",
    "disconnected": "losgekoppeld",
    "e.g. Loading dock 1": "bijv. Laaddock 1",
    "is out on another project": "is uit op een ander project",
    "lost": "kwijt",
    "maintenance": "in onderhoud",
    "missing": "vermist",
    "more than the pick list asks for": "meer dan de paklijst vraagt",
    "never": "nooit",
    "not connected": "niet aangesloten",
    "not enrolled": "niet aangemeld",
    "not on the pick list": "niet op de paklijst",
    "offline login": "offline",
    "out": "uit",
    "queued": "in wachtrij",
    "ready": "gereed",
    "rejected": "geweigerd",
    "retired": "afgeschreven",
    "scan the unit's own label": "scan het label van het exemplaar zelf",
    "status is {status}": "status is {status}",
    "still out on another project": "nog uit op een ander project",
    "stopped": "gestopt",
    "synced": "verwerkt",
    "undone": "ongedaan",
    "was not out": "was niet uitgegeven",
    "This station has been revoked": "Dit station is ingetrokken",
    "This station has been revoked.": "Dit station is ingetrokken.",
    (
        "An administrator revoked this station. Its offline data and badge list were erased;"
        " nobody can log in here."
    ): (
        "Een beheerder heeft dit station ingetrokken. De offline gegevens en de passenlijst"
        " zijn gewist; hier kan niemand meer inloggen."
    ),
    "Scans the server had not accepted were saved to: %1": (
        "Scans die de server nog niet had aangenomen, staan in: %1"
    ),
    "To use this kiosk again, enter a new enrolment code from an administrator.": (
        "Vul een nieuwe aanmeldcode van een beheerder in om deze kiosk weer te gebruiken."
    ),
    "Station revoked": "Station ingetrokken",
}
