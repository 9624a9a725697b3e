"""Shared widgets (styled in theme.kv): big buttons, wrapped labels, a list screen base."""

from __future__ import annotations

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.label import Label
from kivy.uix.textinput import TextInput
from kivy.uix.togglebutton import ToggleButton


class BigButton(Button):
    """A touch target at least 56 dp high, dark on light for sunlight."""


class QuietButton(Button):
    """A secondary action (outlined look)."""


class Heading(Label):
    pass


class Body(Label):
    """Text that wraps to the width and grows to its height."""


class Hint(Body):
    pass


class ErrorText(Body):
    pass


class Field(TextInput):
    """One-line text entry with large text."""


class ChoiceButton(ToggleButton):
    """One choice of a select question."""


class Card(BoxLayout):
    """A question or list item: a light box with a border."""


class PinField(Field):
    pass


__all__ = ["BigButton", "Body", "Card", "ChoiceButton", "ErrorText", "Field", "Heading",
           "Hint", "PinField", "QuietButton"]
