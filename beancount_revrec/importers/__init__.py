"""Importers: other systems ' data as the ledger's own directives."""
