"""The UBL 2.1 namespaces and the customization / profile ids the writer puts in and the
rules read back (one module both import, so neither imports the other)."""

EN16931 = "urn:cen.eu:en16931:2017"
NLCIUS = f"{EN16931}#compliant#urn:fdc:nen.nl:nlcius:v1.0"
PEPPOL_BILLING = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
NS_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
NS_CREDIT = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
KVK_SCHEME = "0106"  # ISO 6523 ICD for the Dutch Chamber of Commerce number
