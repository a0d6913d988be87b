"""THESEE, the online-scam desk: scam types, identifiers, linking and review rules."""
