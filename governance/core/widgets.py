"""Form widgets shared by every app."""

from django import forms


class DatePicker(forms.DateInput):
    """The browser's date picker, which shows the date in the reader's locale.

    Its value is always ISO 8601: rendered with the site locale's first input format (en-gb: dd/mm/yyyy), the
    browser would show an empty picker, and saving an edit form unchanged would clear the date.
    """

    input_type = "date"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class DateTimePicker(forms.DateTimeInput):
    """The browser's date-and-time picker; its value is ISO 8601 to the minute, for the same reason."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")
