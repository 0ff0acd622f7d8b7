"""The Wireless M-Bus kind: one wmbusmeters receiver per entry, meters as subentries."""
