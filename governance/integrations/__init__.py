"""Clients of the tools ML teams already run (an MLflow tracking server's model registry): HTTP only, no model
and no Django; the services in ``governance.services`` decide what their answers mean for the inventory."""
