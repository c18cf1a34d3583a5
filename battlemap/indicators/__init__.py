"""Pure indicator functions over counts and tables: no Dash, no database."""
