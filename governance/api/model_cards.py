"""Model card API: a pipeline posts the card of the version it just registered, naming the version by its label.

GET   /api/v1/models/{model_id}/versions/{version}/card/     the card, with the version's metrics (read-only)
PUT   /api/v1/models/{model_id}/versions/{version}/card/     the whole card (omitted sections become empty)
PATCH /api/v1/models/{model_id}/versions/{version}/card/     only the sections sent
GET   /api/v1/models/{model_id}/versions/{version}/card.md   the card as a Markdown document
"""

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import renderers, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.core.roles import Permission
from governance.core.tenancy import require
from governance.core.validation import refuse_unknown_fields
from governance.models import ModelCard, ModelVersion
from governance.rules.model_cards import FIELDS, MAX_TEXT, SECTIONS
from governance.selectors import model_cards as selectors
from governance.services.model_cards import model_card_save

_HELP = {section.key: section.help for section in SECTIONS}


def _text(key: str) -> serializers.CharField:
    return serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_TEXT, trim_whitespace=False, help_text=_HELP[key]
    )


class ModelCardSerializer(serializers.Serializer):
    """The card's sections (writable) and what it is the card of (read-only)."""

    model = serializers.IntegerField(source="version.model_id", read_only=True)
    model_name = serializers.CharField(source="version.model.name", read_only=True)
    version = serializers.CharField(source="version.version", read_only=True)
    version_id = serializers.IntegerField(read_only=True)
    version_status = serializers.CharField(source="version.status", read_only=True)
    intended_use = _text("intended_use")
    out_of_scope_uses = _text("out_of_scope_uses")
    factors = _text("factors")
    metrics = _text("metrics")
    evaluation_data = _text("evaluation_data")
    training_data = _text("training_data")
    quantitative_analyses = _text("quantitative_analyses")
    ethical_considerations = _text("ethical_considerations")
    caveats_and_recommendations = _text("caveats_and_recommendations")
    version_metrics = serializers.JSONField(
        source="version.metrics",
        read_only=True,
        help_text="The metrics registered with the version, shown beside the quantitative analyses; set them "
        "when registering the version, never on the card.",
    )
    updated_at = serializers.DateTimeField(read_only=True)
    updated_by = serializers.SlugRelatedField(slug_field="username", read_only=True)


def _version(request: Request, model_id: int, version: str) -> ModelVersion:
    """The version of one of the user's models by its label; anything else reads as "no such version"."""
    missing = NotFound(f"Model #{model_id} has no version “{version[:64]}” in your organisations.")
    if len(version) > 64 or "\x00" in version:
        raise missing
    try:
        return selectors.version_by_label_for_user(request.user, model_id=model_id, label=version)
    except Http404:
        raise missing from None


def _card(version: ModelVersion) -> ModelCard:
    card = selectors.card_of(version)
    if card is None:
        raise NotFound(
            f"{version} has no model card yet: PUT one to this address to create it (GET it back afterwards)."
        )
    card.version = version  # already loaded with its model: the serializer reads both
    return card


class ModelCardView(APIView):
    """A version's model card. Every member reads; admins and model owners (pipelines with their token) write."""

    serializer_class = ModelCardSerializer

    @extend_schema(
        responses={
            200: ModelCardSerializer,
            404: OpenApiResponse(description="No such version, or no card yet."),
        },
        description="The version's model card, with the metrics registered with the version (read-only).",
    )
    def get(self, request: Request, model_id: int, version: str) -> Response:
        return Response(ModelCardSerializer(_card(_version(request, model_id, version))).data)

    def _save(self, request: Request, model_id: int, version: str, partial: bool) -> Response:
        found = _version(request, model_id, version)
        require(request.user, found.model.organisation_id, Permission.MODEL_CARD_EDIT)
        if not isinstance(request.data, dict):
            raise serializers.ValidationError(
                {
                    "non_field_errors": [
                        'Send a JSON object of the card\'s sections, e.g. {"intended_use": "…"}.'
                    ]
                }
            )
        # A field the card does not have (a typo, or the version's metrics) is refused, never quietly dropped.
        refuse_unknown_fields(request.data, FIELDS)
        serializer = ModelCardSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        sent = serializer.validated_data
        fields = dict(sent) if partial else {name: sent.get(name, "") for name in FIELDS}
        existed = ModelCard.objects.filter(version=found).exists()
        card = model_card_save(actor=request.user, version=found, fields=fields)
        card.version = found
        code = status.HTTP_200_OK if existed else status.HTTP_201_CREATED
        return Response(ModelCardSerializer(card).data, status=code)

    @extend_schema(
        request=ModelCardSerializer,
        responses={200: ModelCardSerializer, 201: ModelCardSerializer},
        description="Replace the whole card (creating it: 201): sections left out become empty. A field the card "
        "does not have is a 400 naming it.",
    )
    def put(self, request: Request, model_id: int, version: str) -> Response:
        return self._save(request, model_id, version, partial=False)

    @extend_schema(
        request=ModelCardSerializer,
        responses={200: ModelCardSerializer, 201: ModelCardSerializer},
        description="Change only the sections sent (creating the card if there is none yet: 201).",
    )
    def patch(self, request: Request, model_id: int, version: str) -> Response:
        return self._save(request, model_id, version, partial=True)


class MarkdownRenderer(renderers.BaseRenderer):
    """Lets a client ask for text/markdown; errors then read as their message."""

    media_type = "text/markdown"
    format = "md"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if isinstance(data, dict):
            data = str(data.get("detail", data))
        return str(data or "").encode(self.charset)


class ModelCardMarkdownView(APIView):
    """The card as a Markdown document (what the card page's download gives)."""

    renderer_classes = [renderers.JSONRenderer, MarkdownRenderer]

    @extend_schema(
        responses={
            (200, "text/markdown"): OpenApiTypes.STR,
            404: OpenApiResponse(description="No such version, or no card yet."),
        },
        description="The version's model card as Markdown, with the version's metrics as a table.",
    )
    def get(self, request: Request, model_id: int, version: str) -> HttpResponse:
        found = _version(request, model_id, version)
        card = _card(found)
        response = HttpResponse(
            selectors.card_markdown(found, card), content_type="text/markdown; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{selectors.markdown_filename(found)}"'
        return response
