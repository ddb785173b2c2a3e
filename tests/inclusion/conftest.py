"""Fixtures shared by the inclusion tests: users in a group, and a logged-in inclusion lead."""

import pytest
from django.contrib.auth.models import Group


@pytest.fixture
def member(django_user_model):
    """``member(group_name)``: a new user in that group."""
    def make(group_name):
        user = django_user_model.objects.create_user(
            group_name.replace(" ", "_").lower(), password="pw")
        user.groups.add(Group.objects.get(name=group_name))
        return user
    return make


@pytest.fixture
def lead(client, member, demo):
    """The test client, logged in as an inclusion lead, with the demo ICS loaded."""
    client.force_login(member("Inclusion leads"))
    return client
