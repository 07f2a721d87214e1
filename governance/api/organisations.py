"""Who am I, and the names a pipeline needs: ``/me/`` (the user, their organisations, roles and what each role
allows), the user's organisations, and each organisation's business units and members (read-only).

Another organisation's id answers 404, whatever the id.
"""

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.core import tenancy
from governance.core.roles import PERMISSIONS
from governance.models import BusinessUnit, Membership, Organisation


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


class OrganisationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["id", "name", "slug"]


class MembershipOfMeSerializer(serializers.Serializer):
    organisation = OrganisationSerializer()
    role = serializers.CharField()
    role_name = serializers.CharField(source="get_role_display")
    business_unit = serializers.CharField(source="business_unit.name", allow_null=True, default=None)
    permissions = serializers.SerializerMethodField()

    def get_permissions(self, membership: Membership) -> list[str]:
        """What this role may do in the organisation (``governance.core.roles``), beyond reading."""
        return sorted(str(p) for p, roles in PERMISSIONS.items() if membership.role in roles and p != "view")


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
    email = serializers.EmailField(allow_blank=True)
    memberships = MembershipOfMeSerializer(many=True)


class MeView(APIView):
    """The signed-in user (or the token's owner), their organisations, roles and permissions."""

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        user = request.user
        memberships = list(
            Membership.objects.filter(user=user)
            .select_related("organisation", "business_unit")
            .order_by("organisation__name")
        )
        body = {
            "id": user.pk,
            "username": user.get_username(),
            "name": _name(user),
            "email": user.email or "",
            "memberships": memberships,
        }
        return Response(MeSerializer(body).data)


class BusinessUnitSerializer(serializers.ModelSerializer):
    class Meta:
        model = BusinessUnit
        fields = ["id", "name", "description"]


class MemberSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="user.pk")
    username = serializers.CharField(source="user.username")
    name = serializers.SerializerMethodField()
    role = serializers.CharField()
    role_name = serializers.CharField(source="get_role_display")
    business_unit = serializers.CharField(source="business_unit.name", allow_null=True, default=None)

    def get_name(self, membership: Membership) -> str:
        return _name(membership.user)


class OrganisationViewSet(viewsets.ReadOnlyModelViewSet):
    """The organisations the user belongs to, with their business units and members (ids and names)."""

    serializer_class = OrganisationSerializer

    def get_queryset(self) -> QuerySet[Organisation]:
        return Organisation.objects.filter(pk__in=tenancy.organisation_ids_of(self.request.user)).order_by(
            "name"
        )

    @extend_schema(responses=BusinessUnitSerializer(many=True))
    @action(detail=True, url_path="business-units")
    def business_units(self, request: Request, pk=None) -> Response:
        organisation = self.get_object()
        page = self.paginate_queryset(organisation.business_units.order_by("name"))
        return self.get_paginated_response(BusinessUnitSerializer(page, many=True).data)

    @extend_schema(responses=MemberSerializer(many=True))
    @action(detail=True)
    def members(self, request: Request, pk=None) -> Response:
        organisation = self.get_object()
        members = (
            Membership.objects.filter(organisation=organisation)
            .select_related("user", "business_unit")
            .order_by("user__username")
        )
        page = self.paginate_queryset(members)
        return self.get_paginated_response(MemberSerializer(page, many=True).data)
