"""A purpose-built XPath 1.0 engine for XLSForm expressions (see forms.expressions)."""
