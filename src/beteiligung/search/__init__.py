"""The search page (/suche): consultations, proposals and comments that the visitor may see."""
