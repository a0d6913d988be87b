"""THESEE: filing scam complaints and reports, and the reviewers' desk."""
