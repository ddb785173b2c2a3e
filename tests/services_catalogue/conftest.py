"""Staff users for the catalogue's admin tests."""

import pytest
from django.contrib.auth.models import Group


@pytest.fixture
def member(django_user_model):
    """member("Comms editors"): a new user in that group."""
    def make(group_name):
        user = django_user_model.objects.create_user(
            group_name.replace(" ", "_").lower(), password="pw"
        )
        user.groups.add(Group.objects.get(name=group_name))
        return user
    return make


@pytest.fixture
def editor_client(client, member):
    """The test client, signed in as a comms editor."""
    client.force_login(member("Comms editors"))
    return client
