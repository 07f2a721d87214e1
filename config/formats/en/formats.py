"""Every page shows dates the same way, whatever the English locale: ISO 8601 (2026-09-02, 2026-09-02 14:30).

Django's locale formats win over the DATE_FORMAT settings, so the project's formats live here
(FORMAT_MODULE_PATH); the input formats are left to the locale. Date inputs are the browser's own pickers
(governance.core.widgets), which show the reader's locale and send ISO 8601.
"""

DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
YEAR_MONTH_FORMAT = "Y-m"
TIME_FORMAT = "H:i"
