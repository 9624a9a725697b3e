"""Shared widgets (styled in theme.kv): big buttons, wrapped labels, scrolling that
settles, swiping between pages."""

from __future__ import annotations

from typing import Any

from kivy.effects.scroll import ScrollEffect
from kivy.metrics import dp
from kivy.properties import BooleanProperty, NumericProperty, OptionProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.label import Label
from kivy.uix.scrollview import ScrollView
from kivy.uix.spinner import Spinner
from kivy.uix.textinput import TextInput
from kivy.uix.togglebutton import ToggleButton


class SteadyScrollEffect(ScrollEffect):
    """Kinetic scrolling that stops at the ends and settles whatever the frame rate.

    Kivy 2.3's default DampedScrollEffect applies its spring and friction once per
    frame without scaling them by the frame time; on a slow frame (a tablet building a
    page, 0.3-0.5 s) a pull past the top overshoots and never comes back, leaving the
    page blank or shifted. Here the content never leaves its bounds (ScrollEffect) and
    the glide after a flick decays exponentially in time, so a long frame only shortens
    it.
    """

    def update_velocity(self, dt: float) -> None:
        if abs(self.velocity) <= self.min_velocity:
            self.velocity = 0
            return
        self.velocity *= (1 - self.friction) ** (dt / self.std_dt)
        self.apply_distance(self.velocity * min(dt, 0.1))
        self.trigger_velocity_update()


class PageScroll(ScrollView):
    """The form page: scrolls up and down, and a sideways swipe turns the page.

    A touch that moves mostly sideways by more than `swipe_distance` is a swipe: it is
    kept from the widgets under it (a choice does not toggle) and `on_swipe` fires with
    "next" (finger moved left) or "back" (right) when the finger lifts.
    """

    swipe_distance = NumericProperty(dp(56))
    __events__ = ("on_swipe",)

    def on_swipe(self, direction: str) -> None:
        pass

    def _swipe_state(self, touch: Any) -> dict | None:
        return touch.ud.get(self._get_uid())

    def on_scroll_move(self, touch: Any) -> Any:
        ud = self._swipe_state(touch)
        if ud is not None and ud.get("mode") in ("unknown", "swipe"):
            dx, dy = touch.x - touch.ox, touch.y - touch.oy
            if ud["mode"] == "swipe" or (abs(dx) > self.swipe_distance
                                         and abs(dx) > 2 * abs(dy)):
                ud["mode"] = "swipe"
                ud["user_stopped"] = True  # never handed to the widgets under it
                return True
        return super().on_scroll_move(touch)

    def on_scroll_stop(self, touch: Any, check_children: bool = True) -> Any:
        ud = self._swipe_state(touch)
        if ud is not None and ud.get("mode") == "swipe":
            self._touch = None
            for effect in (self.effect_x, self.effect_y):
                if effect is not None:
                    effect.cancel()
            dx = touch.x - touch.ox
            if abs(dx) > self.swipe_distance:
                self.dispatch("on_swipe", "next" if dx < 0 else "back")
            return True
        return super().on_scroll_stop(touch, check_children)


class LazySpinner(Spinner):
    """A Spinner whose list is built when first opened: a date picker's day, month and
    year lists are ~70 buttons, which made a page with two dates take half a second."""

    def __init__(self, choices: list[str], **kwargs: Any) -> None:
        self.choices = list(choices)
        super().__init__(**kwargs)

    def on_press(self) -> None:
        if not self.values:
            self.values = self.choices


class Bar(BoxLayout):
    """A row of buttons that can be hidden. Hidden, it takes no room and its buttons
    leave the widget tree: a button only made invisible (or disabled) would still catch
    the touches meant for what lies under it."""

    shown = BooleanProperty(True)
    bar_height = NumericProperty(dp(56))

    def __init__(self, **kwargs: Any) -> None:
        self._stash: list[Any] = []
        super().__init__(**kwargs)

    def on_shown(self, _bar: Any, shown: bool) -> None:
        if shown and self._stash:
            for child in self._stash:
                self.add_widget(child)
            self._stash = []
        elif not shown and self.children:
            self._stash = list(reversed(self.children))
            self.clear_widgets()


class BigButton(Button):
    """A touch target at least 56 dp high, dark on light for sunlight. `tone` "go"
    (green) marks the button that ends something (Finish)."""

    tone = OptionProperty("primary", options=["primary", "go"])


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


class ProblemButton(Button):
    """An item of the list of what blocks finishing: looks like a problem (red mark,
    dark red text), and a tap goes to the question."""


class Card(BoxLayout):
    """A question or list item: a light box with a border."""


class PinField(Field):
    pass


__all__ = [
    "Bar",
    "BigButton",
    "Body",
    "Card",
    "ChoiceButton",
    "ErrorText",
    "Field",
    "Heading",
    "Hint",
    "LazySpinner",
    "PageScroll",
    "PinField",
    "ProblemButton",
    "QuietButton",
    "SteadyScrollEffect",
]
