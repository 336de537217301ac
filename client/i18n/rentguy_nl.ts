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
        <location filename="../app.py" line="175" />
        <source>The server URL must start with http(s)://</source>
        <translation>De server-URL moet beginnen met http(s)://</translation>
    </message>
    <message>
        <location filename="../app.py" line="188" />
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
        <location filename="../ui/main_window.py" line="61" />
        <source>RentGuy Kiosk</source>
        <translation>RentGuy Kiosk</translation>
    </message>
</context>
<context>
    <name>ProblemsScreen</name>
    <message>
        <location filename="../ui/problems_screen.py" line="19" />
        <source>Conflicts and rejected scans</source>
        <translation>Conflicten en geweigerde scans</translation>
    </message>
    <message>
        <location filename="../ui/problems_screen.py" line="21" />
        <source>Back</source>
        <translation>Terug</translation>
    </message>
    <message>
        <location filename="../ui/problems_screen.py" line="27" />
        <source>A conflict was recorded but needs a look; a rejected scan did not count.</source>
        <translation>Een conflict is geboekt maar moet bekeken worden; een geweigerde scan telt niet.</translation>
    </message>
    <message>
        <location filename="../ui/problems_screen.py" line="31" />
        <source>No problems. Everything was accepted.</source>
        <translation>Geen problemen. Alles is geaccepteerd.</translation>
    </message>
    <message>
        <location filename="../ui/problems_screen.py" line="34" />
        <source>Time</source>
        <translation>Tijd</translation>
    </message>
    <message>
        <location filename="../ui/problems_screen.py" line="34" />
        <source>Item</source>
        <translation>Artikel</translation>
    </message>
    <message>
        <location filename="../ui/problems_screen.py" line="34" />
        <source>Code</source>
        <translation>Code</translation>
    </message>
    <message>
        <location filename="../ui/problems_screen.py" line="34" />
        <source>State</source>
        <translation>Status</translation>
    </message>
    <message>
        <location filename="../ui/problems_screen.py" line="34" />
        <source>Reason</source>
        <translation>Reden</translation>
    </message>
    <message>
        <location filename="../ui/problems_screen.py" line="38" />
        <source>conflict</source>
        <translation>conflict</translation>
    </message>
    <message>
        <location filename="../ui/problems_screen.py" line="38" />
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
        <location filename="../ui/keypad.py" line="17" />
        <source>Quantity for the next bulk scan</source>
        <translation>Aantal voor de volgende bulkscan</translation>
    </message>
    <message>
        <location filename="../ui/keypad.py" line="34" />
        <source>OK</source>
        <translation>OK</translation>
    </message>
    <message>
        <location filename="../ui/keypad.py" line="37" />
        <source>Cancel</source>
        <translation>Annuleren</translation>
    </message>
</context>
<context>
    <name>ScanController</name>
    <message>
        <location filename="../controller.py" line="158" />
        <source>This badge is not an admin badge.</source>
        <translation>Deze pas is geen beheerderspas.</translation>
    </message>
    <message>
        <location filename="../controller.py" line="209" />
        <source>Choose a project first.</source>
        <translation>Kies eerst een project.</translation>
    </message>
    <message>
        <location filename="../controller.py" line="248" />
        <source>Log in and choose a project first.</source>
        <translation>Log eerst in en kies een project.</translation>
    </message>
    <message>
        <location filename="../controller.py" line="266" />
        <source>Unreadable code: %1</source>
        <translation>Onleesbare code: %1</translation>
    </message>
    <message>
        <location filename="../controller.py" line="315" />
        <source>Nothing to undo.</source>
        <translation>Niets om ongedaan te maken.</translation>
    </message>
    <message>
        <location filename="../controller.py" line="379" />
        <source>Unknown code</source>
        <translation>Onbekende code</translation>
    </message>
    <message>
        <location filename="../controller.py" line="381" />
        <source>scan the unit's own label</source>
        <translation>scan het label van het exemplaar zelf</translation>
    </message>
    <message>
        <location filename="../controller.py" line="396" />
        <source>status is %1</source>
        <translation>status is %1</translation>
    </message>
    <message>
        <location filename="../controller.py" line="399" />
        <source>already scanned out for this project</source>
        <translation>al uitgescand voor dit project</translation>
    </message>
    <message>
        <location filename="../controller.py" line="401" />
        <source>still out on another project</source>
        <translation>nog uit op een ander project</translation>
    </message>
    <message>
        <location filename="../controller.py" line="403" />
        <source>was not out</source>
        <translation>was niet uitgegeven</translation>
    </message>
    <message>
        <location filename="../controller.py" line="405" />
        <source>is out on another project</source>
        <translation>is uit op een ander project</translation>
    </message>
    <message>
        <location filename="../controller.py" line="417" />
        <source>not on the pick list</source>
        <translation>niet op de paklijst</translation>
    </message>
    <message>
        <location filename="../controller.py" line="419" />
        <source>more than the pick list asks for</source>
        <translation>meer dan de paklijst vraagt</translation>
    </message>
</context>
<context>
    <name>ScanScreen</name>
    <message>
        <location filename="../ui/scan_screen.py" line="96" />
        <location filename="../ui/scan_screen.py" line="211" />
        <source>Out</source>
        <translation>Uit</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="97" />
        <location filename="../ui/scan_screen.py" line="211" />
        <source>In</source>
        <translation>In</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="98" />
        <source>Audit</source>
        <translation>Controle</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="99" />
        <source>Undone</source>
        <translation>Ongedaan</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="101" />
        <source>damaged</source>
        <translation>beschadigd</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="101" />
        <source>missing</source>
        <translation>vermist</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="103" />
        <source>queued</source>
        <translation>in wachtrij</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="104" />
        <source>synced</source>
        <translation>verwerkt</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="105" />
        <source>conflict</source>
        <translation>conflict</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="106" />
        <source>rejected</source>
        <translation>geweigerd</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="119" />
        <source>offline login</source>
        <translation>offline</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="126" />
        <source>Settings</source>
        <translation>Instellingen</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="130" />
        <source>Projects</source>
        <translation>Projecten</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="132" />
        <source>Log out</source>
        <translation>Uitloggen</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="174" />
        <source>Mark the next return as:</source>
        <translation>Markeer de volgende retour als:</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="178" />
        <source>Damaged</source>
        <translation>Beschadigd</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="178" />
        <source>Missing</source>
        <translation>Vermist</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="194" />
        <source>Undo scan</source>
        <translation>Scan ongedaan</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="211" />
        <location filename="../ui/scan_screen.py" line="215" />
        <source>Item</source>
        <translation>Artikel</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="211" />
        <source>Need</source>
        <translation>Nodig</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="215" />
        <source>Time</source>
        <translation>Tijd</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="215" />
        <source>Mode</source>
        <translation>Modus</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="215" />
        <source>State</source>
        <translation>Status</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="215" />
        <source>Note</source>
        <translation>Opmerking</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="222" />
        <source>Pick list</source>
        <translation>Paklijst</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="223" />
        <source>Last scans</source>
        <translation>Laatste scans</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="247" />
        <source>Camera</source>
        <translation>Camera</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="281" />
        <source>Qty: %1</source>
        <translation>Aantal: %1</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="291" />
        <source>Problems: %1</source>
        <translation>Problemen: %1</translation>
    </message>
    <message>
        <location filename="../ui/scan_screen.py" line="297" />
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
        <source>Not enrolled</source>
        <translation>Niet aangemeld</translation>
    </message>
    <message>
        <location filename="../ui/status_bar.py" line="47" />
        <source>Kiosk problem</source>
        <translation>Kioskprobleem</translation>
    </message>
    <message>
        <location filename="../ui/status_bar.py" line="49" />
        <source>Offline</source>
        <translation>Offline</translation>
    </message>
    <message>
        <location filename="../ui/status_bar.py" line="51" />
        <source>Online</source>
        <translation>Online</translation>
    </message>
    <message>
        <location filename="../ui/status_bar.py" line="53" />
        <source>Server problem</source>
        <translation>Serverprobleem</translation>
    </message>
    <message>
        <location filename="../ui/status_bar.py" line="57" />
        <source>Last sync: %1</source>
        <translation>Laatste sync: %1</translation>
    </message>
    <message>
        <location filename="../ui/status_bar.py" line="64" />
        <source>Camera</source>
        <translation>Camera</translation>
    </message>
    <message>
        <location filename="../ui/status_bar.py" line="64" />
        <source>Serial</source>
        <translation>Serieel</translation>
    </message>
    <message>
        <location filename="../ui/status_bar.py" line="67" />
        <location filename="../ui/status_bar.py" line="68" />
        <source>ready</source>
        <translation>gereed</translation>
    </message>
    <message>
        <location filename="../ui/status_bar.py" line="69" />
        <source>not connected</source>
        <translation>niet aangesloten</translation>
    </message>
    <message>
        <location filename="../ui/status_bar.py" line="70" />
        <source>disconnected</source>
        <translation>losgekoppeld</translation>
    </message>
    <message>
        <location filename="../ui/status_bar.py" line="71" />
        <location filename="../ui/status_bar.py" line="72" />
        <source>stopped</source>
        <translation>gestopt</translation>
    </message>
    <message>
        <location filename="../ui/status_bar.py" line="79" />
        <source>Queue: %1</source>
        <translation>Wachtrij: %1</translation>
    </message>
</context>
<context>
    <name>auth</name>
    <message>
        <location filename="../auth.py" line="53" />
        <source>The enrolment code must be 6 to 64 characters.</source>
        <translation>De aanmeldcode is 6 tot 64 tekens lang.</translation>
    </message>
    <message>
        <location filename="../auth.py" line="59" />
        <source>Server unreachable: %1</source>
        <translation>Server onbereikbaar: %1</translation>
    </message>
    <message>
        <location filename="../auth.py" line="69" />
        <source>Unexpected answer from the server.</source>
        <translation>Onverwacht antwoord van de server.</translation>
    </message>
    <message>
        <location filename="../auth.py" line="95" />
        <location filename="../auth.py" line="122" />
        <location filename="../auth.py" line="137" />
        <source>Badge not recognised.</source>
        <translation>Pas niet herkend.</translation>
    </message>
    <message>
        <location filename="../auth.py" line="116" />
        <source>Too many attempts: try again in %1 s.</source>
        <translation>Te veel pogingen: probeer het over %1 s opnieuw.</translation>
    </message>
    <message>
        <location filename="../auth.py" line="133" />
        <source>No reference data yet — connect to the server.</source>
        <translation>Nog geen gegevens — verbind met de server.</translation>
    </message>
</context>
</TS>