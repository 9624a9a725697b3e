"""The ODK/XPath function library, one module per family; importing it registers all."""

from forms.xpath.library import context, datetimes, numbers, selects, text

__all__ = ["context", "datetimes", "numbers", "selects", "text"]
