"""Citizens' verified identity: OpenID Connect login (FranceConnect rules) and step-up."""
