"""All data access: stores, schema, import, synthetic generator, region codes, CRS."""
