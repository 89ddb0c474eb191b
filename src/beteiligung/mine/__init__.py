"""The person's own pages across every feature: "Meine Daten" and "Meine Beiträge"."""
