"""UBL 2.1 (SI-UBL 2.0 / EN 16931): the writer, its names, and the rules it is checked by."""
