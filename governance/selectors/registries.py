"""Registry connection reads: an organisation's connections with the number of models each keeps in step."""

from django.db.models import BooleanField, Count, ExpressionWrapper, Q, QuerySet

from governance.models import Organisation, RegistryConnection


def connections_for(organisation: Organisation) -> QuerySet[RegistryConnection]:
    """The organisation's connections by name (one query); whether a token is stored, never the token."""
    return (
        RegistryConnection.objects.filter(organisation=organisation)
        .select_related("created_by")
        .defer("token_encrypted")
        .annotate(
            model_count=Count("models"),
            has_token=ExpressionWrapper(~Q(token_encrypted=""), output_field=BooleanField()),
        )
        .order_by("name", "pk")
    )
