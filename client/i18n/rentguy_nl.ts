<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="nl_NL">
<context>
    <name>AdminGateScreen</name>
    <message>
        <location filename="../ui/admin_gate.py" line="15" />
        <source>Admin badge needed</source>
        <translation>Beheerderspas nodig</translation>
    </message>
    <message>
        <location filename="../ui/admin_gate.py" line="26" />
        <source>Badge code</source>
        <translation>Pascode</translation>
    </message>
    <message>
        <location filename="../ui/admin_gate.py" line="29" />
        <source>Cancel</source>
        <translation>Annuleren</translation>
    </message>
    <message>
        <location filename="../ui/admin_gate.py" line="48" />
        <source>Scan an admin badge to open the settings.</source>
        <translation>Scan een beheerderspas om de instellingen te openen.</translation>
    </message>
    <message>
        <location filename="../ui/admin_gate.py" line="49" />
        <source>Scan an admin badge to leave the kiosk.</source>
        <translation>Scan een beheerderspas om de kiosk te verlaten.</translation>
    </message>
</context>
<context>
    <name>KioskApp</name>
    <message>
        <location filename="../app.py" line="149" />
        <source>not enrolled</source>
        <translation>niet aangemeld</translation>
    </message>
    <message>
        <location filename="../app.py" line="173" />
        <source>The server URL must start with http(s)://</source>
        <translation>De server-URL moet beginnen met http(s)://</translation>
    </message>
    <message>
        <location filename="../app.py" line="185" />
        <source>Enrolled as %1.</source>
        <translation>Aangemeld als %1.</translation>
    </message>
</context>
<context>
    <name>LoginScreen</name>
    <message>
        <location filename="../ui/login_screen.py" line="20" />
        <source>Scan your badge</source>
        <translation>Scan je pas</translation>
    </message>
    <message>
        <location filename="../ui/login_screen.py" line="22" />
        <source>Hold your badge under the scanner to start.</source>
        <translation>Houd je pas onder de scanner om te beginnen.</translation>
    </message>
    <message>
        <location filename="../ui/login_screen.py" line="32" />
        <source>Badge code</source>
        <translation>Pascode</translation>
    </message>
    <message>
        <location filename="../ui/login_screen.py" line="35" />
        <source>Log in</source>
        <translation>Inloggen</translation>
    </message>
    <message>
        <location filename="../ui/login_screen.py" line="37" />
        <location filename="../ui/login_screen.py" line="76" />
        <source>Settings</source>
        <translation>Instellingen</translation>
    </message>
    <message>
        <location filename="../ui/login_screen.py" line="40" />
        <source>Leave kiosk</source>
        <translation>Kiosk verlaten</translation>
    </message>
    <message>
        <location filename="../ui/login_screen.py" line="73" />
        <source>Checking your badge…</source>
        <translation>Pas wordt gecontroleerd…</translation>
    </message>
    <message>
        <location filename="../ui/login_screen.py" line="76" />
        <source>Enrol station</source>
        <translation>Station aanmelden</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../ui/main_window.py" line="62" />
        <source>RentGuy Kiosk</source>
        <translation>RentGuy Kiosk</translation>
    </message>
</context>
<context>
    <name>PinScreen</name>
    <message>
        <location filename="../ui/keypad.py" line="99" />
        <source>Enter your PIN</source>
        <translation>Voer je pincode in</translation>
    </message>
    <message>
        <location filename="../ui/keypad.py" line="109" />
        <source>OK</source>
        <translation>OK</translation>
    </message>
    <message>
        <location filename="../ui/keypad.py" line="112" />
        <source>Cancel</source>
        <translation>Annuleren</translation>
    </message>
</context>
<context>
    <name>ProblemsScreen</name>
    <message>
        <location filename="../ui/problems_screen.py" line="20" />
        <source>Conflicts and rejected scans</source>
        <translation>Conflicten en geweigerde scans</translation>
    </message>
    <message>
        <location filename="../ui/problems_screen.py" line="22" />
        <source>Back</source>
        <translation>Terug</translation>
    </message>
    <message>
        <location filename="../ui/problems_screen.py" line="28" />
        <source>A conflict was recorded but needs a look; a rejected scan did not count.</source>
        <translation>Een conflict is geboekt maar moet bekeken worden; een geweigerde scan telt niet.</translation>
    </message>
    <message>
        <location filename="../ui/problems_screen.py" line="32" />
        <source>No problems. Everything was accepted.</source>
        <translation>Geen problemen. Alles is geaccepteerd.</translation>
    </message>
    <message>
        <location filename="../ui/problems_screen.py" line="35" />
        <source>Time</source>
        <translation>Tijd</translation>
    </message>
    <message>
        <location filename="../ui/problems_screen.py" line="35" />
        <source>Item</source>
        <translation>Artikel</translation>
    </message>
    <message>
        <location filename="../ui/problems_screen.py" line="35" />
        <source>Code</source>
        <translation>Code</translation>
    </message>
    <message>
        <location filename="../ui/problems_screen.py" line="35" />
        <source>State</source>
        <translation>Status</translation>
    </message>
    <message>
        <location filename="../ui/problems_screen.py" line="35" />
        <source>Reason</source>
        <translation>Reden</translation>
    </message>
    <message>
        <location filename="../ui/problems_screen.py" line="39" />
        <source>conflict</source>
        <translation>conflict</translation>
    </message>
    <message>
        <location filename="../ui/problems_screen.py" line="39" />
        <source>rejected</source>
        <translation>geweigerd</translation>
    </message>
</context>
<context>
    <name>ProjectScreen</name>
    <message>
        <location filename="../ui/project_screen.py" line="32" />
        <source>Choose a project</source>
        <translation>Kies een project</translation>
    </message>
    <message>
        <location filename="../ui/project_screen.py" line="36" />
        <source>Log out</source>
        <translation>Uitloggen</translation>
    </message>
    <message>
        <location filename="../ui/project_screen.py" line="50" />
        <source>No open projects in the local data yet.</source>
        <translation>Nog geen open projecten in de lokale gegevens.</translation>
    </message>
</context>
<context>
    <name>QuantityScreen</name>
    <message>
        <location filename="../ui/keypad.py" line="37" />
        <source>Quantity for the next bulk scan</source>
        <translation>Aantal voor de volgende bulkscan</translation>
    </message>
    <message>
        <location filename="../ui/keypad.py" line="44" />
        <source>OK</source>
        <translation>OK</translation>
    </message>
    <message>
        <location filename="../ui/keypad.py" line="47" />
        <source>Cancel</source>
        <translation>Annuleren</translation>
    </message>
</context>
<context>
    <name>Reasons</name>
    <message>
        <location filename="../reasons.py" line="40" />
        <source>The scan could not be stored: {field} contains {char}.</source>
        <translation>De scan kon niet worden opgeslagen: {field} bevat {char}.</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="43" />
        <source>The scan could not be stored: its time is out of range.</source>
        <translation>De scan kon niet worden opgeslagen: de tijd ervan is ongeldig.</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="46" />
        <source>The server could not store this scan ({error}).</source>
        <translation>De server kon deze scan niet opslaan ({error}).</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="49" />
        <source>The server does not know this user. Log in again.</source>
        <translation>De server kent deze gebruiker niet. Log opnieuw in.</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="52" />
        <source>The server does not know this project. Choose another project.</source>
        <translation>De server kent dit project niet. Kies een ander project.</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="55" />
        <source>Unreadable code {code}: {error}</source>
        <translation>Onleesbare code {code}: {error}</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="56" />
        <source>Unknown code {code}</source>
        <translation>Onbekende code {code}</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="57" />
        <source>A quantity is only allowed for bulk items.</source>
        <translation>Een aantal mag alleen bij bulkartikelen.</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="60" />
        <source>Only a single unit can be packed into a case.</source>
        <translation>Alleen een los exemplaar kan in een koffer worden gepakt.</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="63" />
        <source>Unknown case {case_code}</source>
        <translation>Onbekende koffer {case_code}</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="64" />
        <source>Unit {barcode} was taken out of case {case}.</source>
        <translation>Exemplaar {barcode} is uit koffer {case} gehaald.</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="67" />
        <source>Unit {barcode} was already out on this project.</source>
        <translation>Exemplaar {barcode} was al uit op dit project.</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="70" />
        <source>Unit {barcode} is still out on another project.</source>
        <translation>Exemplaar {barcode} is nog uit op een ander project.</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="73" />
        <source>Unit {barcode} is marked {status}.</source>
        <translation>Exemplaar {barcode} staat op {status}.</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="74" />
        <source>Unit {barcode} is not one of the units named on the pick list.</source>
        <translation>Exemplaar {barcode} is niet een van de exemplaren die op de paklijst staan.</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="77" />
        <source>Unit {barcode} was not out.</source>
        <translation>Exemplaar {barcode} was niet uitgegeven.</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="78" />
        <source>Kit {kit}: {count} unit(s) not out on this project: {units}</source>
        <translation>Set {kit}: {count} exemplaar/exemplaren niet uit op dit project: {units}</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="81" />
        <source>Kit {kit}: {count} unit(s) not back in: {units}</source>
        <translation>Set {kit}: {count} exemplaar/exemplaren niet terug: {units}</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="84" />
        <source>This item is not on the project's pick list.</source>
        <translation>Dit artikel staat niet op de paklijst van het project.</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="87" />
        <source>More than the pick list asks for: {out} out, {wanted} asked.</source>
        <translation>Meer dan de paklijst vraagt: {out} uit, {wanted} gevraagd.</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="90" />
        <source>Scanned by a user who has been deactivated: to be reviewed.</source>
        <translation>Gescand door een gebruiker die is gedeactiveerd: wordt nagekeken.</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="93" />
        <source>The server has no login of this user at this station: to be reviewed.</source>
        <translation>De server kent geen aanmelding van deze gebruiker op dit station: wordt nagekeken.</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="96" />
        <source>This scan names another user's or station's login: to be reviewed.</source>
        <translation>Deze scan noemt de aanmelding van een andere gebruiker of een ander station: wordt nagekeken.</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="99" />
        <source>Undo refused: the server does not know that scan from this station.</source>
        <translation>Ongedaan maken geweigerd: de server kent die scan van dit station niet.</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="102" />
        <source>Nothing to undo: that scan was rejected.</source>
        <translation>Niets ongedaan te maken: die scan was geweigerd.</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="105" />
        <source>An undo cannot be undone: scan the item again.</source>
        <translation>Ongedaan maken kan niet ongedaan worden: scan het artikel opnieuw.</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="108" />
        <source>Too late to undo: the time to undo has passed.</source>
        <translation>Te laat om ongedaan te maken: de tijd daarvoor is voorbij.</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="111" />
        <source>That scan was already undone.</source>
        <translation>Die scan was al ongedaan gemaakt.</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="114" />
        <source>A damaged or missing return cannot be undone here; an admin corrects it.</source>
        <translation>Een beschadigde of vermiste retour kan hier niet ongedaan; een beheerder corrigeert het.</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="117" />
        <source>Unreadable code: {error}</source>
        <translation>Onleesbare code: {error}</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="118" />
        <source>Unknown code</source>
        <translation>Onbekende code</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="119" />
        <source>scan the unit's own label</source>
        <translation>scan het label van het exemplaar zelf</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="120" />
        <source>status is {status}</source>
        <translation>status is {status}</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="121" />
        <source>already scanned out for this project</source>
        <translation>al uitgescand voor dit project</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="124" />
        <source>still out on another project</source>
        <translation>nog uit op een ander project</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="125" />
        <source>was not out</source>
        <translation>was niet uitgegeven</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="126" />
        <source>is out on another project</source>
        <translation>is uit op een ander project</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="127" />
        <source>not on the pick list</source>
        <translation>niet op de paklijst</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="128" />
        <source>more than the pick list asks for</source>
        <translation>meer dan de paklijst vraagt</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="133" />
        <source>available</source>
        <translation>beschikbaar</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="134" />
        <source>out</source>
        <translation>uit</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="135" />
        <source>damaged</source>
        <translation>beschadigd</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="136" />
        <source>missing</source>
        <translation>vermist</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="137" />
        <source>maintenance</source>
        <translation>in onderhoud</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="138" />
        <source>retired</source>
        <translation>afgeschreven</translation>
    </message>
    <message>
        <location filename="../reasons.py" line="139" />
        <source>lost</source>
        <translation>kwijt</translation>
    </message>
</context>
<context>
    <name>RevokedScreen</name>
    <message>
        <location filename="../ui/revoked_screen.py" line="20" />
        <source>This station has been revoked</source>
        <translation>Dit station is ingetrokken</translation>
    </message>
    <message>
        <location filename="../ui/revoked_screen.py" line="24" />
        <source>An administrator revoked this station. Its offline data and badge list were erased; nobody can log in here.</source>
        <translation>Een beheerder heeft dit station ingetrokken. De offline gegevens en de passenlijst zijn gewist; hier kan niemand meer inloggen.</translation>
    </message>
    <message>
        <location filename="../ui/revoked_screen.py" line="33" />
        <source>To use this kiosk again, enter a new enrolment code from an administrator.</source>
        <translation>Vul een nieuwe aanmeldcode van een beheerder in om deze kiosk weer te gebruiken.</translation>
    </message>
    <message>
        <location filename="../ui/revoked_screen.py" line="41" />
        <source>Enrolment code</source>
        <translation>Aanmeldcode</translation>
    </message>
    <message>
        <location filename="../ui/revoked_screen.py" line="44" />
        <source>Enrol this station</source>
        <translation>Dit station aanmelden</translation>
    </message>
    <message>
        <location filename="../ui/revoked_screen.py" line="68" />
        <source>Scans the server had not accepted were saved to: %1</source>
        <translation>Scans die de server nog niet had aangenomen, staan in: %1</translation>
    </message>
</context>
<context>
    <name>ScanController</name>
    <message>
        <location filename="../controller.py" line="136" />
        <source>This station has been revoked.</source>
        <translation>Dit station is ingetrokken.</translation>
    </message>
    <message>
        <location filename="../controller.py" line="195" />
        <source>Offline, the settings need an admin badge with a PIN.</source>
        <translation>Offline zijn voor de instellingen een beheerderspas en pincode nodig.</translation>
    </message>
    <message>
        <location filename="../controller.py" line="197" />
        <source>This badge is not an admin badge.</source>
        <translation>Deze pas is geen beheerderspas.</translation>
    </message>
    <message>
        <location filename="../controller.py" line="264" />
        <source>Choose a project first.</source>
        <translation>Kies eerst een project.</translation>
    </message>
    <message>
        <location filename="../controller.py" line="307" />
        <source>Log in and choose a project first.</source>
        <translation>Log eerst in en kies een project.</translation>
    </message>
    <message>
        <location filename="../controller.py" line="379" />
        <source>Nothing to undo.</source>
        <translation>Niets om ongedaan te maken.</translation>
    </message>
</context>
<context>
    <name>ScanScreen</name>
    <message>
        <location filename="../ui/scan_screen.py" line="97" />
        <location filename="../ui/scan_screen.py" line="213" />
        <source>Out</source>
        <translation>Uit</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="98" />
        <location filename="../ui/scan_screen.py" line="213" />
        <source>In</source>
        <translation>In</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="99" />
        <source>Audit</source>
        <translation>Controle</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="100" />
        <source>Undone</source>
        <translation>Ongedaan</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="102" />
        <source>damaged</source>
        <translation>beschadigd</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="102" />
        <source>missing</source>
        <translation>vermist</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="104" />
        <source>queued</source>
        <translation>in wachtrij</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="105" />
        <source>synced</source>
        <translation>verwerkt</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="106" />
        <source>conflict</source>
        <translation>conflict</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="107" />
        <source>rejected</source>
        <translation>geweigerd</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="108" />
        <source>undone</source>
        <translation>ongedaan</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="121" />
        <source>offline login</source>
        <translation>offline</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="128" />
        <source>Settings</source>
        <translation>Instellingen</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="132" />
        <source>Projects</source>
        <translation>Projecten</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="134" />
        <source>Log out</source>
        <translation>Uitloggen</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="176" />
        <source>Mark the next return as:</source>
        <translation>Markeer de volgende retour als:</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="180" />
        <source>Damaged</source>
        <translation>Beschadigd</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="180" />
        <source>Missing</source>
        <translation>Vermist</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="196" />
        <source>Undo scan</source>
        <translation>Scan ongedaan</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="213" />
        <location filename="../ui/scan_screen.py" line="217" />
        <source>Item</source>
        <translation>Artikel</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="213" />
        <source>Need</source>
        <translation>Nodig</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="217" />
        <source>Time</source>
        <translation>Tijd</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="217" />
        <source>Mode</source>
        <translation>Modus</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="217" />
        <source>State</source>
        <translation>Status</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="217" />
        <source>Note</source>
        <translation>Opmerking</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="228" />
        <source>Pick list</source>
        <translation>Paklijst</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="229" />
        <source>Last scans</source>
        <translation>Laatste scans</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="253" />
        <source>Camera</source>
        <translation>Camera</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="287" />
        <source>Qty: %1</source>
        <translation>Aantal: %1</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="297" />
        <source>Problems: %1</source>
        <translation>Problemen: %1</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="303" />
        <source>Ready — scan an item</source>
        <translation>Klaar — scan een artikel</translation>
    </message>
</context>
<context>
    <name>SettingsScreen</name>
    <message>
        <location filename="../ui/settings_screen.py" line="37" />
        <source>Settings</source>
        <translation>Instellingen</translation>
    </message>
    <message>
        <location filename="../ui/settings_screen.py" line="39" />
        <source>Back</source>
        <translation>Terug</translation>
    </message>
    <message>
        <location filename="../ui/settings_screen.py" line="41" />
        <source>Leave kiosk</source>
        <translation>Kiosk verlaten</translation>
    </message>
    <message>
        <location filename="../ui/settings_screen.py" line="64" />
        <source> min</source>
        <translation> min</translation>
    </message>
    <message>
        <location filename="../ui/settings_screen.py" line="65" />
        <source>never</source>
        <translation>nooit</translation>
    </message>
    <message>
        <location filename="../ui/settings_screen.py" line="71" />
        <source>0 = first camera; empty = none</source>
        <translation>0 = eerste camera; leeg = geen</translation>
    </message>
    <message>
        <location filename="../ui/settings_screen.py" line="72" />
        <source>Save</source>
        <translation>Opslaan</translation>
    </message>
    <message>
        <location filename="../ui/settings_screen.py" line="79" />
        <source>Language</source>
        <translation>Taal</translation>
    </message>
    <message>
        <location filename="../ui/settings_screen.py" line="80" />
        <source>Log out when idle after</source>
        <translation>Automatisch uitloggen na</translation>
    </message>
    <message>
        <location filename="../ui/settings_screen.py" line="81" />
        <source>Serial scanner port</source>
        <translation>Poort seriële scanner</translation>
    </message>
    <message>
        <location filename="../ui/settings_screen.py" line="82" />
        <source>Serial speed (baud)</source>
        <translation>Snelheid serieel (baud)</translation>
    </message>
    <message>
        <location filename="../ui/settings_screen.py" line="83" />
        <source>Camera</source>
        <translation>Camera</translation>
    </message>
    <message>
        <location filename="../ui/settings_screen.py" line="92" />
        <source>One-time code from the admin screen</source>
        <translation>Eenmalige code uit het beheerscherm</translation>
    </message>
    <message>
        <location filename="../ui/settings_screen.py" line="94" />
        <source>e.g. Loading dock 1</source>
        <translation>bijv. Laaddock 1</translation>
    </message>
    <message>
        <location filename="../ui/settings_screen.py" line="95" />
        <source>Enrol this station</source>
        <translation>Dit station aanmelden</translation>
    </message>
    <message>
        <location filename="../ui/settings_screen.py" line="102" />
        <source>Station</source>
        <translation>Station</translation>
    </message>
    <message>
        <location filename="../ui/settings_screen.py" line="103" />
        <source>Server URL</source>
        <translation>Server-URL</translation>
    </message>
    <message>
        <location filename="../ui/settings_screen.py" line="104" />
        <source>Enrolment code</source>
        <translation>Aanmeldcode</translation>
    </message>
    <message>
        <location filename="../ui/settings_screen.py" line="105" />
        <source>Station name</source>
        <translation>Stationsnaam</translation>
    </message>
    <message>
        <location filename="../ui/settings_screen.py" line="112" />
        <source>This kiosk</source>
        <translation>Deze kiosk</translation>
    </message>
    <message>
        <location filename="../ui/settings_screen.py" line="115" />
        <source>Station enrolment</source>
        <translation>Station aanmelden</translation>
    </message>
    <message>
        <location filename="../ui/settings_screen.py" line="159" />
        <source>Saved. Scanner changes apply at the next start.</source>
        <translation>Opgeslagen. Scannerwijzigingen gelden na een herstart.</translation>
    </message>
</context>
<context>
    <name>StatusBar</name>
    <message>
        <location filename="../ui/status_bar.py" line="41" />
        <source>Connecting…</source>
        <translation>Verbinden…</translation>
    </message>
    <message>
        <location filename="../ui/status_bar.py" line="43" />
        <source>Station token rejected</source>
        <translation>Stationssleutel geweigerd</translation>
    </message>
    <message>
        <location filename="../ui/status_bar.py" line="45" />
        <source>Station revoked</source>
        <translation>Station ingetrokken</translation>
    </message>
    <message>
        <location filename="../ui/status_bar.py" line="47" />
        <source>Not enrolled</source>
        <translation>Niet aangemeld</translation>
    </message>
    <message>
        <location filename="../ui/status_bar.py" line="49" />
        <source>Update needed</source>
        <translation>Update nodig</translation>
    </message>
    <message>
        <location filename="../ui/status_bar.py" line="51" />
        <source>Kiosk problem</source>
        <translation>Kioskprobleem</translation>
    </message>
    <message>
        <location filename="../ui/status_bar.py" line="53" />
        <source>Offline</source>
        <translation>Offline</translation>
    </message>
    <message>
        <location filename="../ui/status_bar.py" line="55" />
        <source>Online</source>
        <translation>Online</translation>
    </message>
    <message>
        <location filename="../selftest.py" line="184" />
        <location filename="../ui/status_bar.py" line="57" />
        <source>Server problem</source>
        <translation>Serverprobleem</translation>
    </message>
    <message>
        <location filename="../ui/status_bar.py" line="61" />
        <source>Last sync: %1</source>
        <translation>Laatste sync: %1</translation>
    </message>
    <message>
        <location filename="../ui/status_bar.py" line="68" />
        <source>Camera</source>
        <translation>Camera</translation>
    </message>
    <message>
        <location filename="../ui/status_bar.py" line="68" />
        <source>Serial</source>
        <translation>Serieel</translation>
    </message>
    <message>
        <location filename="../ui/status_bar.py" line="71" />
        <location filename="../ui/status_bar.py" line="72" />
        <source>ready</source>
        <translation>gereed</translation>
    </message>
    <message>
        <location filename="../ui/status_bar.py" line="73" />
        <source>not connected</source>
        <translation>niet aangesloten</translation>
    </message>
    <message>
        <location filename="../ui/status_bar.py" line="74" />
        <source>disconnected</source>
        <translation>losgekoppeld</translation>
    </message>
    <message>
        <location filename="../ui/status_bar.py" line="75" />
        <location filename="../ui/status_bar.py" line="76" />
        <source>stopped</source>
        <translation>gestopt</translation>
    </message>
    <message>
        <location filename="../ui/status_bar.py" line="83" />
        <source>Queue: %1</source>
        <translation>Wachtrij: %1</translation>
    </message>
</context>
<context>
    <name>auth</name>
    <message>
        <location filename="../auth.py" line="98" />
        <source>Badge or PIN not recognised.</source>
        <translation>Pas of pincode niet herkend.</translation>
    </message>
    <message>
        <location filename="../auth.py" line="117" />
        <source>The enrolment code must be 6 to 64 characters.</source>
        <translation>De aanmeldcode is 6 tot 64 tekens lang.</translation>
    </message>
    <message>
        <location filename="../auth.py" line="125" />
        <source>Server unreachable: %1</source>
        <translation>Server onbereikbaar: %1</translation>
    </message>
    <message>
        <location filename="../auth.py" line="135" />
        <source>Unexpected answer from the server.</source>
        <translation>Onverwacht antwoord van de server.</translation>
    </message>
    <message>
        <location filename="../auth.py" line="161" />
        <location filename="../auth.py" line="208" />
        <location filename="../auth.py" line="234" />
        <source>Badge not recognised.</source>
        <translation>Pas niet herkend.</translation>
    </message>
    <message>
        <location filename="../auth.py" line="190" />
        <location filename="../auth.py" line="244" />
        <source>Too many attempts: try again in %1 s.</source>
        <translation>Te veel pogingen: probeer het over %1 s opnieuw.</translation>
    </message>
    <message>
        <location filename="../auth.py" line="196" />
        <location filename="../auth.py" line="255" />
        <source>Enter your PIN.</source>
        <translation>Voer je pincode in.</translation>
    </message>
    <message>
        <location filename="../auth.py" line="199" />
        <source>This badge needs a PIN: ask an admin to set one.</source>
        <translation>Deze pas heeft een pincode nodig: vraag een beheerder die in te stellen.</translation>
    </message>
    <message>
        <location filename="../auth.py" line="221" />
        <source>No reference data yet — connect to the server.</source>
        <translation>Nog geen gegevens — verbind met de server.</translation>
    </message>
    <message>
        <location filename="../auth.py" line="225" />
        <source>Badge misread: scan it again.</source>
        <translation>Pas verkeerd gelezen: scan hem opnieuw.</translation>
    </message>
</context>
</TS>