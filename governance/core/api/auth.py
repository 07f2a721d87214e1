"""Token login for pipelines: DRF's view, parsing JSON like the rest of the API (see governance.core.api.parsers)."""

from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.parsers import FormParser, MultiPartParser

from governance.core.api.parsers import StorableJSONParser


class TokenLoginView(ObtainAuthToken):
    parser_classes = (FormParser, MultiPartParser, StorableJSONParser)


obtain_auth_token = TokenLoginView.as_view()
