"""The API's page-number pagination: 50 rows a page unless the client asks for another ``page_size``."""

from rest_framework.pagination import PageNumberPagination

# The largest page a client may ask for: a pipeline listing a model's KPIs or an organisation's members in one
# call, still a bounded response.
MAX_PAGE_SIZE = 1000


class PageSizePagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
