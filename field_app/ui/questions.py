"""One widget per question type, built from the FormSpec (styles in questions.kv).

A question view shows the label, hint, the input and the question's message. It
hands answers to its form screen (`screen.answer(path, value)`), which saves them and
tells every view on the page what changed; `show(value)` never saves.
"""

from __future__ import annotations

import io
import threading
import time as _time
from datetime import date, datetime
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import mainthread
from kivy.core.image import Image as CoreImage
from kivy.graphics import Color, Ellipse, Line, Rectangle
from kivy.metrics import dp, sp
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.filechooser import FileChooserListView
from kivy.uix.image import Image
from kivy.uix.popup import Popup
from kivy.uix.spinner import Spinner
from kivy.uix.widget import Widget

from field_app.core import attachments, geo, inputs, photos
from field_app.core.devices import Fix
from field_app.core.navigation import label as form_label
from field_app.ui.dialogs import confirm
from field_app.ui.widgets import (
    BigButton,
    Body,
    Card,
    ChoiceButton,
    Field,
    LazySpinner,
    QuietButton,
)
from forms.answers import Path as AnswerPath
from forms.answers import get
from forms.spec import Node, text_in


def _t(message: str) -> str:
    return App.get_running_app().t(message)


class QuestionView(Card):
    """Label, hint, input, message. Subclasses build the input and show values."""

    label_text = StringProperty("")
    hint_text = StringProperty("")
    error_text = StringProperty("")
    #: Outlined for a moment when reached from the missing list or the overview.
    highlight = BooleanProperty(False)

    def __init__(self, screen: Any, path: AnswerPath, node: Node, label: str, hint: str,
                 required: bool) -> None:
        super().__init__()
        self.screen = screen
        self.path = path
        self.node = node
        self.required = required
        self.show_texts(label, hint)
        self._showing = False
        self.build()

    @property
    def body(self) -> BoxLayout:
        return self.ids.body

    def build(self) -> None:
        pass

    def commit(self, value: Any) -> None:
        if not self._showing:
            self.screen.answer(self.path, value)

    def show(self, value: Any) -> None:
        self._showing = True
        try:
            self.show_value(value)
        finally:
            self._showing = False

    def show_value(self, value: Any) -> None:
        pass

    def focus_input(self) -> None:
        """Put the cursor in the question's input, if it has one to type in."""

    def show_error(self, message: str | None) -> None:
        self.error_text = message or ""

    def show_texts(self, label: str, hint: str) -> None:
        """The label and hint as they read now (they may show answers: `${name}`)."""
        self.label_text = label + ("  *" if self.required else "")
        self.hint_text = hint


class TextQuestion(QuestionView):
    """text, barcode, integer, decimal, date, time and anything typed."""

    def build(self) -> None:
        kind = self.node.type
        self.field = Field(multiline=self.node.appearance == "multiline")
        if kind == "integer":
            self.field.input_filter, self.field.input_type = "int", "number"
        elif kind in ("decimal", "range"):
            self.field.input_filter, self.field.input_type = "float", "number"
        elif kind == "date":
            self.field.hint_text = "2026-03-31"
        elif kind == "time":
            self.field.hint_text = "14:30"
        self.field.bind(text=self._typed)
        self.body.add_widget(self.field)
        self.pickers: dict[str, Spinner] = {}
        if kind in ("date", "time"):
            row = BoxLayout(size_hint_y=None, height=dp(52), spacing=dp(6))
            for part, values in inputs.picker_parts(kind):
                spinner = LazySpinner(values, text="--", font_size=sp(18))
                spinner.part = part
                spinner.bind(text=self._picked)
                self.pickers[part] = spinner
                row.add_widget(spinner)
            now = QuietButton(text=_t("Today") if kind == "date" else _t("Now"))
            now.bind(on_release=lambda *_: self._now())
            row.add_widget(now)
            self.body.add_widget(row)
        self._local_error: str | None = None

    def _picked(self, spinner: Spinner, value: str) -> None:
        if self._syncing or value == "--":
            return
        self.field.text = inputs.picked(self.node.type, self.field.text, spinner.part, value)

    _syncing = False

    def _sync_pickers(self) -> None:
        values = inputs.picker_values(self.node.type, self.field.text)
        self._syncing = True
        try:
            for part, spinner in self.pickers.items():
                spinner.text = values.get(part, "--")
        finally:
            self._syncing = False

    def _now(self) -> None:
        self.field.text = (date.today().isoformat() if self.node.type == "date"
                           else datetime.now().strftime("%H:%M"))

    def _typed(self, _field: Field, text: str) -> None:
        if self.pickers:
            self._sync_pickers()
        if self._showing:
            return
        parsed = inputs.parse_text(self.node, text)
        self._local_error = parsed.error
        if parsed.error:
            self.show_error(parsed.error)
            return
        self.commit(parsed.value)

    def show_value(self, value: Any) -> None:
        parsed = inputs.parse_text(self.node, self.field.text)
        if parsed.error is None and parsed.value == value:
            return  # what is typed already says this (keep "12." while typing "12.5")
        self.field.text = inputs.as_text(value)

    def show_error(self, message: str | None) -> None:
        super().show_error(message or self._local_error)

    def focus_input(self) -> None:
        self.field.focus = True


class SelectQuestion(QuestionView):
    """select_one (one choice) and select_multiple (several), with choice filters."""

    def build(self) -> None:
        self.multiple = self.node.type in ("select_multiple", "rank")
        self.buttons: dict[str, ChoiceButton] = {}
        self.choices: list[tuple[str, str]] = []

    def set_choices(self, choices: list[tuple[str, str]], value: Any) -> None:
        if choices != self.choices:
            self.choices = choices
            self.body.clear_widgets()
            self.buttons = {}
            group = None if self.multiple else f"q{id(self)}"
            for name, text in choices:
                button = ChoiceButton(text=text, group=group)
                button.choice = name
                button.bind(state=self._toggled)
                self.buttons[name] = button
                self.body.add_widget(button)
        self.show(value)

    def _toggled(self, button: ChoiceButton, state: str) -> None:
        if self._showing:
            return
        if self.multiple:
            chosen = [n for n, b in self.buttons.items() if b.state == "down"]
            self.commit(chosen or None)
        elif state == "down":
            self.commit(button.choice)
        elif not any(b.state == "down" for b in self.buttons.values()):
            self.commit(None)

    def show_value(self, value: Any) -> None:
        chosen = set(value if isinstance(value, list) else [value] if value else [])
        for name, button in self.buttons.items():
            button.state = "down" if name in chosen else "normal"


class NoteQuestion(QuestionView):
    pass


class CalculationQuestion(QuestionView):
    def build(self) -> None:
        self.value_label = Body()
        self.body.add_widget(self.value_label)

    def show_value(self, value: Any) -> None:
        self.value_label.text = inputs.as_text(value) or "-"


class AcknowledgeQuestion(QuestionView):
    def build(self) -> None:
        self.button = ChoiceButton(text=_t("OK, done"))
        self.button.bind(state=lambda _b, s: self.commit("OK" if s == "down" else None))
        self.body.add_widget(self.button)

    def show_value(self, value: Any) -> None:
        self.button.state = "down" if value == "OK" else "normal"


class _GpsMixin:
    """Start the GPS, show accuracy as fixes arrive (from the GPS thread, via the clock),
    judged against the question's `capture-accuracy` / `warning-accuracy`."""

    fix: Fix | None = None
    quality: str = ""

    def start_gps(self) -> None:
        gps = App.get_running_app().gps
        self.limits = geo.accuracy_limits(self.node)
        if not gps.available:
            self.status.text = _t("No GPS on this device: type the position below.")
            return
        self.status.text = _t("Looking for the position... stay outside, away from walls.")
        self.status.color = (0.07, 0.07, 0.07, 1)
        gps.start(mainthread(self._fixed), lambda status: None)

    def _fixed(self, fix: Fix) -> None:
        self.fix = fix
        self.quality = geo.judge(fix.accuracy, self.limits)
        metres = round(fix.accuracy, 1)
        if self.quality == geo.GOOD:
            self.status.text = _t("Accuracy: {metres} m. Good.").format(metres=metres)
            self.status.color = (0.0, 0.4, 0.15, 1)
        elif self.quality == geo.FAIR:
            self.status.text = _t(
                "Accuracy: {metres} m. Usable; waiting for {best} m or better.").format(
                metres=metres, best=_n(self.limits.capture))
            self.status.color = (0.45, 0.3, 0.0, 1)
        else:
            self.status.text = _t(
                "Accuracy: {metres} m. Too poor: this form needs {worst} m or better. "
                "Wait, or move away from walls and roofs.").format(
                metres=metres, worst=_n(self.limits.warning))
            self.status.color = (0.7, 0.0, 0.0, 1)
        self.on_fix(fix)

    def on_fix(self, fix: Fix) -> None:
        pass


def _n(metres: float) -> str:
    return inputs.as_text(float(metres))


class GeopointQuestion(_GpsMixin, QuestionView):
    """A position: live accuracy; a fix as good as `capture-accuracy` is taken at once,
    one worse than `warning-accuracy` only after the enumerator confirms."""

    def build(self) -> None:
        self.value_label = Body()
        self.status = Body()
        find = BigButton(text=_t("Find my position"))
        find.bind(on_release=lambda *_: self.start_gps())
        self.use = BigButton(text=_t("Use this position"), disabled=True)
        self.use.bind(on_release=lambda *_: self.use_fix())
        self.manual = Field(hint_text=_t("or type: latitude longitude"))
        self.manual.bind(on_text_validate=lambda *_: self._typed())
        self.manual.bind(focus=lambda _f, focused: None if focused else self._typed())
        for w in (self.value_label, self.status, find, self.use, self.manual):
            self.body.add_widget(w)

    def on_fix(self, fix: Fix) -> None:
        self.use.disabled = False
        self.use.text = (_t("Use this position anyway") if self.quality == geo.POOR
                         else _t("Use this position"))
        if self.quality == geo.GOOD:
            self.use_fix()

    def use_fix(self) -> Any:
        fix = self.fix
        if fix is None:
            return None
        if self.quality == geo.POOR:
            return confirm(_t("Poor accuracy"), _t(
                "This position may be {metres} m off. Use it anyway?").format(
                metres=round(fix.accuracy)), _t("Use it"), _t("Keep waiting"),
                lambda: self._keep(fix))
        self._keep(fix)
        return None

    def _keep(self, fix: Fix) -> None:
        App.get_running_app().gps.stop()
        self.use.disabled = True
        self.commit(inputs.point_answer(fix.lat, fix.lon, fix.altitude, fix.accuracy))

    def _typed(self) -> None:
        if self.manual.text.strip():
            parsed = inputs.parse_text(self.node, self.manual.text)
            if parsed.error:
                self.show_error(parsed.error)
            else:
                self.commit(parsed.value)

    def show_value(self, value: Any) -> None:
        if not value:
            self.value_label.text = _t("No position yet.")
            return
        parts = str(value).split()
        accuracy = inputs.accuracy_of(value)
        self.value_label.text = f"{parts[0]}, {parts[1]}" + (
            "  (" + _t("Accuracy: {metres} m").format(metres=accuracy) + ")"
            if accuracy else "")


class OutlineView(Widget):
    """A trace or shape drawn to scale: its lines, a dot per point, a scale bar."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(size_hint_y=None, height=dp(200), **kwargs)
        self.outline = geo.measure(None)
        self.bind(pos=self.redraw, size=self.redraw)

    def show(self, outline: geo.Outline) -> None:
        self.outline = outline
        self.redraw()

    def redraw(self, *_: Any) -> None:
        self.canvas.clear()
        margin = dp(14)
        with self.canvas:
            Color(1, 1, 1, 1)
            Rectangle(pos=self.pos, size=self.size)
            Color(0.75, 0.75, 0.75, 1)
            Line(rectangle=(self.x, self.y, self.width, self.height), width=1)
            if not self.outline.points:
                return
            points, scale = geo.fit(self.outline, self.width, self.height, margin)
            flat = [c for x, y in points for c in (self.x + x, self.y + y)]
            Color(0.0, 0.35, 0.2, 1)
            if len(points) > 1:
                Line(points=flat, width=dp(1.5), close=self.outline.closed and len(points) > 2)
            r = dp(4)
            for x, y in points:
                Ellipse(pos=(self.x + x - r, self.y + y - r), size=(2 * r, 2 * r))
            bar = geo.scale_bar(max(self.outline.width_m, self.outline.height_m, 1.0))
            Color(0.1, 0.1, 0.1, 1)
            Line(points=[self.x + dp(8), self.y + dp(8), self.x + dp(8) + bar * scale,
                         self.y + dp(8)], width=dp(1.5))
        self.bar_metres = bar


class TraceQuestion(_GpsMixin, QuestionView):
    """geotrace / geoshape: walk the line or boundary and add a point at each corner."""

    def build(self) -> None:
        self.value_label = Body()
        self.status = Body()
        find = QuietButton(text=_t("Find my position"))
        find.bind(on_release=lambda *_: self.start_gps())
        add = BigButton(text=_t("Add this point"))
        add.bind(on_release=lambda *_: self.add_point())
        undo = QuietButton(text=_t("Remove the last point"))
        undo.bind(on_release=lambda *_: self.commit(inputs.remove_last_point(self.value)))
        self.manual = Field(hint_text=_t("or type: latitude longitude"))
        self.value: str | None = None
        self.drawing = OutlineView()
        for w in (self.drawing, self.value_label, self.status, find, add, undo, self.manual):
            self.body.add_widget(w)

    def add_point(self) -> None:
        point = None
        if self.manual.text.strip():
            point = inputs.parse_point(self.manual.text)
            if point is None:
                self.show_error(_t("Enter latitude and longitude, like -1.3133 36.7876."))
                return
            self.manual.text = ""
        elif self.fix is not None:
            point = inputs.point_answer(self.fix.lat, self.fix.lon, self.fix.altitude,
                                        self.fix.accuracy)
        if point is None:
            self.status.text = _t("Find your position first, or type it.")
            return
        shape = inputs.add_point(self.value, point)
        self.commit(inputs.close_shape(shape) if self.node.type == "geoshape" else shape)

    def show_value(self, value: Any) -> None:
        points = [p for p in (value or "").split(";") if p.strip()]
        if self.node.type == "geoshape" and len(points) > 3 and points[0] == points[-1]:
            points = points[:-1]  # keep the ring open while walking
            value = ";".join(points)
        self.value = value or None
        outline = geo.measure(value, closed=self.node.type == "geoshape")
        self.drawing.show(outline)
        parts = [_t("Points: {n}").format(n=len(points))]
        if self.node.type == "geoshape" and len(points) >= 3:
            parts += [_t("Area: {area}").format(area=geo.describe_area(outline.area_m2)),
                      _t("Perimeter: {length}").format(
                          length=geo.describe_length(outline.length_m))]
        elif len(points) >= 2:
            parts.append(_t("Length: {length}").format(
                length=geo.describe_length(outline.length_m)))
        self.value_label.text = "   ".join(parts)


class MediaQuestion(QuestionView):
    """A photo from the camera or chosen from the tablet (a file chooser on a desktop),
    stored upright and no larger than the form's `max-pixels`, shown as a thumbnail
    with Retake and Remove. Other files (audio, video) are attached as they are."""

    def build(self) -> None:
        self.thumbnail = Image(size_hint_y=None, height=0, fit_mode="contain")
        self.value_label = Body()
        self.body.add_widget(self.thumbnail)
        self.body.add_widget(self.value_label)
        camera = App.get_running_app().camera
        self.take = None
        if camera.available and self.node.type == "image":
            self.take = BigButton(text=_t("Take a photo"))
            self.take.bind(on_release=lambda *_: self.take_photo())
            self.body.add_widget(self.take)
        self.choose = QuietButton(text=_t("Choose a picture") if self.node.type == "image"
                                  else _t("Choose a file"))
        self.choose.bind(on_release=lambda *_: self.choose_file())
        self.body.add_widget(self.choose)
        self.remove = QuietButton(text=_t("Remove"), opacity=0, disabled=True)
        self.remove.bind(on_release=lambda *_: self.ask_remove())
        self.body.add_widget(self.remove)

    @property
    def folder(self) -> Path:
        """Where this tablet keeps photos: beside its store, in the app's own storage."""
        folder = Path(App.get_running_app().store_path).parent / "photos"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def take_photo(self) -> None:
        target = self.folder / f"camera-{int(_time.time() * 1000)}.jpg"
        App.get_running_app().camera.take_picture(
            str(target), mainthread(lambda path: self._picked(path, True)),
            mainthread(self.show_error))

    def choose_file(self) -> None:
        camera = App.get_running_app().camera
        if self.node.type == "image" and camera.can_pick:  # the tablet's own picker
            target = self.folder / f"picked-{int(_time.time() * 1000)}"
            camera.pick_picture(str(target), mainthread(lambda p: self._picked(p, True)),
                                mainthread(self.show_error))
            return
        images = ["*.jpg", "*.jpeg", "*.png", "*.JPG", "*.JPEG", "*.PNG"]
        chooser = FileChooserListView(path=str(Path.home()),
                                      filters=images if self.node.type == "image" else [])
        box = BoxLayout(orientation="vertical")
        box.add_widget(chooser)
        use = BigButton(text=_t("Use this file"))
        box.add_widget(use)
        popup = Popup(title=_t("Choose a file"), content=box, size_hint=(0.95, 0.9))

        def chosen(*_: Any) -> None:
            if chooser.selection:
                popup.dismiss(animation=False)
                self._picked(chooser.selection[0], False)

        use.bind(on_release=chosen)
        popup.open()

    def _picked(self, path: str | None, ours: bool) -> None:
        """A picture arrived (None: cancelled). A photo is stored resized on a worker
        thread, so the screen stays alive; `ours`: a copy made for us, removed after."""
        if not path:
            return
        if self.node.type != "image":
            self.screen.attach(self.path, path)
            return
        self.value_label.text = _t("Saving the photo...")
        limit = photos.max_pixels(self.node.parameters)

        def prepare() -> None:
            try:
                prepared = photos.prepare_photo(path, self.folder, limit)
            except photos.PhotoError as exc:
                mainthread(self._not_stored)(str(exc))
                return
            finally:
                if ours:
                    Path(path).unlink(missing_ok=True)
            mainthread(self.screen.attach)(self.path, str(prepared.path))

        threading.Thread(target=prepare, name="photo", daemon=True).start()

    def _not_stored(self, message: str) -> None:
        self.show_error(message)
        self.show(get(self.screen.nav.session.answers, self.path))

    def ask_remove(self) -> Any:
        return confirm(_t("Remove"), _t("Remove this photo from the record?")
                       if self.node.type == "image" else _t("Remove this file from the record?"),
                       _t("Remove"), _t("Keep"), lambda: self.screen.attach(self.path, None))

    def show_value(self, value: Any) -> None:
        has = bool(value)
        self.value_label.text = str(value) if has else _t("No file yet.")
        self.remove.opacity, self.remove.disabled = (1, False) if has else (0, True)
        if self.take is not None:
            self.take.text = _t("Retake the photo") if has else _t("Take a photo")
        thumb = None
        if has and self.node.type == "image":
            session = self.screen.nav.session
            file = attachments.file_for(session.store, session.record_id, str(value))
            if file is not None:
                try:  # sealed on an encrypted tablet: opened in memory, never on disk
                    thumb = attachments.thumbnail_bytes(session.store, file)
                except (photos.PhotoError, OSError):
                    thumb = None
        self.thumbnail.texture = CoreImage(io.BytesIO(thumb), ext="jpg").texture \
            if thumb else None
        self.thumbnail.height = dp(180) if thumb else 0


VIEWS = {
    "select_one": SelectQuestion, "select_multiple": SelectQuestion, "rank": SelectQuestion,
    "note": NoteQuestion, "calculate": CalculationQuestion,
    "acknowledge": AcknowledgeQuestion, "geopoint": GeopointQuestion,
    "geotrace": TraceQuestion, "geoshape": TraceQuestion, "image": MediaQuestion,
    "audio": MediaQuestion, "video": MediaQuestion, "file": MediaQuestion,
}


def view_for(screen: Any, path: AnswerPath, node: Node, language: str | None,
             fallback: str | None, required: bool, *, label: str | None = None,
             hint: str | None = None) -> QuestionView:
    """The view of the question at `path`; `label` and `hint` as shown (the navigator's
    `label_at` / `hint_at`, with answers in place of `${name}`), else the form's own."""
    cls = VIEWS.get(node.type, TextQuestion)
    return cls(screen, path, node,
               form_label(node, language, fallback) if label is None else label,
               text_in(node.hint, language, fallback) if hint is None else hint, required)
