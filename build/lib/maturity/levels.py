"""The 0-5 maturity scale. Names are used on every page, report and API answer.

The questionnaire files repeat the scale in their ``levels`` block; the loader refuses a file whose names differ,
so a wording change is made here and in the data together.
"""

LEVEL_NAMES: dict[int, str] = {
    0: "Absent",
    1: "Initial / ad hoc",
    2: "Repeatable",
    3: "Defined",
    4: "Managed / measured",
    5: "Optimising",
}

LEVELS: tuple[int, ...] = tuple(LEVEL_NAMES)
