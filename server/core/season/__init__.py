"""The season's pure rules: its configuration, its events and their fold, show results, who goes through."""
