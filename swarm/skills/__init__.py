"""The skill graph: taxonomy, proficiencies, skill inference from ticket text (pure, no web)."""
