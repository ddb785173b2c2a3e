import pytest

from .support import API


@pytest.fixture
def api(client):
    """GET an API path and return its JSON, checking the status and the CORS header."""

    def get(path: str, status: int = 200, **query):
        response = client.get(API + path, query)
        assert response.status_code == status, response.content[:1000]
        assert response["Access-Control-Allow-Origin"] == "*"
        assert response["Content-Type"].startswith("application/json")
        return response.json()

    return get
