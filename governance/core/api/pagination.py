"""The API's page-number pagination: 50 rows a page unless the client asks for another ``page_size``.

Both parameters are checked as the schema declares them (whole numbers from 1; ``page_size`` at most
``MAX_PAGE_SIZE``): a pipeline that sends ``page_size=5000`` learns it at once with a 400 naming the field,
instead of silently getting fewer rows than it asked for. A page past the last answers 404.
"""

from django.core.paginator import Paginator
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request

# The largest page a client may ask for: a pipeline listing a model's KPIs or an organisation's members in one
# call, still a bounded response.
MAX_PAGE_SIZE = 1000


def _whole_number(request: Request, name: str, *, maximum: int | None = None) -> int | None:
    """The query parameter ``name`` as a whole number from 1 (to ``maximum``), None when absent; 400 otherwise."""
    raw = request.query_params.getlist(name)
    if not raw:
        return None
    if len(raw) > 1:
        raise ValidationError({name: ["Give this parameter once."]})
    try:
        number = int(raw[0])
    except ValueError:
        raise ValidationError({name: ["A whole number is required."]}) from None
    if number < 1:
        raise ValidationError({name: ["Ensure this value is greater than or equal to 1."]})
    if maximum is not None and number > maximum:
        raise ValidationError({name: [f"Ensure this value is less than or equal to {maximum}."]})
    return number


class PageSizePagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    last_page_strings = ()

    def get_page_size(self, request: Request) -> int:
        return (
            _whole_number(request, self.page_size_query_param, maximum=self.max_page_size) or self.page_size
        )

    def get_page_number(self, request: Request, paginator: Paginator) -> int:
        return _whole_number(request, self.page_query_param) or 1

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        bounds = {
            self.page_query_param: {"minimum": 1},
            self.page_size_query_param: {
                "minimum": 1,
                "maximum": self.max_page_size,
                "default": self.page_size,
            },
        }
        for parameter in parameters:
            parameter["schema"].update(bounds.get(parameter["name"], {}))
        return parameters
